"""Task types, registered by their Conductor type name. Each module holds one type's behaviour."""

from __future__ import annotations

from .base import TaskKind
from .simple import Simple

REGISTRY: dict[str, TaskKind] = {kind.type_name: kind for kind in (Simple(),)}


def kind_of(task_type: str | None) -> TaskKind | None:
    """The behaviour of a WorkflowTask `type` (None means SIMPLE), or None when the engine does not run it."""
    return REGISTRY.get(task_type or "SIMPLE")
