"""Workflow definitions and executions as diagrams: Graphviz DOT (written by `dot`), laid out into SVG or PNG by
graphviz-pure (a self-contained `dot` shipped as a wheel for every platform, so no system Graphviz), and a text
outline wherever a picture cannot be drawn.

`mimebundle(obj)` is the single display entry point and never raises; `to_dot`, `to_svg`, `render` and
`text_outline` are the building blocks. Each takes a WorkflowDef, a ConductorWorkflow, a Workflow execution (its
`workflow_definition` gives the structure, its tasks the status) or their JSON. See docs/diagrams.md.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any, Optional, Union

from .dot import Definitions, outline, write_dot

__all__ = ["RenderError", "mimebundle", "render", "text_outline", "to_dot", "to_svg"]

ENGINE = "graphviz-pure"  # the layout engine's command, from the graphviz-pure wheel conductor-nb depends on
ENGINE_ENV = "CONDUCTOR_NB_DOT"  # names another dot-compatible command to use instead (e.g. a system `dot`)


class RenderError(RuntimeError):
    """No picture could be made: the layout engine is missing or failed, or the format is not supported."""


# ---------------------------------------------------------------------------------------------------------------
# Public API

def to_dot(obj: Any, *, definitions: Definitions = None, rankdir: str = "TB") -> str:
    """Graphviz DOT for a WorkflowDef, a ConductorWorkflow, a Workflow execution (or their JSON).

    `definitions` finds sub-workflow definitions that are not inline: a mapping of name or (name, version) to a
    WorkflowDef, or a function (name, version) -> WorkflowDef | None (e.g. a MetadataClient's get_workflow_def).
    """
    return write_dot(obj, definitions, rankdir)


def to_svg(obj: Any, *, definitions: Definitions = None, rankdir: str = "TB", timeout: float = 60) -> str:
    """The diagram as an SVG document (starting at `<svg`), laid out by graphviz-pure; RenderError if it can't be."""
    svg = _layout_svg(_engine(), to_dot(obj, definitions=definitions, rankdir=rankdir), timeout)
    return svg[svg.find("<svg"):]


def render(obj: Any, path: Union[str, os.PathLike], *, format: Optional[str] = None, dpi: int = 120,
           definitions: Definitions = None, rankdir: str = "TB", timeout: float = 60) -> Path:
    """Write the diagram to `path` as SVG, PNG or DOT (from `format`, else the file's suffix); returns the path."""
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    dot = to_dot(obj, definitions=definitions, rankdir=rankdir)
    if fmt in ("dot", "gv"):
        data = dot.encode("utf-8")
    elif fmt in ("svg", "png", "jpg", "jpeg"):
        args = [f"-Gdpi={int(dpi)}"] if dpi and fmt != "svg" else []
        data = _layout(_engine(), dot, "jpeg" if fmt == "jpg" else fmt, timeout, tuple(args))
    else:
        raise RenderError(f"cannot write {fmt!r}: diagrams are written as .svg, .png, .jpg or .dot "
                          "(for PDF, convert the SVG, e.g. with a browser's print or `cairosvg`)")
    path.write_bytes(data)
    return path


def mimebundle(obj: Any, include=None, exclude=None, **options: Any) -> dict:
    """What a notebook displays: `{"image/svg+xml": svg, "text/plain": outline}`. Never raises.

    When no picture can be drawn the bundle holds only text/plain: the outline and the reason. `include` and
    `exclude` are IPython's `_repr_mimebundle_` arguments, so a model can hand its hook straight to this.
    """
    try:
        text = text_outline(obj, definitions=options.get("definitions"))
    except Exception as exc:  # a display never raises
        text = f"{_safe_repr(obj)}\n(outline unavailable: {_reason(exc)})"
    bundle = {"text/plain": text}
    try:
        bundle["image/svg+xml"] = to_svg(obj, **options)
    except Exception as exc:
        bundle["text/plain"] = f"{text}\n\n(diagram unavailable: {_reason(exc)})"
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle


def text_outline(obj: Any, *, definitions: Definitions = None) -> str:
    """An indented outline of the workflow (with each task's status for an execution), one task a line."""
    return outline(obj, definitions)


# ---------------------------------------------------------------------------------------------------------------
# The layout engine: graphviz-pure, a self-contained binary from its wheel (or the command CONDUCTOR_NB_DOT names)

def _engine() -> str:
    configured = os.environ.get(ENGINE_ENV)
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise RenderError(f"{ENGINE_ENV}={configured!r} is not an executable command")
        return found
    exe = ENGINE + (".exe" if os.name == "nt" else "")
    for directory in _script_dirs():
        candidate = os.path.join(directory, exe)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(ENGINE)
    if found is None:
        raise RenderError(f"no layout engine: reinstall graphviz-pure (`pip install graphviz-pure`), "
                          f"or set {ENGINE_ENV} to a Graphviz `dot` command")
    return found


def _script_dirs() -> list[str]:
    """Where pip put this interpreter's commands: a notebook kernel's PATH often lacks them."""
    dirs = []
    try:
        dirs.append(sysconfig.get_path("scripts"))
        dirs.append(sysconfig.get_path("scripts", sysconfig.get_preferred_scheme("user")))
    except (KeyError, AttributeError, ValueError):
        pass
    dirs.append(os.path.dirname(sys.executable))
    return [d for d in dict.fromkeys(dirs) if d]


def _layout(engine: str, dot: str, fmt: str, timeout: float, args: tuple = ()) -> bytes:
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) if os.name == "nt" else 0
    try:
        done = subprocess.run([engine, f"-T{fmt}", *args], input=dot.encode("utf-8"), capture_output=True,
                              timeout=timeout, creationflags=flags)
    except subprocess.TimeoutExpired:
        raise RenderError(f"{os.path.basename(engine)} did not finish the layout in {timeout} s") from None
    except OSError as exc:
        raise RenderError(f"cannot run {engine}: {exc}") from exc
    if done.returncode != 0 or not done.stdout:
        errors = [line for line in done.stderr.decode("utf-8", "replace").splitlines() if "Warning" not in line]
        raise RenderError(f"{os.path.basename(engine)} failed (exit {done.returncode}): "
                          + ("; ".join(errors[-3:]) or "no output"))
    return done.stdout


@functools.lru_cache(maxsize=32)
def _layout_svg(engine: str, dot: str, timeout: float) -> str:
    return _layout(engine, dot, "svg", timeout).decode("utf-8")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _safe_repr(obj: Any) -> str:
    try:
        text = " ".join(repr(obj).split())
        return text if len(text) <= 200 else text[:197] + "..."
    except Exception:
        return f"<{type(obj).__name__}>"
