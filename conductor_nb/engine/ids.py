"""Ids for workflows and tasks: random (version 4) UUIDs, as Conductor makes them.

The random bytes are read from the OS 4 KB at a time: one `getrandom` per 256 ids instead of one per id (a
process that forks drops what it holds, so a child never repeats its parent's ids).
"""

from __future__ import annotations

import os
import uuid
from collections import deque

_BATCH = 256
_spare: deque[bytes] = deque()  # popleft/extend are atomic: threads need no lock
if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_spare.clear)


def new_id() -> str:
    try:
        raw = _spare.popleft()
    except IndexError:
        block = os.urandom(16 * _BATCH)
        _spare.extend(block[i:i + 16] for i in range(16, len(block), 16))
        raw = block[:16]
    return str(uuid.UUID(bytes=raw, version=4))
