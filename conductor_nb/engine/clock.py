"""Time for the engine, in epoch milliseconds, behind one object so that tests can substitute their own."""

from __future__ import annotations

import time


class SystemClock:
    """The real clock."""

    def now(self) -> int:
        return time.time_ns() // 1_000_000
