"""`conductor-nb server`: Conductor's REST API over the embedded engine, for curl, official SDKs and remote workers."""

from .app import ConductorServer

__all__ = ["ConductorServer"]
