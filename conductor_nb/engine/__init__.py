"""The embedded Conductor engine: in-process, SQLite-backed, implementing the ConductorAPI protocol."""

from .engine import Engine

__all__ = ["Engine"]
