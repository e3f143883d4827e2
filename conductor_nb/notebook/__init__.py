"""The notebook layer: diagrams, DataFrames, cell workers and progress for Conductor workflows in Jupyter.

In IPython it switches itself on when `conductor_nb` is imported (see `conductor_nb.notebook.ipython`). The names
below load their module on first use, so `import conductor_nb.notebook` imports neither pandas nor IPython.

    use(configuration)              the Conductor the notebook talks to (default: Configuration())
    workflows / task_search         search results as DataFrames          (frames)
    tasks(run)                      an execution's tasks as a DataFrame    (frames)
    queue_sizes()                   waiting tasks per task type            (frames)
    workflow_stats / task_stats     count, failures, p50/p95 durations     (frames)
    search_frame(result)            any SearchResult as a DataFrame        (frames)
    watch(id) / await wait_for(id)  follow an execution with a progress line (progress)
    cell_workers()                  the running cell workers, by task name (cells)
    stop_worker(name) / stop_workers()
    panel(run)                      an execution live, with its buttons     (widgets)
    launcher()                      pick a registered workflow, run it      (widgets)
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> (module, attribute)
_EXPORTS = {
    "use": ("connection", "use"),
    "current_configuration": ("connection", "current"),
    "workflows": ("frames", "workflows"),
    "task_search": ("frames", "task_search"),
    "tasks": ("frames", "tasks"),
    "queue_sizes": ("frames", "queue_sizes"),
    "workflow_stats": ("frames", "workflow_stats"),
    "task_stats": ("frames", "task_stats"),
    "search_frame": ("frames", "search_frame"),
    "watch": ("progress", "watch"),
    "wait_for": ("progress", "wait_for"),
    "activate": ("ipython", "activate"),
    "deactivate": ("ipython", "deactivate"),
    "panel": ("widgets", "panel"),
    "launcher": ("widgets", "launcher"),
    "ExecutionPanel": ("widgets", "ExecutionPanel"),
    "Launcher": ("widgets", "Launcher"),
}

__all__ = [*_EXPORTS, "cell_workers", "stop_worker", "stop_workers", "load_ipython_extension",
           "unload_ipython_extension"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module, attribute = _EXPORTS[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def cell_workers() -> dict:
    """The running cell workers by task name (`name@domain` with a domain): status, threads and `.output`."""
    from .cells import registry

    return registry.running()


def stop_worker(name: str, domain: str | None = None) -> bool:
    """Stop the cell worker of task `name` (and `domain`); False if none runs. Re-running its cell starts it."""
    from .cells import registry

    return registry.stop(name, domain)


def stop_workers() -> None:
    """Stop every cell worker."""
    from .cells import registry

    registry.stop_all("stopped by stop_workers")


def load_ipython_extension(shell: Any) -> None:
    """`%load_ext conductor_nb.notebook`: what importing conductor_nb in IPython does already."""
    from .ipython import activate

    activate(shell)


def unload_ipython_extension(shell: Any) -> None:
    from .ipython import deactivate

    deactivate()
