"""conductor_nb: build, run and debug Conductor workflows from Python, starting in a notebook.

The official Conductor Python SDK's names, on an embedded SQLite-backed engine by default (no server needed),
or on a real Conductor server when CONDUCTOR_SERVER_URL is set.
"""

import sys

from .api import ConductorAPI, connect
from .clients import (
    ConductorClients,
    MetadataClient,
    OrkesClients,
    OrkesMetadataClient,
    OrkesTaskClient,
    OrkesWorkflowClient,
    TaskClient,
    WorkflowClient,
)
from .clock import FakeClock
from .config import AuthenticationSettings, Configuration
from .errors import (
    AuthError,
    BadRequestError,
    ConductorError,
    ConflictError,
    NotFoundError,
    ServerError,
    ValidationError,
)
from .models import *  # noqa: F401,F403  (every model is a public name)
from .models import __all__ as _model_names
from .worker.context import NonRetryableException, TaskContext, TaskInProgress, get_task_context
from .worker.task_handler import TaskHandler
from .worker.worker import Worker, worker_task
from .workflow.conductor_workflow import ConductorWorkflow
from .workflow.executor import WorkflowExecutor
from .workflow.task import SimpleTask, TaskInterface, simple_task
from .workflow.tasks import (
    AssignmentCompletionStrategy,
    ConductorEventTask,
    DecisionTask,
    DoWhileTask,
    DynamicForkTask,
    DynamicTask,
    EvaluatorType,
    EventTaskInterface,
    ExclusiveJoinTask,
    ForEachTask,
    ForkTask,
    GetDocument,
    HttpInput,
    HttpMethod,
    HttpPollInput,
    HttpPollTask,
    HttpTask,
    HumanTask,
    InlineSubWorkflowTask,
    InlineTask,
    JavascriptTask,
    JoinTask,
    JsonJQTask,
    KafkaPublishInput,
    KafkaPublishTask,
    LambdaTask,
    LoopTask,
    NoopTask,
    PullWorkflowMessagesTask,
    SetVariableTask,
    SqsEventTask,
    StartWorkflowTask,
    SubWorkflowTask,
    SwitchTask,
    TerminateTask,
    TriggerType,
    WaitForDurationTask,
    WaitForWebHookTask,
    WaitTask,
    WaitUntilTask,
    wait_for_webhook,
)
from .workflow.tasks import __all__ as _task_builder_names

__version__ = "0.1.0"

__all__ = [
    "FakeClock",
    "AuthError", "AuthenticationSettings", "BadRequestError", "ConductorAPI", "ConductorClients", "ConductorError",
    "ConductorWorkflow", "Configuration", "ConflictError", "MetadataClient", "NonRetryableException",
    "NotFoundError", "OrkesClients", "OrkesMetadataClient", "OrkesTaskClient", "OrkesWorkflowClient",
    "ServerError", "SimpleTask", "TaskClient", "TaskContext", "TaskHandler", "TaskInProgress", "TaskInterface",
    "ValidationError", "Worker", "WorkflowClient", "WorkflowExecutor", "connect", "get_task_context",
    "simple_task", "worker_task", *_model_names, *_task_builder_names,
]


def _activate_notebook_layer() -> None:
    """Inside a running IPython (a Jupyter kernel, the IPython shell), switch the notebook layer on: rich displays,
    cell workers, execute progress. Cheap elsewhere: nothing is imported unless IPython is already running."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is None:
        return
    try:
        from .notebook.ipython import activate

        activate(shell)
    except Exception as e:  # the SDK must import even if the notebook layer cannot start
        import warnings

        warnings.warn(f"conductor_nb: the notebook layer is off ({type(e).__name__}: {e})", stacklevel=2)


_activate_notebook_layer()
