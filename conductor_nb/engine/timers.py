"""The timer thread: sleeps until the earliest task or workflow limit comes due, then has the engine check it."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger("conductor_nb.engine")

MAX_SLEEP_S = 1.0  # also how soon a closed engine's thread notices


class TimerThread:
    """One daemon thread, started with the first timer; `poke()` wakes it when timers or the clock change."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._poked = False  # a poke arrived while the thread was busy: look again before sleeping

    def poke(self) -> None:
        with self._cv:
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="conductor-timers", daemon=True)
                self._thread.start()
            self._poked = True
            self._cv.notify()

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify()
        if self._thread is not None:
            self._thread.join(MAX_SLEEP_S + 1)

    def _run(self) -> None:
        while True:
            with self._cv:
                self._poked = False
            try:
                wait_ms = self._engine._fire_due_timers()
            except Exception:  # never let one bad timer stop every other one
                log.exception("checking timers failed")
                wait_ms = MAX_SLEEP_S * 1000
            with self._cv:
                if self._stopped:
                    return
                if not self._poked:
                    self._cv.wait(MAX_SLEEP_S if wait_ms is None else min(MAX_SLEEP_S, max(0.001, wait_ms / 1000)))
                if self._stopped:
                    return
