"""Time for the engine, in epoch milliseconds, behind one object so that tests can move it by hand.

With a FakeClock, retries, WAITs and timeouts of hours happen as soon as the test advances the clock: the
engine is told, and wakes every queue and timer that became due.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional


class SystemClock:
    """The real clock."""

    def now(self) -> int:
        return time.time_ns() // 1_000_000

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Real time moves by itself: nobody needs telling."""


class FakeClock:
    """A clock that stands still until `advance()` moves it; give it to `Configuration(clock=...)` or an Engine."""

    def __init__(self, start_ms: Optional[int] = None):
        self._now = start_ms if start_ms is not None else SystemClock().now()
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def now(self) -> int:
        return self._now

    def advance(self, seconds: float = 0, *, ms: int = 0) -> int:
        """Move time forward and wake whatever became due; return the new time (epoch ms)."""
        if seconds < 0 or ms < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._now += int(seconds * 1000) + ms
            listeners = list(self._listeners)
        for callback in listeners:
            callback()
        return self._now

    def subscribe(self, callback: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(callback)
