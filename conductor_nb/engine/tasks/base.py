"""The interface every task type implements for the decider."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...models import Task, WorkflowTask

if TYPE_CHECKING:
    from ..decider import Scheduler


class TaskKind:
    """How one Conductor task type is scheduled (its mapper) and whether workers poll for it."""

    type_name: str = ""
    polled_by_workers = False

    def schedule(self, scheduler: Scheduler, wt: WorkflowTask, retry_of: Task | None = None) -> list[Task]:
        raise NotImplementedError
