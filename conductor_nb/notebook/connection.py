"""Which Conductor a notebook talks to: the configuration chosen with `use()`, else `Configuration()`, and how to
find the ConductorAPI behind whatever object a helper is handed (an executor, a client, a workflow...)."""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..api import ConductorAPI, connect
from ..config import Configuration

_chosen: Optional[Configuration] = None


def use(configuration: Optional[Configuration] = None) -> Configuration:
    """Make `configuration` the notebook's current one (None goes back to `Configuration()`); returns it.

    Cell workers defined after this poll it, running cell workers move to it, and helpers called without a
    source (frames, watch) read from it.
    """
    global _chosen
    _chosen = configuration
    from . import cells  # cells imports this module: import on use

    cells.registry.move_to(current())
    return current()


def current() -> Configuration:
    """The configuration set with `use()`, else a fresh `Configuration()` (read from the environment now)."""
    return _chosen if _chosen is not None else Configuration()


def _is_api(obj: Any) -> bool:
    return callable(getattr(obj, "search_workflows", None)) and callable(getattr(obj, "get_workflow", None))


# How to reach the API from each kind of object, tried in order: (does it apply?, the API it leads to).
_ROUTES: list[tuple[Callable[[Any], bool], Callable[[Any], Any]]] = [
    (lambda o: o is None, lambda o: connect(current())),
    (lambda o: isinstance(o, Configuration), connect),
    (_is_api, lambda o: o),
    (lambda o: _is_api(getattr(o, "api", None)), lambda o: o.api),  # WorkflowClient, TaskClient, MetadataClient
    (lambda o: hasattr(o, "workflow_client"), lambda o: o.workflow_client),  # WorkflowExecutor
    (lambda o: hasattr(o, "_executor"), lambda o: o._executor),  # ConductorWorkflow
    (lambda o: isinstance(getattr(o, "configuration", None), Configuration),
     lambda o: connect(o.configuration)),  # OrkesClients, TaskHandler
]


def api_of(source: Any = None) -> ConductorAPI:
    """The ConductorAPI behind `source`: None (the current configuration), a Configuration, a ConductorAPI, a
    client, a WorkflowExecutor, OrkesClients, a TaskHandler or a ConductorWorkflow."""
    for _ in range(4):  # an executor leads to a client, which leads to the API
        for applies, follow in _ROUTES:
            if applies(source):
                source = follow(source)
                break
        else:
            break
        if _is_api(source):
            return source
    raise TypeError(f"cannot find a Conductor API in {type(source).__name__}: pass a Configuration, a client, "
                    "a WorkflowExecutor, OrkesClients or a ConductorAPI")
