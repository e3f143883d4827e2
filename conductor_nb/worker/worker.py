"""Workers: a function bound to a task type, and `@worker_task`, which makes one from a decorated function."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
import traceback
from typing import Any, Callable, Optional

from ..models import Task, TaskDef, TaskResult, TaskResultStatus
from ..workflow.task import SimpleTask
from .binding import InputError, binder
from .context import NonRetryableException, TaskContext, TaskInProgress, _set_task_context

MAX_REASON_LENGTH = 500


class Worker:
    """Executes tasks of one type with a Python function, mapping its return value or exception to a result.

    Returns: a dict is the output; a dataclass its fields; a TaskResult is used as it is; TaskInProgress asks to
    be called again later; anything else (str, list, number, None) becomes `{"result": value}`. Exceptions fail
    the task (it is retried per its definition); NonRetryableException and bad input fail it for good.
    """

    def __init__(self, task_definition_name: str, execute_function: Callable, poll_interval: Optional[float] = None,
                 domain: Optional[str] = None, worker_id: Optional[str] = None, thread_count: int = 1,
                 register_task_def: bool = False, poll_timeout: int = 100, lease_extend_enabled: bool = False,
                 paused: bool = False, task_def_template: Optional[TaskDef] = None,
                 overwrite_task_def: bool = True, strict_schema: bool = False, register_schema: bool = False):
        self.task_definition_name = task_definition_name
        self.execute_function = execute_function
        self.poll_interval = poll_interval if poll_interval is not None else 100
        self.domain = domain
        self.worker_id = worker_id or _hostname()
        self.thread_count = thread_count
        self.register_task_def = register_task_def
        self.poll_timeout = poll_timeout
        self.lease_extend_enabled = lease_extend_enabled
        self.paused = paused
        self.task_def_template = task_def_template
        self.overwrite_task_def = overwrite_task_def
        self._bind = binder(execute_function)
        self._is_async = inspect.iscoroutinefunction(execute_function)

    def get_identity(self) -> str:
        return self.worker_id

    def get_task_definition_name(self) -> str:
        return self.task_definition_name

    def execute(self, task: Task) -> TaskResult:
        result = TaskResult(task_id=task.task_id, workflow_instance_id=task.workflow_instance_id,
                            worker_id=self.worker_id)
        _set_task_context(TaskContext(task, result))
        try:
            kwargs = self._bind(task)
            value = self.execute_function(**kwargs)
            if self._is_async:
                import asyncio

                value = asyncio.run(value)
            return self._result_of(value, result)
        except (NonRetryableException, InputError) as e:
            return _failed(result, e, TaskResultStatus.FAILED_WITH_TERMINAL_ERROR)
        except Exception as e:
            return _failed(result, e, TaskResultStatus.FAILED)
        finally:
            _set_task_context(None)

    @staticmethod
    def _result_of(value: Any, result: TaskResult) -> TaskResult:
        if isinstance(value, TaskResult):
            value.task_id = value.task_id or result.task_id
            value.workflow_instance_id = value.workflow_instance_id or result.workflow_instance_id
            value.worker_id = value.worker_id or result.worker_id
            value.logs = [*(result.logs or []), *(value.logs or [])] or None
            value.status = value.status or TaskResultStatus.COMPLETED.value
            return value
        if isinstance(value, TaskInProgress):
            result.status = TaskResultStatus.IN_PROGRESS.value
            result.callback_after_seconds = value.callback_after_seconds
            result.output_data = value.output if value.output is not None else result.output_data
            return result
        if result.output_data is None:  # a worker may have set it through the task context
            if isinstance(value, dict):
                result.output_data = value
            elif dataclasses.is_dataclass(value) and not isinstance(value, type):
                result.output_data = dataclasses.asdict(value)
            else:
                result.output_data = {"result": value}
        result.status = TaskResultStatus.COMPLETED.value
        return result


def _hostname() -> str:
    """The official SDK's default worker id."""
    import socket

    return socket.gethostname()


def _failed(result: TaskResult, error: Exception, status: TaskResultStatus) -> TaskResult:
    reason = str(error.args[0]) if error.args else type(error).__name__
    result.status = status.value
    result.reason_for_incompletion = reason[:MAX_REASON_LENGTH]
    result.log("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    return result


# (task definition name, domain) -> Worker, filled by @worker_task and read by TaskHandler.
_decorated_workers: dict[tuple[str, Optional[str]], Worker] = {}


def decorated_workers() -> list[Worker]:
    return list(_decorated_workers.values())


_register_callbacks: list[Callable[[Worker], None]] = []


def on_register(callback: Callable[[Worker], None]) -> Callable[[], None]:
    """Call `callback(worker)` each time `@worker_task` registers a worker; returns a function that removes it.

    The hook the notebook layer uses to start cell workers. A callback that raises is logged, never propagated:
    decorating a function must not fail because of a listener.
    """
    _register_callbacks.append(callback)

    def remove() -> None:
        if callback in _register_callbacks:
            _register_callbacks.remove(callback)

    return remove


def worker_task(task_definition_name: str, poll_interval_millis: int = 100, domain: Optional[str] = None,
                worker_id: Optional[str] = None, thread_count: int = 1, register_task_def: bool = False,
                poll_timeout: int = 100, lease_extend_enabled: bool = False, task_def: Optional[TaskDef] = None,
                overwrite_task_def: bool = True, strict_schema: bool = False, register_schema: Optional[bool] = None):
    """Make the decorated function the worker for `task_definition_name`.

    Called normally, the function runs as written. Called with `task_ref_name=...` it returns a SimpleTask for a
    workflow, its other keyword arguments becoming the task's inputs.
    """

    def decorator(func: Callable) -> Callable:
        worker = Worker(task_definition_name, func, poll_interval=poll_interval_millis, domain=domain,
                        worker_id=worker_id, thread_count=thread_count, register_task_def=register_task_def,
                        poll_timeout=poll_timeout, lease_extend_enabled=lease_extend_enabled,
                        task_def_template=task_def, overwrite_task_def=overwrite_task_def,
                        strict_schema=strict_schema, register_schema=bool(register_schema))
        _decorated_workers[(task_definition_name, domain)] = worker
        for callback in list(_register_callbacks):
            try:
                callback(worker)
            except Exception:
                logging.getLogger("conductor_nb.worker").exception("on_register callback %r failed", callback)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if "task_ref_name" in kwargs:
                task = SimpleTask(task_def_name=task_definition_name, task_reference_name=kwargs.pop("task_ref_name"))
                task.input_parameters.update(kwargs)
                return task
            return func(*args, **kwargs)

        wrapper.worker = worker
        return wrapper

    return decorator
