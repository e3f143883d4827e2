"""Task types, registered by their Conductor type name. Each module holds one type's behaviour."""

from __future__ import annotations

from .base import TaskKind, TerminateWorkflow
from .do_while import DoWhile
from .dynamic_fork import DynamicFork
from .event import Event
from .fork_join import ExclusiveJoin, ForkJoin, Join
from .http import Http
from .inline import Inline, Lambda
from .json_jq import JsonJqTransform
from .noop import Noop
from .set_variable import SetVariable
from .simple import Dynamic, Simple, UserDefined
from .sub_workflow import StartWorkflow, SubWorkflow
from .switch import Decision, Switch
from .terminate import Terminate
from .wait import Human, Wait

REGISTRY: dict[str, TaskKind] = {kind.type_name: kind for kind in (
    Simple(), Dynamic(), Switch(), Decision(), ForkJoin(), Join(), ExclusiveJoin(), DynamicFork(), DoWhile(),
    SubWorkflow(), StartWorkflow(), SetVariable(), Terminate(), Wait(), Human(), Http(), Inline(), Lambda(),
    JsonJqTransform(), Event(), Noop(),
)}

__all__ = ["REGISTRY", "TaskKind", "TerminateWorkflow", "kind_of"]


def kind_of(task_type: str | None) -> TaskKind:
    """The behaviour of a WorkflowTask `type`: None means SIMPLE; a type Conductor does not know is user-defined."""
    kind = REGISTRY.get(task_type or "SIMPLE")
    return kind if kind is not None else UserDefined(task_type)
