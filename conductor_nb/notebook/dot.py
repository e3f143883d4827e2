"""Workflows as Graphviz DOT, and as a text outline: the visual scheme and the builder behind the diagrams.

A definition (or an execution's definition, coloured by its tasks) becomes a DOT graph whose structure follows the
workflow's: sequences, forks and joins, switch cases, DO_WHILE loops and sub-workflows as clusters. Nothing here
runs a layout engine; `diagrams` does that.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Union

from ..models import Task, Workflow, WorkflowDef, WorkflowRun, WorkflowTask

__all__ = ["BARS", "FOREIGN", "KINDS", "NOT_REACHED", "SHAPES", "STATUS_COLOURS", "Definitions", "outline",
           "write_dot"]

FONT = "Helvetica"  # graphviz-pure lays out with its bundled metric-compatible Arimo; SVG viewers use a sans-serif

Definitions = Union[Mapping, Callable[[str, Optional[int]], Any], None]


def write_dot(obj: Any, definitions: Definitions = None, rankdir: str = "TB") -> str:
    """The DOT text for a WorkflowDef, a ConductorWorkflow, a Workflow or WorkflowRun execution, or their JSON."""
    definition, execution = _subject(obj)
    return _Diagram(definition, execution, _resolver(definitions), rankdir).dot()


def outline(obj: Any, definitions: Definitions = None) -> str:
    """An indented outline of the workflow (with each task's status for an execution), one task a line."""
    definition, execution = _subject(obj)
    runs = _Runs(execution) if execution is not None else None
    title = f"{definition.name or 'workflow'} v{definition.version if definition.version is not None else 1}"
    if execution is not None:
        title += f" · {execution.status or '?'}"
        if getattr(execution, "workflow_id", None):
            title += f" · {execution.workflow_id}"
    lines = [title]
    _outline(definition.tasks or [], runs, 1, lines, _resolver(definitions), set())
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# The visual scheme: task type -> kind -> shape; execution status -> colours. docs/diagrams.md shows it.

KINDS = {
    "SIMPLE": "worker", "DYNAMIC": "dynamic",
    "INLINE": "script", "LAMBDA": "script", "JSON_JQ_TRANSFORM": "script", "SET_VARIABLE": "script",
    "NOOP": "script",
    "HTTP": "http", "EVENT": "event", "KAFKA_PUBLISH": "event", "START_WORKFLOW": "start_workflow",
    "WAIT": "wait", "HUMAN": "wait", "TERMINATE": "terminate",
    "SWITCH": "switch", "DECISION": "switch",
    "FORK_JOIN": "fork", "FORK": "fork", "FORK_JOIN_DYNAMIC": "fork", "JOIN": "join", "EXCLUSIVE_JOIN": "join",
    "DO_WHILE": "loop", "SUB_WORKFLOW": "sub_workflow",
}  # any other type is a "system" task

# kind -> (shape, style, fill, border) of a definition's node; an execution keeps the shape, takes status colours
SHAPES = {
    "worker": ("box", "rounded,filled", "#E3F2FD", "#1E88E5"),
    "dynamic": ("box", "rounded,filled,dashed", "#E3F2FD", "#1E88E5"),
    "script": ("box", "filled", "#F3E5F5", "#8E24AA"),
    "system": ("box", "filled", "#ECEFF1", "#607D8B"),
    "http": ("cylinder", "filled", "#E0F2F1", "#00897B"),
    "event": ("cds", "filled", "#E0F7FA", "#00838F"),
    "start_workflow": ("folder", "filled", "#E8EAF6", "#3949AB"),
    "sub_workflow": ("box3d", "filled", "#E8EAF6", "#3949AB"),
    "wait": ("note", "filled", "#FFF8E1", "#FF8F00"),
    "terminate": ("octagon", "filled", "#FFEBEE", "#C62828"),
    "switch": ("diamond", "filled", "#FFFDE7", "#F9A825"),
    "fork": ("box", "filled", "#455A64", "#455A64"),  # drawn as a bar
    "join": ("box", "filled", "#455A64", "#455A64"),
    "loop": ("hexagon", "filled", "#F1F8E9", "#7CB342"),
    "placeholder": ("box", "rounded,dashed", "#FFFFFF", "#90A4AE"),
}
BARS = ("fork", "join")

# task status -> (fill, border, text)
STATUS_COLOURS = {
    "SCHEDULED": ("#FFF8E1", "#FFB300", "#8D6E00"),
    "IN_PROGRESS": ("#E3F2FD", "#1E88E5", "#0D47A1"),
    "COMPLETED": ("#E8F5E9", "#43A047", "#1B5E20"),
    "COMPLETED_WITH_ERRORS": ("#F9FBE7", "#AFB42B", "#616400"),
    "FAILED": ("#FFEBEE", "#E53935", "#B71C1C"),
    "FAILED_WITH_TERMINAL_ERROR": ("#FFCDD2", "#B71C1C", "#7F0000"),
    "TIMED_OUT": ("#FBE9E7", "#F4511E", "#BF360C"),
    "CANCELED": ("#ECEFF1", "#546E7A", "#37474F"),
    "SKIPPED": ("#FAFAFA", "#9E9E9E", "#616161"),
}
NOT_REACHED = ("#FAFAFA", "#CFD8DC", "#9E9E9E")  # an execution's task that has not run (yet)
FOREIGN = ("#FFFFFF", "#B0BEC5", "#546E7A")  # inside a sub-workflow: another execution's task
WORKFLOW_STATUS_AS_TASK = {"COMPLETED": "COMPLETED", "FAILED": "FAILED", "TIMED_OUT": "TIMED_OUT",
                           "TERMINATED": "CANCELED", "RUNNING": "IN_PROGRESS", "PAUSED": "SCHEDULED"}
_STATUS_STYLE = {"FAILED_WITH_TERMINAL_ERROR": "bold", "CANCELED": "dashed", "SKIPPED": "dashed",
                 "IN_PROGRESS": "bold"}

_EDGE = "#78909C"
_EDGE_FADED = "#CFD8DC"
_TYPE_TEXT = "#546E7A"
_MAX_DETAIL = 38  # characters of an expression, URI or condition shown in a label (all of it in the tooltip)
_MAX_SUB_DEPTH = 6


# ---------------------------------------------------------------------------------------------------------------
# What is drawn: a definition, and the execution whose tasks colour it

def _subject(obj: Any) -> tuple[WorkflowDef, Optional[Union[Workflow, WorkflowRun]]]:
    if isinstance(obj, dict):
        obj = Workflow.from_dict(obj) if ("workflowId" in obj or "workflowDefinition" in obj) \
            else WorkflowDef.from_dict(obj)
    if isinstance(obj, WorkflowDef):
        return obj, None
    if isinstance(obj, (Workflow, WorkflowRun)):
        definition = getattr(obj, "workflow_definition", None) or _definition_from_tasks(obj)
        return definition, obj
    if callable(getattr(obj, "to_workflow_def", None)):
        return obj.to_workflow_def(), None
    raise TypeError(f"cannot draw a {type(obj).__name__}: give a WorkflowDef, a ConductorWorkflow or a Workflow")


def _definition_from_tasks(execution) -> WorkflowDef:
    """Without its definition, an execution is drawn as the chain of references its tasks ran for."""
    seen, tasks = set(), []
    for task in sorted(execution.tasks or [], key=lambda t: t.seq or 0):
        ref = _base_ref(task.reference_task_name or "")
        if ref and ref not in seen:
            seen.add(ref)
            tasks.append(WorkflowTask(name=task.task_def_name or ref, task_reference_name=ref, type=task.task_type))
    name = getattr(execution, "workflow_name", None) or getattr(execution, "workflow_id", None)
    return WorkflowDef(name=name or "workflow", version=getattr(execution, "workflow_version", None), tasks=tasks)


def _as_definition(value: Any) -> Optional[WorkflowDef]:
    if isinstance(value, WorkflowDef):
        return value
    if isinstance(value, dict):
        return WorkflowDef.from_dict(value)
    if callable(getattr(value, "to_workflow_def", None)):
        return value.to_workflow_def()
    return None


def _resolver(definitions: Definitions) -> Callable[[str, Optional[int]], Optional[WorkflowDef]]:
    if definitions is None:
        return lambda name, version: None
    if isinstance(definitions, Mapping):
        def find(name, version):
            found = definitions.get((name, version))
            return found if found is not None else definitions.get(name)
    else:
        find = definitions

    def resolve(name: str, version: Optional[int]) -> Optional[WorkflowDef]:
        try:
            return _as_definition(find(name, version))
        except Exception:  # an unavailable definition is drawn as a node naming the sub-workflow
            return None
    return resolve


def _inline_or_resolved(wt: WorkflowTask, resolve) -> tuple[Optional[WorkflowDef], str]:
    """The sub-workflow's definition if inline or resolvable, and a short description of what it runs."""
    param = wt.sub_workflow_param
    if param is None:
        return None, "?"
    inline = param.workflow_definition
    found = _as_definition(inline) if inline is not None else None
    if found is None and isinstance(inline, str):
        return None, inline
    name = param.name or (found.name if found is not None else None) or "?"
    version = param.version if param.version is not None else (found.version if found is not None else None)
    described = f"{name} v{version}" if version is not None else f"{name} (latest)"
    if found is None and param.name:
        found = resolve(param.name, param.version)
    return found, described


_ITERATION = re.compile(r"^(.+?)((?:__\d+)+)$")


def _base_ref(ref: str) -> str:
    match = _ITERATION.match(ref)
    return match.group(1) if match else ref


@dataclass
class _Run:
    """What an execution did for one definition reference: its latest attempt, and how many there were."""

    task: Task
    attempts: int
    iterations: int

    @property
    def status(self) -> str:
        return str(self.task.status or "SCHEDULED")

    @property
    def duration_ms(self) -> Optional[int]:
        start, end = self.task.scheduled_time or 0, self.task.end_time or 0
        return end - start if start > 0 and end >= start else None

    def summary(self) -> str:
        parts = [self.status]
        if self.duration_ms is not None:
            parts.append(_duration(self.duration_ms))
        return " · ".join(parts)

    def counts(self) -> str:
        parts = []
        if self.attempts > 1:
            parts.append(f"×{self.attempts} attempts")
        if self.iterations:
            parts.append("1 iteration" if self.iterations == 1 else f"{self.iterations} iterations")
        return " · ".join(parts)


class _Runs:
    """An execution's tasks by the definition reference they ran for (`ref__N` refs are loop iterations)."""

    def __init__(self, execution) -> None:
        self.execution = execution
        self._exact: dict[str, list[Task]] = {}
        self._iterations: dict[str, list[str]] = {}
        for task in sorted(execution.tasks or [], key=lambda t: t.seq or 0):
            ref = task.reference_task_name or ""
            attempts = self._exact.setdefault(ref, [])
            if not attempts:
                base = _base_ref(ref)
                if base != ref:
                    self._iterations.setdefault(base, []).append(ref)
            attempts.append(task)

    def get(self, ref: Optional[str]) -> Optional[_Run]:
        if not ref:
            return None
        attempts = self._exact.get(ref)
        iteration_refs = self._iterations.get(ref, [])
        if iteration_refs:
            latest = max((self._exact[r] for r in iteration_refs), key=lambda a: a[-1].seq or 0)
            if not attempts or (latest[-1].seq or 0) >= (attempts[-1].seq or 0):
                attempts = latest
        if not attempts:
            return None
        return _Run(attempts[-1], len(attempts), len(iteration_refs))

    def all_attempts(self, ref: str) -> list[Task]:
        return [t for r in [ref, *self._iterations.get(ref, [])] for t in self._exact.get(r, [])]


def _duration(ms: int) -> str:
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


# ---------------------------------------------------------------------------------------------------------------
# Text helpers: everything that reaches DOT goes through _html (HTML-like labels) or _quote (quoted strings)

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _clean(text: Any) -> str:
    return _XML_INVALID.sub("?", str(text)).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")


def _html(text: Any) -> str:
    """Escape for an HTML-like label: & < > " as entities, and backslashes doubled, since graphviz expands
    escapes such as `\\N` (the node's name) in label text too. Newlines become spaces (one line per part)."""
    return (_clean(text).replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\n", " "))


def _quote(text: Any) -> str:
    """A DOT quoted string for attribute values and tooltips. Graphviz unescapes a tooltip twice (escString, then
    the tooltip's own `\\n` processing) and decodes entities in it, so backslashes are quadrupled and & escaped."""
    text = _clean(text).replace("\\", "\\\\\\\\").replace("&", "&amp;").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'


def _short(text: Any, limit: int = _MAX_DETAIL) -> str:
    text = " ".join(_clean(text).split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _plain_label(text: str) -> str:
    """A quoted (not HTML-like) label: escString unescapes it once and entities are decoded, newlines break."""
    text = _clean(text).replace("\\", "\\\\").replace("&", "&amp;").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'


def _value(value: Any) -> str:
    """One DOT attribute value: an HTML-like label, a number, or a quoted string."""
    if isinstance(value, _Html):
        if not all(_measurable(text) for text, _, _ in value.lines):
            # graphviz can't measure this text and would start it off-centre: a plain label is centred
            return _plain_label("\n".join(text for text, _, _ in value.lines))
        return f"<{value.markup}>"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return _quote(value)


def _attrs(attrs: dict) -> str:
    return ", ".join(f"{key}={_value(value)}" for key, value in attrs.items() if value is not None)


@dataclass
class _Html:
    markup: str
    lines: tuple = ()  # (text, point size, bold) of each line, to size nodes whose text graphviz can't measure


def _label(lines: list[tuple[str, int, bool, Optional[str]]]) -> _Html:
    """An HTML-like label from (text, point size, bold, colour) lines."""
    parts = []
    for text, size, bold, colour in lines:
        body = _html(text)
        if bold:
            body = f"<B>{body}</B>"
        font = f' POINT-SIZE="{size}"' + (f' COLOR="{colour}"' if colour else "")
        parts.append(f"<FONT{font}>{body}</FONT>")
    return _Html("<BR/>".join(parts), tuple((t, s, b) for t, s, b, _ in lines))


# shapes whose outline eats into the text area get more margin
_SHAPE_MARGIN = {"cds": "0.2,0.1", "cylinder": "0.14,0.14", "box3d": "0.16,0.09"}
_SHAPE_GROWTH = {"diamond": 2.0, "hexagon": 1.35, "octagon": 1.3, "cds": 1.2, "cylinder": 1.05}


def _min_width(label: _Html, shape: str) -> Optional[float]:
    """Graphviz measures only ASCII (other characters count as a space): size such labels ourselves. They are
    drawn as plain labels (see _value), all lines in the node's 11 pt."""
    if all(_measurable(text) for text, _, _ in label.lines):
        return None
    widest = 0.0
    for text, size, bold in label.lines:
        size = max(size, 11)
        ems = 0.0
        for char in text:
            if char.isascii():
                ems += 0.6 if bold else 0.56
            elif unicodedata.combining(char):
                continue
            elif unicodedata.east_asian_width(char) in ("W", "F") or unicodedata.category(char) == "So":
                ems += 1.0
            else:
                ems += 0.62
        widest = max(widest, ems * size / 72)
    return round((widest + 0.3) * _SHAPE_GROWTH.get(shape, 1.0), 2)


def _measurable(text: str) -> bool:
    """ASCII, or only narrow non-ASCII characters (our own separators) that graphviz's space width fits."""
    return text.isascii() or all(c.isascii() or c in "·×" for c in text)


def _literal(value: Any) -> Optional[str]:
    """A parameter's value when it is a literal worth showing (not an expression)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _detail(wt: WorkflowTask, kind: str) -> Optional[str]:
    """One line of what this task does, e.g. an HTTP method and URI, a WAIT's duration, a switch's expression."""
    inputs = wt.input_parameters or {}
    if kind == "http":
        request = inputs.get("http_request") if isinstance(inputs.get("http_request"), dict) else inputs
        method, uri = _literal(request.get("method")) or "", _literal(request.get("uri")) or ""
        return f"{method} {uri}".strip() or None
    if kind == "wait":
        for key in ("duration", "until"):
            if _literal(inputs.get(key)):
                return f"{key} {inputs[key]}"
        return None
    if kind == "switch":
        return wt.expression or wt.case_value_param or wt.case_expression
    if kind == "terminate":
        return _literal(inputs.get("terminationStatus"))
    if kind == "event":
        return wt.sink
    if kind == "dynamic":
        return f"task from input {wt.dynamic_task_name_param}" if wt.dynamic_task_name_param else None
    if kind == "start_workflow":
        start = inputs.get("startWorkflow")
        return f"starts {start.get('name')}" if isinstance(start, dict) and _literal(start.get("name")) else None
    if kind == "script":
        return wt.expression or _literal(inputs.get("expression")) or _literal(inputs.get("queryExpression"))
    return None


def _type_of(wt: WorkflowTask) -> str:
    return str(wt.type or "SIMPLE").upper()


def _kind(task_type: str) -> str:
    return KINDS.get(task_type, "system")


_IF_TRUE_ELSE_FALSE = re.compile(r"^\s*if\s*\((.*)\)\s*\{\s*true;?\s*\}\s*else\s*\{\s*false;?\s*\}\s*;?\s*$", re.S)


def _loop_detail(wt: WorkflowTask) -> str:
    if wt.items:
        return f"for each {wt.items}"
    if not wt.loop_condition:
        return "while ?"
    condition = str(wt.loop_condition)
    match = _IF_TRUE_ELSE_FALSE.match(condition)  # the usual `if (c) { true; } else { false; }` says `c`
    return f"while {match.group(1).strip() if match else condition.strip()}"


def _tooltip(wt: WorkflowTask, run: Optional[_Run], runs: Optional[_Runs], detail: Optional[str]) -> str:
    lines = [f"{wt.task_reference_name} ({_type_of(wt)})"]
    if wt.name and wt.name != wt.task_reference_name:
        lines.append(f"name: {wt.name}")
    if wt.description:
        lines.append(f"description: {wt.description}")
    if detail:
        lines.append(detail)
    if wt.optional:
        lines.append("optional")
    if run is not None:
        lines.append(f"status: {run.summary()}")
        if run.counts():
            lines.append(run.counts())
        attempts = runs.all_attempts(wt.task_reference_name or "") if runs else []
        if len(attempts) > 1:
            lines.append("attempts: " + ", ".join(f"{t.reference_task_name} {t.status}" for t in attempts[-12:]))
        if run.task.reason_for_incompletion:
            lines.append(f"reason: {run.task.reason_for_incompletion}")
        if run.task.sub_workflow_id:
            lines.append(f"sub-workflow id: {run.task.sub_workflow_id}")
        if run.task.task_id:
            lines.append(f"task id: {run.task.task_id}")
    text = "\n".join(_clean(line) for line in lines)
    return text if len(text) <= 1500 else text[:1497] + "..."


# ---------------------------------------------------------------------------------------------------------------
# The diagram builder. Each task becomes a fragment: one entry node (and the cluster an incoming edge should
# stop at) and the exits its successor is joined to, each exit carrying its pending edge label.

@dataclass
class _Entry:
    node: str
    lhead: Optional[str] = None


@dataclass
class _Exit:
    node: str
    label: Optional[str] = None
    ltail: Optional[str] = None
    branch: Optional[frozenset] = None  # refs of the fork branch this exit ends, for a JOIN's joinOn
    taken: Optional[bool] = None  # for a switch's case edge in an execution: whether the case was selected


@dataclass
class _Edge:
    tail: str
    head: str
    label: Optional[str] = None
    ltail: Optional[str] = None
    lhead: Optional[str] = None
    taken: Optional[bool] = None
    style: Optional[str] = None
    back: bool = False
    loose: bool = False  # drawn, but not used to rank the nodes


class _Diagram:
    def __init__(self, definition: WorkflowDef, execution, resolve, rankdir: str) -> None:
        self.definition = definition
        self.execution = execution
        self.runs = _Runs(execution) if execution is not None else None
        self.resolve = resolve
        self.rankdir = rankdir if rankdir in ("TB", "LR", "BT", "RL") else "TB"
        self.ids = itertools.count(1)
        self.scopes: list[list[str]] = [[]]
        self.edges: list[_Edge] = []
        self.reached: dict[str, bool] = {}
        self.sinks: list[list[_Exit]] = [[]]  # exits of TERMINATE tasks, per (sub-)workflow
        self.foreign = 0  # > 0 while drawing a sub-workflow's definition inside an execution
        self.foreign_reached = False  # whether that sub-workflow's task ran
        self.sub_stack: list[tuple[Optional[str], Optional[int]]] = []

    # -- output --------------------------------------------------------------------------------------------------
    def dot(self) -> str:
        start = self._plain_node("start", shape="circle", fill="#37474F", colour="#37474F", text="#FFFFFF")
        self.reached[start] = True
        exits = self._seq(self.definition.tasks or [], [_Exit(start)])
        end_status = None
        if self.execution is not None:
            end_status = WORKFLOW_STATUS_AS_TASK.get(str(self.execution.status or ""), "IN_PROGRESS")
        done = end_status not in (None, "IN_PROGRESS", "SCHEDULED")
        fill, colour, text = ("#37474F", "#37474F", "#FFFFFF")
        if self.execution is not None:
            fill, colour, text = STATUS_COLOURS[end_status] if done else NOT_REACHED
        end = self._plain_node("end", shape="doublecircle", fill=fill, colour=colour, text=text)
        self.reached[end] = self.execution is None or done
        self._connect(exits, _Entry(end), None)
        sinks = self.sinks[0]
        for number, sink in enumerate(sinks, 1):
            # a TERMINATE is ranked by the edge into it, not by this one (unless the workflow ends with it)
            self.edges.append(_Edge(sink.node, end, loose=bool(exits) or number < len(sinks)))

        font = _quote(FONT)
        out = [
            "digraph workflow {",
            f"  graph [rankdir={self.rankdir}, compound=true, fontname={font}, fontsize=10, nodesep=0.3, "
            "ranksep=0.32, pad=0.25, bgcolor=\"#FFFFFF\", labeljust=l];",
            f"  node [fontname={font}, fontsize=11, fontcolor=\"#263238\", margin=\"0.14,0.05\", penwidth=1.3];",
            f"  edge [fontname={font}, fontsize=9, color=\"{_EDGE}\", fontcolor=\"{_TYPE_TEXT}\", arrowsize=0.7, "
            "penwidth=1.1];",
        ]
        out += ["  " + line for line in self.scopes[0]]
        out += ["  " + self._edge(edge) for edge in self.edges]
        out.append(f"  label={_value(self._title())}; labelloc=t; labeljust=c; fontsize=13;")
        out.append("}")
        return "\n".join(out) + "\n"

    def _title(self) -> _Html:
        d = self.definition
        lines = [(f"{d.name or 'workflow'} v{d.version if d.version is not None else 1}", 14, True, None)]
        if self.execution is not None:
            status = str(self.execution.status or "?")
            colour = STATUS_COLOURS.get(WORKFLOW_STATUS_AS_TASK.get(status, ""), NOT_REACHED)[2]
            ident = getattr(self.execution, "workflow_id", None)
            lines.append((f"{status}" + (f" · {ident}" if ident else ""), 10, True, colour))
            reason = getattr(self.execution, "reason_for_incompletion", None)
            if reason:
                lines.append((_short(reason, 90), 9, False, colour))
        elif d.description:
            lines.append((_short(d.description, 90), 9, False, _TYPE_TEXT))
        return _label(lines)

    def _edge(self, edge: _Edge) -> str:
        attrs: dict = {}
        if edge.label:
            attrs["label"] = _label([(f" {edge.label} ", 9, False, None)])
        if edge.ltail:
            attrs["ltail"] = edge.ltail
        if edge.lhead:
            attrs["lhead"] = edge.lhead
        if edge.style:
            attrs["style"] = edge.style
        if edge.back:
            attrs.update(style="dashed", constraint="false", label=_label([(" repeat ", 9, False, None)]))
        if edge.loose:
            attrs["constraint"] = "false"
        if self.execution is not None:
            reached = self.reached.get(edge.tail, False) and self.reached.get(edge.head, False)
            if edge.taken is False or not reached:
                attrs.update(color=_EDGE_FADED, fontcolor="#B0BEC5")
            else:
                attrs.update(color="#455A64", penwidth=1.6 if edge.taken else 1.3)
        return f"{edge.tail} -> {edge.head}" + (f" [{_attrs(attrs)}]" if attrs else "") + ";"

    # -- nodes -----------------------------------------------------------------------------------------------------
    def _new_id(self) -> str:
        return f"n{next(self.ids)}"

    def _plain_node(self, label: str, shape: str, fill: str, colour: str, text: str) -> str:
        node = self._new_id()
        attrs = dict(label=label, shape=shape, style="filled", fillcolor=fill, color=colour, fontcolor=text,
                     fontsize=9, width=0.45, fixedsize="true")
        self.scopes[-1].append(f"{node} [{_attrs(attrs)}];")
        return node

    def _colours(self, run: Optional[_Run], kind: str) -> tuple[str, str, str, Optional[str]]:
        """(fill, border, status text, extra style) for a node in the current mode."""
        if self.execution is None:
            _, _, fill, border = SHAPES[kind]
            return fill, border, _TYPE_TEXT, None
        if self.foreign:
            return (*FOREIGN, None)
        if run is None:
            return (*NOT_REACHED, None)
        status = run.status
        return (*STATUS_COLOURS.get(status, NOT_REACHED), _STATUS_STYLE.get(status))

    def _node(self, kind: str, lines: list, run: Optional[_Run], tooltip: str) -> str:
        """A task's node: `lines` are (text, size, bold) below which the status lines are added."""
        shape, style, _, _ = SHAPES[kind]
        fill, border, status_text, extra_style = self._colours(run, kind)
        node = self._new_id()
        reached = self.execution is None or (run is not None and not self.foreign)
        self.reached[node] = reached or (self.foreign > 0 and self.foreign_reached)
        text_colour = NOT_REACHED[2] if self.execution is not None and not reached and not self.foreign else None
        label_lines = [(text, size, bold, text_colour or (None if bold else _TYPE_TEXT)) for text, size, bold in lines]
        if run is not None and not self.foreign:
            label_lines.append((run.summary(), 9, True, status_text))
            if run.counts():
                label_lines.append((run.counts(), 9, False, status_text))
        attrs: dict = {"shape": shape, "style": style + (f",{extra_style}" if extra_style else ""),
                       "fillcolor": fill, "color": border, "margin": _SHAPE_MARGIN.get(shape)}
        if kind in BARS:
            bar = border if (self.execution is None or reached) else "#CFD8DC"
            if self.foreign:
                bar = "#90A4AE"
            attrs.update(fillcolor=bar, color=bar, fontcolor="#FFFFFF", height=0.22, margin="0.3,0.03")
            label_lines = [(text, 9, bold, None) for text, _, bold, _ in label_lines]
        label = _label(label_lines)
        attrs["label"] = label
        attrs["width"] = _min_width(label, shape)
        attrs["tooltip"] = tooltip
        self.scopes[-1].append(f"{node} [{_attrs(attrs)}];")
        return node

    def _task_lines(self, wt: WorkflowTask, kind: str, detail: Optional[str], run: Optional[_Run]) -> list:
        ref = wt.task_reference_name or wt.name or "?"
        task_type = _type_of(wt)
        if kind in BARS:
            return [(f"{ref}  ·  {task_type}", 9, True)]
        name = wt.name
        if run is not None and kind == "dynamic" and run.task.task_def_name:
            name = run.task.task_def_name  # the task the DYNAMIC resolved to
        second = task_type if not name or name == ref else f"{name} · {task_type}"
        lines = [(ref, 11, True), (second, 9, False)]
        if detail and kind not in ("switch",):
            lines.append((_short(detail), 9, False))
        return lines

    # -- structure -------------------------------------------------------------------------------------------------
    def _connect(self, exits: list[_Exit], entry: _Entry, target: Optional[WorkflowTask]) -> None:
        join_on = None
        if target is not None and _type_of(target) in ("JOIN", "EXCLUSIVE_JOIN") and target.join_on:
            join_on = set(target.join_on)
        for exit_ in _merge_case_exits(exits):
            style = None
            if join_on is not None and exit_.branch is not None and not (exit_.branch & join_on):
                style = "dashed"  # the JOIN does not wait for this branch
            self.edges.append(_Edge(exit_.node, entry.node, exit_.label, exit_.ltail, entry.lhead, exit_.taken,
                                    style))

    def _seq(self, tasks: list[WorkflowTask], exits: list[_Exit]) -> list[_Exit]:
        for wt in tasks:
            entry, new_exits = self._task(wt)
            self._connect(exits, entry, wt)
            exits = new_exits
        return exits

    def _chain(self, tasks: list[WorkflowTask]) -> tuple[Optional[_Entry], list[_Exit]]:
        if not tasks:
            return None, []
        entry, exits = self._task(tasks[0])
        return entry, self._seq(tasks[1:], exits)

    def _run(self, wt: WorkflowTask) -> Optional[_Run]:
        if self.runs is None or self.foreign:
            return None
        return self.runs.get(wt.task_reference_name)

    def _task(self, wt: WorkflowTask) -> tuple[_Entry, list[_Exit]]:
        kind = _kind(_type_of(wt))
        if kind == "fork" and _type_of(wt) == "FORK_JOIN_DYNAMIC":
            return self._dynamic_fork(wt)
        build = {"switch": self._switch, "fork": self._fork, "loop": self._loop,
                 "sub_workflow": self._sub_workflow, "terminate": self._terminate}.get(kind)
        if build is not None:
            return build(wt)
        node = self._simple(wt, kind)
        return _Entry(node), [_Exit(node)]

    def _simple(self, wt: WorkflowTask, kind: str, detail: Optional[str] = None) -> str:
        run = self._run(wt)
        detail = detail if detail is not None else _detail(wt, kind)
        return self._node(kind, self._task_lines(wt, kind, detail, run), run,
                          _tooltip(wt, run, self.runs, detail))

    def _terminate(self, wt: WorkflowTask) -> tuple[_Entry, list[_Exit]]:
        node = self._simple(wt, "terminate")
        self.sinks[-1].append(_Exit(node))  # a TERMINATE ends its workflow: it leads to the end, not onwards
        return _Entry(node), []

    def _switch(self, wt: WorkflowTask) -> tuple[_Entry, list[_Exit]]:
        run = self._run(wt)
        node = self._simple(wt, "switch")
        selected = _selected_case(run, wt) if run is not None else None
        exits: list[_Exit] = []
        for case, tasks in (wt.decision_cases or {}).items():
            taken = None if run is None else selected == str(case)
            exits += self._seq(tasks or [], [_Exit(node, label=_short(case, 24), taken=taken)])
        default_taken = None if run is None else selected not in {str(c) for c in (wt.decision_cases or {})}
        exits += self._seq(wt.default_case or [], [_Exit(node, label="default", taken=default_taken)])
        return _Entry(node), exits

    def _fork(self, wt: WorkflowTask) -> tuple[_Entry, list[_Exit]]:
        node = self._simple(wt, "fork")
        exits: list[_Exit] = []
        for branch in wt.fork_tasks or []:
            refs = frozenset(_refs(branch or []))
            for exit_ in self._seq(branch or [], [_Exit(node)]):
                exit_.branch = refs
                exits.append(exit_)
        return _Entry(node), exits or [_Exit(node)]

    def _dynamic_fork(self, wt: WorkflowTask) -> tuple[_Entry, list[_Exit]]:
        run = self._run(wt)
        node = self._simple(wt, "fork")
        spawned = _spawned_refs(run) if run is not None else None
        if spawned is None:  # a definition, or not forked yet: the branches are known only at run time
            param = wt.dynamic_fork_tasks_param or wt.dynamic_fork_join_tasks_param or "forkTaskInputs"
            placeholder = self._node("placeholder", [("branches known at run time", 9, False),
                                                     (_short(f"from input {param}"), 9, False)], None,
                                     f"{wt.task_reference_name}: dynamic fork; branches come from input {param}")
            self.reached[placeholder] = False
            self.edges.append(_Edge(node, placeholder, style="dashed"))
            return _Entry(node), [_Exit(placeholder)]
        exits: list[_Exit] = []
        for ref in spawned:
            spawned_run = self.runs.get(ref)
            task = spawned_run.task if spawned_run else None
            spawned_wt = (task.workflow_task if task is not None and task.workflow_task else None) or WorkflowTask(
                name=(task.task_def_name if task else None) or ref, task_reference_name=ref,
                type=task.task_type if task else None)
            kind = _kind(_type_of(spawned_wt))
            if kind in BARS or kind in ("switch", "loop"):
                kind = "system"
            child = self._node(kind, self._task_lines(spawned_wt, kind, None, spawned_run), spawned_run,
                               _tooltip(spawned_wt, spawned_run, self.runs, None))
            self.edges.append(_Edge(node, child))
            exits.append(_Exit(child, branch=frozenset([ref])))
        return _Entry(node), exits or [_Exit(node)]

    def _open_cluster(self) -> str:
        self.scopes.append([])
        return f"cluster_{next(self.ids)}"

    def _close_cluster(self, cluster: str, attrs: dict) -> None:
        body = self.scopes.pop()
        inner = "\n".join("    " + line for line in body)
        self.scopes[-1].append(f"subgraph {cluster} {{\n    graph [{_attrs(attrs)}];\n{inner}\n  }}")

    def _cluster_style(self, run: Optional[_Run], kind: str) -> dict:
        if self.execution is None:
            _, _, fill, border = SHAPES[kind]
            return {"color": border, "fillcolor": _tint(fill), "fontcolor": "#263238"}
        fill, border, text, _ = self._colours(run, kind)
        return {"color": border, "fillcolor": _tint(fill), "fontcolor": text}

    def _loop(self, wt: WorkflowTask) -> tuple[_Entry, list[_Exit]]:
        """A DO_WHILE is a cluster around its body, closed by the loop's condition node with a `repeat` edge."""
        run = self._run(wt)
        cluster = self._open_cluster()
        entry, exits = self._chain(wt.loop_over or [])
        detail = _loop_detail(wt)
        lines = [(_short(detail, _MAX_DETAIL), 9, False)]
        check = self._node("loop", lines, run, _tooltip(wt, run, self.runs, detail))
        if entry is None:
            entry = _Entry(check)
        else:
            self._connect(exits, _Entry(check), None)
            self.edges.append(_Edge(check, entry.node, back=True))
        title = [(wt.task_reference_name or "?", 11, True, None), ("  DO_WHILE", 9, False, _TYPE_TEXT)]
        iterations = _iterations(run, self.runs, wt) if run is not None else None
        if iterations:
            title.append((f"  · {iterations} iteration{'s' if iterations != 1 else ''}", 9, True, None))
        self._close_cluster(cluster, {"label": _inline_label(title), "style": "rounded,filled,dashed",
                                      "penwidth": 1.4, "margin": 12, **self._cluster_style(run, "loop")})
        return _Entry(entry.node, cluster), [_Exit(check, ltail=cluster)]

    def _sub_workflow(self, wt: WorkflowTask) -> tuple[_Entry, list[_Exit]]:
        definition, described = _inline_or_resolved(wt, self.resolve)
        key = (definition.name, definition.version) if definition is not None else None
        if definition is None or len(self.sub_stack) >= _MAX_SUB_DEPTH or (
                key in self.sub_stack and not _is_inline(wt)):
            node = self._simple(wt, "sub_workflow", detail=f"runs {described}")
            return _Entry(node), [_Exit(node)]
        run = self._run(wt)
        cluster = self._open_cluster()
        saved = self.foreign, self.foreign_reached
        if self.execution is not None:
            if not self.foreign:
                self.foreign_reached = run is not None
            self.foreign += 1
        self.sub_stack.append(key)
        self.sinks.append([])
        entry, exits = self._chain(definition.tasks or [])
        if entry is None:
            placeholder = self._node("placeholder", [("no tasks", 9, False)], None, f"{described} has no tasks")
            entry, exits = _Entry(placeholder), [_Exit(placeholder)]
        exits = exits or self.sinks[-1]
        self.sinks.pop()
        self.sub_stack.pop()
        self.foreign, self.foreign_reached = saved
        title = [(wt.task_reference_name or "?", 11, True, None), (f"  SUB_WORKFLOW · {described}", 9, False,
                                                                     _TYPE_TEXT)]
        if run is not None:
            title.append((f"  · {run.summary()}", 9, True, None))
            if run.counts():
                title.append((f" · {run.counts()}", 9, False, None))
        self._close_cluster(cluster, {"label": _inline_label(title), "style": "rounded,filled", "penwidth": 1.6,
                                      "margin": 12, "tooltip": _tooltip(wt, run, self.runs, f"runs {described}"),
                                      **self._cluster_style(run, "sub_workflow")})
        # every way out of the sub-workflow leaves its cluster's border: one edge is enough
        return _Entry(entry.node, cluster), [_Exit(exits[0].node, ltail=cluster)] if exits else []


def _inline_label(parts: list[tuple[str, int, bool, Optional[str]]]) -> _Html:
    """A one-line HTML label made of differently styled parts (for cluster titles)."""
    markup = []
    for text, size, bold, colour in parts:
        body = f"<B>{_html(text)}</B>" if bold else _html(text)
        markup.append(f'<FONT POINT-SIZE="{size}"' + (f' COLOR="{colour}"' if colour else "") + f">{body}</FONT>")
    return _Html("".join(markup), (("".join(p[0] for p in parts), 10, True),))


def _tint(colour: str) -> str:
    """A lighter version of a #RRGGBB fill, for cluster backgrounds."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#{:02X}{:02X}{:02X}".format(*(round(c + (255 - c) * 0.55) for c in (r, g, b)))


def _is_inline(wt: WorkflowTask) -> bool:
    return wt.sub_workflow_param is not None and _as_definition(wt.sub_workflow_param.workflow_definition) is not None


def _merge_case_exits(exits: list[_Exit]) -> list[_Exit]:
    """Several empty switch cases leading to the same place become one edge labelled with all of them."""
    merged: list[_Exit] = []
    by_node: dict[str, _Exit] = {}
    for exit_ in exits:
        previous = by_node.get(exit_.node)
        if previous is not None and exit_.label and previous.label and exit_.ltail == previous.ltail:
            previous.label = f"{previous.label}, {exit_.label}"
            if exit_.taken is not None:
                previous.taken = bool(previous.taken) or exit_.taken
            continue
        copy = _Exit(exit_.node, exit_.label, exit_.ltail, exit_.branch, exit_.taken)
        by_node.setdefault(exit_.node, copy)
        merged.append(copy)
    return merged


def _refs(tasks: list[WorkflowTask]) -> list[str]:
    """Every reference name in these tasks, nested ones included (not inside sub-workflows)."""
    out = []
    for wt in tasks:
        out.append(wt.task_reference_name or "")
        for case in (wt.decision_cases or {}).values():
            out += _refs(case or [])
        out += _refs(wt.default_case or [])
        for branch in wt.fork_tasks or []:
            out += _refs(branch or [])
        out += _refs(wt.loop_over or [])
    return out


def _selected_case(run: _Run, wt: WorkflowTask) -> Optional[str]:
    output = run.task.output_data or {}
    if "selectedCase" in output:
        return str(output["selectedCase"])
    case_output = output.get("caseOutput")
    if isinstance(case_output, list) and case_output:
        return str(case_output[0])
    evaluation = output.get("evaluationResult")
    if isinstance(evaluation, list) and evaluation:
        return str(evaluation[0])
    return None


def _spawned_refs(run: _Run) -> Optional[list[str]]:
    forked = (run.task.input_data or {}).get("forkedTasks")
    if isinstance(forked, list):
        return [str(ref) for ref in forked]
    return None


def _iterations(run: _Run, runs: _Runs, wt: WorkflowTask) -> Optional[int]:
    task = run.task
    if task.iteration:
        return task.iteration
    value = (task.output_data or {}).get("iteration")
    if isinstance(value, int):
        return value
    counts = [r.iterations for r in (runs.get(ref) for ref in _refs(wt.loop_over or [])) if r is not None]
    return max(counts, default=None)


# ---------------------------------------------------------------------------------------------------------------
# The text outline

def _outline(tasks: list[WorkflowTask], runs: Optional[_Runs], depth: int, out: list[str], resolve,
             seen: set) -> None:
    pad = "  " * depth
    for wt in tasks:
        task_type = _type_of(wt)
        kind = _kind(task_type)
        line = f"{pad}{wt.task_reference_name or '?'} [{task_type}"
        if wt.name and wt.name != wt.task_reference_name:
            line += f" {wt.name}"
        line += "]"
        run = runs.get(wt.task_reference_name) if runs is not None else None
        if run is not None:
            line += f"  {run.summary()}" + (f" · {run.counts()}" if run.counts() else "")
        elif runs is not None:
            line += "  (not run)"
        if kind == "loop":
            line += f"  {_short(_loop_detail(wt), 60)}"
        out.append(_clean(line).replace("\n", " "))
        if kind == "switch":
            for case, body in (wt.decision_cases or {}).items():
                out.append(f"{pad}  case {_clean(case)!r}:" + ("" if body else " (nothing)"))
                _outline(body or [], runs, depth + 2, out, resolve, seen)
            out.append(f"{pad}  default:" + ("" if wt.default_case else " (nothing)"))
            _outline(wt.default_case or [], runs, depth + 2, out, resolve, seen)
        elif task_type == "FORK_JOIN_DYNAMIC":
            spawned = _spawned_refs(run) if run is not None else None
            if spawned is None:
                out.append(f"{pad}  (branches known at run time)")
            for ref in spawned or []:
                child = runs.get(ref)
                state = f"  {child.summary()}" + (f" · {child.counts()}" if child.counts() else "") if child else ""
                out.append(f"{pad}  branch {_clean(ref)}" + (state or "  (not run)"))
        elif kind == "fork":
            for number, branch in enumerate(wt.fork_tasks or [], 1):
                out.append(f"{pad}  branch {number}:")
                _outline(branch or [], runs, depth + 2, out, resolve, seen)
        elif kind == "loop":
            _outline(wt.loop_over or [], runs, depth + 1, out, resolve, seen)
        elif kind == "sub_workflow":
            definition, described = _inline_or_resolved(wt, resolve)
            out.append(f"{pad}  -> {_clean(described)}")
            key = (definition.name, definition.version) if definition is not None else None
            if definition is not None and key not in seen and depth < 2 * _MAX_SUB_DEPTH:
                _outline(definition.tasks or [], None, depth + 2, out, resolve, seen | {key})
