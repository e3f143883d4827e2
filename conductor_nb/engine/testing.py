"""POST /workflow/test: run a workflow with mocked task results (Conductor's WorkflowTestService).

The workflow is real and stored, but its tasks go to a random domain no worker polls; each pending task takes the
next mock for its reference name, in order, until the workflow ends or a task has no mock left. A mock with an
executionTime or queueWaitTime is written with its start and schedule times backdated, so limits such as
timeouts act as they would have.
"""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING

from ..models import TaskMock, TaskResult, Workflow, WorkflowTestRequest
from .state import PENDING
from .tasks import kind_of

if TYPE_CHECKING:
    from .engine import Engine

MAX_LOOPS = 20_000
# Tasks that move by themselves when the workflow is decided; they never take a mock.
OPERATORS = {"JOIN", "DO_WHILE", "SET_VARIABLE", "FORK", "INLINE", "TERMINATE", "DECISION", "DYNAMIC", "FORK_JOIN",
             "FORK_JOIN_DYNAMIC", "SWITCH", "SUB_WORKFLOW", "LAMBDA", "JSON_JQ_TRANSFORM", "EVENT", "NOOP",
             "EXCLUSIVE_JOIN", "START_WORKFLOW"}


def test_workflow(engine: Engine, request: WorkflowTestRequest) -> Workflow:
    request = copy.deepcopy(request)
    request.task_to_domain = {**(request.task_to_domain or {}), "*": str(uuid.uuid4())}
    workflow_id = engine.start_workflow(request)
    _drive(engine, request, workflow_id)
    return engine.get_workflow(workflow_id)


def _drive(engine: Engine, request: WorkflowTestRequest, workflow_id: str) -> None:
    mocks = {ref: list(m) for ref, m in (request.task_ref_to_mock_output or {}).items()}
    children = request.sub_workflow_test_request or {}
    driven_children: set[str] = set()
    for _ in range(MAX_LOOPS):
        workflow = engine.get_workflow(workflow_id)
        if workflow.is_completed():
            return
        pending = [t for t in workflow.tasks if t.status in PENDING]
        if any(t.task_type not in OPERATORS and not mocks.get(t.reference_task_name) for t in pending):
            return  # a task waits for a result nobody will mock: it stays as it is, as on Conductor
        moved = False
        for task in pending:
            if task.task_type == "SUB_WORKFLOW" and task.sub_workflow_id and task.sub_workflow_id not in driven_children:
                driven_children.add(task.sub_workflow_id)
                child_request = children.get(task.reference_task_name)
                if child_request is not None:
                    _drive(engine, child_request, task.sub_workflow_id)
                    moved = True
            elif task.task_type in OPERATORS and kind_of(task.workflow_task.type).runs_in_background:
                engine.update_task(kind_of(task.workflow_task.type).run(task))  # run it now, as Conductor would
                moved = True
            elif task.task_type not in OPERATORS:
                _apply(engine, task, mocks[task.reference_task_name].pop(0))
                moved = True
        if not moved:
            return  # only operators are pending, and nothing will move them


def _apply(engine: Engine, task, mock) -> None:
    mock = mock if isinstance(mock, TaskMock) else TaskMock.from_dict(mock)
    # The official Python SDK sends a TaskMock object as {"_status", "_output", ...}: take those as well.
    status = mock.extra.get("_status") or getattr(mock.status, "value", mock.status) or "COMPLETED"
    output = mock.output if mock.output is not None else (mock.extra.get("_output") or {})
    execution, queue_wait = mock.execution_time or 0, mock.queue_wait_time or 0
    if execution > 0 or queue_wait > 0:
        engine._backdate(task.task_id, status, output, execution, queue_wait)
    else:
        engine.update_task(TaskResult(task_id=task.task_id, workflow_instance_id=task.workflow_instance_id,
                                      status=status, output_data=dict(output)))
