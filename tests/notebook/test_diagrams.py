"""Diagrams of definitions and executions: DOT structure, SVG rendering, status colours, escaping, text fallback."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conductor_nb.models import Workflow, WorkflowDef, WorkflowRun
from conductor_nb.notebook import diagrams
from conductor_nb.notebook.diagrams import RenderError, mimebundle, render, text_outline, to_dot, to_svg

# The reference corpus, wherever the clone is (as tests/compat and tests/peer find it).
REFERENCE = Path(os.environ.get("CONDUCTOR_NB_REFERENCE", "/work/shared/reference")) / "workflows"
SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"


# -- helpers -------------------------------------------------------------------------------------------------------

def T(ref, type="SIMPLE", **kw):
    return {"name": kw.pop("name", ref), "taskReferenceName": ref, "type": type, **kw}


def definition(*tasks, name="wf", **kw):
    return WorkflowDef.from_dict({"name": name, "version": 1, "tasks": list(tasks), **kw})


def run(ref, status, seq, type="SIMPLE", scheduled=1_000, end=None, **kw):
    task = {"referenceTaskName": ref, "taskType": type, "taskDefName": ref.split("__")[0], "status": status,
            "seq": seq, "scheduledTime": scheduled, "taskId": f"task-{seq}", **kw}
    if end is not None:
        task["endTime"] = end
    return task


def execution(defn: WorkflowDef, *tasks, status="RUNNING"):
    return Workflow.from_dict({"workflowId": "wf-1", "status": status, "workflowDefinition": defn.to_dict(),
                               "tasks": list(tasks)})


_NODE = re.compile(r"^\s*(n\d+) \[(.*)\];$")
_EDGE = re.compile(r"^\s*(n\d+) -> (n\d+)(?: \[(.*)\])?;$")


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup)).replace("\\\\", "\\")


class Dot:
    """Just enough of a DOT reader for the DOT this module writes: nodes, edges and the clusters nodes are in."""

    def __init__(self, dot: str):
        self.source = dot
        self.nodes: dict[str, dict] = {}
        self.edges: list[tuple[str, str, str]] = []
        self.clusters: dict[str, str] = {}
        stack: list[str] = []
        for line in dot.splitlines():
            stripped = line.strip()
            if stripped.startswith("subgraph cluster_"):
                stack.append(stripped.split()[1])
            elif stripped == "}" and stack:
                stack.pop()
            elif stripped.startswith("graph [label=") and stack:
                self.clusters[stack[-1]] = stripped
            elif (m := _EDGE.match(line)) is not None:
                self.edges.append((m.group(1), m.group(2), m.group(3) or ""))
            elif (m := _NODE.match(line)) is not None:
                self.nodes[m.group(1)] = {"attrs": m.group(2), "clusters": list(stack)}

    def label(self, node: str) -> str:
        """The label's text, its lines joined by two spaces (HTML-like labels, or plain ones for wide text)."""
        attrs = self.nodes[node]["attrs"]
        m = re.search(r"label=<(.*?)>, (?:width|tooltip)=", attrs)
        if m:
            return _text(m.group(1)).strip()
        m = re.search(r'label="((?:[^"\\]|\\.)*)"', attrs)
        plain = re.sub(r"\\(.)", lambda e: "  " if e.group(1) == "n" else e.group(1), m.group(1))
        return html.unescape(plain).strip()

    def node(self, ref: str) -> str:
        """The node whose label's first line is `ref`."""
        found = [n for n in self.nodes if self.label(n).split("  ")[0] == ref]
        assert len(found) == 1, (ref, found)
        return found[0]

    def attr(self, node: str, name: str) -> str:
        m = re.search(rf'\b{name}="([^"]*)"', self.nodes[node]["attrs"])
        return m.group(1) if m else ""

    def edge(self, tail: str, head: str) -> str:
        found = [attrs for a, b, attrs in self.edges if (a, b) == (tail, head)]
        assert found, f"no edge {tail} -> {head}"
        return found[0]

    def edge_label(self, tail: str, head: str) -> str:
        m = re.search(r"label=<(.*?)>(?:, |$)", self.edge(tail, head))
        return _text(m.group(1)).strip() if m else ""

    def successors(self, node: str) -> list[str]:
        return [b for a, b, _ in self.edges if a == node]

    def cluster_label(self, cluster: str) -> str:
        return _text(re.search(r"label=<(.*?)>, style=", self.clusters[cluster]).group(1)).strip()


def refs_of(tasks) -> list[str]:
    out = []
    for t in tasks or []:
        out.append(t["taskReferenceName"])
        for case in (t.get("decisionCases") or {}).values():
            out += refs_of(case)
        out += refs_of(t.get("defaultCase"))
        for branch in t.get("forkTasks") or []:
            out += refs_of(branch)
        out += refs_of(t.get("loopOver"))
        inline = (t.get("subWorkflowParam") or {}).get("workflowDefinition")
        if isinstance(inline, dict):
            out += refs_of(inline.get("tasks"))
    return out


def types_of(tasks) -> set[str]:
    out = set()
    for t in tasks or []:
        out.add((t.get("type") or "SIMPLE").upper())
        for case in (t.get("decisionCases") or {}).values():
            out |= types_of(case)
        out |= types_of(t.get("defaultCase"))
        for branch in t.get("forkTasks") or []:
            out |= types_of(branch)
        out |= types_of(t.get("loopOver"))
        inline = (t.get("subWorkflowParam") or {}).get("workflowDefinition")
        if isinstance(inline, dict):
            out |= types_of(inline.get("tasks"))
    return out


def _definitions_in(data):
    if isinstance(data, list):
        for item in data:
            yield from _definitions_in(item)
    elif isinstance(data, dict):
        tasks = data.get("tasks")
        if (isinstance(tasks, list) and "name" in data and "workflowId" not in data
                and all(isinstance(t, dict) and "taskReferenceName" in t for t in tasks)):
            yield data
        elif isinstance(data.get("workflowDef"), dict):  # a start or test request with an inline definition
            yield from _definitions_in(data["workflowDef"])


def reference_definitions() -> list:
    found = []
    for path in sorted(REFERENCE.rglob("*.json")):
        try:
            data = json.loads(path.read_text())
        except ValueError:
            continue  # not JSON (an empty input fixture)
        for number, item in enumerate(_definitions_in(data)):
            found.append(pytest.param(item, id=f"{path.relative_to(REFERENCE)}#{number}"))
    return found


REFERENCE_DEFINITIONS = reference_definitions()


@pytest.fixture(scope="session")
def engine():
    """The layout engine (graphviz-pure, a dependency) is installed and renders."""
    to_svg(definition(T("probe")))


def svg_texts(svg: str) -> tuple[list[str], list[str]]:
    root = ET.fromstring(svg)
    texts = ["".join(e.itertext()).replace("\xa0", " ") for e in root.iter(f"{SVG_NS}text")]
    titles = [e.get(XLINK_TITLE) for e in root.iter() if e.get(XLINK_TITLE)]
    return texts, titles


# -- the reference corpus ----------------------------------------------------------------------------------------

def test_the_corpus_is_there():
    assert len(REFERENCE_DEFINITIONS) > 100


@pytest.mark.parametrize("data", REFERENCE_DEFINITIONS)
def test_reference_definition_dot_names_every_task(data):
    dot = Dot(to_dot(WorkflowDef.from_dict(data)))
    labels = {dot.label(n).split("  ")[0] for n in dot.nodes}
    labels |= {dot.cluster_label(c).split("  ")[0] for c in dot.clusters}
    for ref in refs_of(data["tasks"]):
        assert ref in labels


@pytest.mark.parametrize("data", REFERENCE_DEFINITIONS)
def test_reference_definition_renders_to_well_formed_svg(engine, data):
    svg = to_svg(WorkflowDef.from_dict(data))
    texts, _ = svg_texts(svg)
    shown = " ".join(texts)
    for ref in refs_of(data["tasks"]):
        assert ref in shown
    assert text_outline(WorkflowDef.from_dict(data)).count("\n") >= len(refs_of(data["tasks"]))


# every task type the reference definitions use, and the shape the documented scheme gives it
EXPECTED_SHAPES = {
    "SIMPLE": "box", "DYNAMIC": "box", "HTTP": "cylinder", "INLINE": "box", "LAMBDA": "box",
    "JSON_JQ_TRANSFORM": "box", "SET_VARIABLE": "box", "NOOP": "box", "EVENT": "cds", "KAFKA_PUBLISH": "cds",
    "WAIT": "note", "HUMAN": "note", "TERMINATE": "octagon", "SWITCH": "diamond", "DECISION": "diamond",
    "FORK_JOIN": "box", "FORK_JOIN_DYNAMIC": "box", "JOIN": "box", "EXCLUSIVE_JOIN": "box", "DO_WHILE": "hexagon",
    "SUB_WORKFLOW": "box3d", "START_WORKFLOW": "folder", "USER_DEFINED": "box",
    "USER_TASK": "box", "BLOCKING_SYSTEM_TASK": "box",  # custom system tasks in the test harness
}


def test_every_reference_task_type_has_a_shape():
    used = set()
    for param in REFERENCE_DEFINITIONS:
        used |= types_of(param.values[0]["tasks"])
    assert {"SIMPLE", "SWITCH", "DECISION", "FORK_JOIN", "JOIN", "DO_WHILE", "SUB_WORKFLOW"} <= used
    assert used <= set(EXPECTED_SHAPES), used - set(EXPECTED_SHAPES)


@pytest.mark.parametrize("task_type", sorted(EXPECTED_SHAPES))
def test_each_task_type_is_drawn_with_its_shape(task_type):
    dot = Dot(to_dot(definition(T("the_task", task_type, name="the_name"))))
    node = next(n for n in dot.nodes if "the_task" in dot.label(n) or task_type == "DO_WHILE")
    if task_type == "DO_WHILE":  # the loop is a cluster; its condition node is the hexagon
        node = next(n for n in dot.nodes if dot.attr(n, "shape") == "hexagon")
        assert "DO_WHILE" in dot.cluster_label(dot.nodes[node]["clusters"][-1])
    else:
        assert task_type in dot.label(node)
    assert dot.attr(node, "shape") == EXPECTED_SHAPES[task_type]


def test_workers_system_tasks_and_operators_look_different():
    dot = Dot(to_dot(definition(T("worker"), T("script", "INLINE"), T("call", "HTTP"), T("dyn", "DYNAMIC"),
                                T("bar", "FORK_JOIN", forkTasks=[[T("a")]]), T("bar_join", "JOIN"))))
    worker, script, dyn = dot.node("worker"), dot.node("script"), dot.node("dyn")
    assert "rounded" in dot.attr(worker, "style") and "rounded" not in dot.attr(script, "style")
    assert dot.attr(worker, "fillcolor") != dot.attr(script, "fillcolor")
    assert "dashed" in dot.attr(dyn, "style")
    bar = next(n for n in dot.nodes if "FORK_JOIN" in dot.label(n))
    assert dot.attr(bar, "fontcolor") == "#FFFFFF"  # a dark bar


# -- structures --------------------------------------------------------------------------------------------------

def test_start_and_end_nodes_bracket_a_chain():
    dot = Dot(to_dot(definition(T("one"), T("two"))))
    start = next(n for n in dot.nodes if dot.label(n) == "start")
    end = next(n for n in dot.nodes if dot.label(n) == "end")
    one, two = dot.node("one"), dot.node("two")
    assert dot.successors(start) == [one] and dot.successors(one) == [two] and dot.successors(two) == [end]


def test_fork_branches_meet_at_the_join_and_unjoined_branches_are_dashed():
    dot = Dot(to_dot(definition(
        T("fork", "FORK_JOIN", forkTasks=[[T("a1"), T("a2")], [T("b1")], [T("side")]]),
        T("join", "JOIN", joinOn=["a2", "b1"]), T("after"))))
    fork, join = dot.node("fork"), dot.node("join")
    assert set(dot.successors(fork)) == {dot.node("a1"), dot.node("b1"), dot.node("side")}
    assert dot.successors(dot.node("a1")) == [dot.node("a2")]
    for ref in ("a2", "b1", "side"):
        assert dot.successors(dot.node(ref)) == [join]
    assert "dashed" in dot.edge(dot.node("side"), join)
    assert "dashed" not in dot.edge(dot.node("a2"), join)
    assert dot.successors(join) == [dot.node("after")]


def test_switch_cases_are_labelled_edges_with_default():
    dot = Dot(to_dot(definition(
        T("route", "SWITCH", evaluatorType="value-param", expression="x",
          decisionCases={"red": [T("r1"), T("r2")], "blue": [T("b1")], "none": []}, defaultCase=[T("other")]),
        T("after"))))
    route, after = dot.node("route"), dot.node("after")
    assert dot.edge_label(route, dot.node("r1")) == "red"
    assert dot.edge_label(route, dot.node("b1")) == "blue"
    assert dot.edge_label(route, dot.node("other")) == "default"
    assert dot.edge_label(route, after) == "none"  # an empty case goes straight on
    for ref in ("r2", "b1", "other"):
        assert dot.successors(dot.node(ref)) == [after]


def test_switch_without_default_goes_on_by_default():
    dot = Dot(to_dot(definition(T("d", "DECISION", caseValueParam="p", decisionCases={"1": [T("one")]}),
                                T("after"))))
    assert dot.edge_label(dot.node("d"), dot.node("after")) == "default"


def test_do_while_is_a_labelled_cluster_with_a_repeat_edge():
    dot = Dot(to_dot(definition(
        T("before"),
        T("loop", "DO_WHILE", loopCondition="if ($.loop['iteration'] < 3) { true; } else { false; }",
          loopOver=[T("step"), T("check")]),
        T("after"))))
    step, check = dot.node("step"), dot.node("check")
    cluster = dot.nodes[step]["clusters"][-1]
    assert dot.nodes[check]["clusters"][-1] == cluster
    assert "loop" in dot.cluster_label(cluster) and "DO_WHILE" in dot.cluster_label(cluster)
    condition = next(n for n in dot.nodes if dot.attr(n, "shape") == "hexagon")
    assert "while $.loop['iteration'] < 3" in dot.label(condition)
    assert dot.nodes[condition]["clusters"][-1] == cluster
    repeat = dot.edge(condition, step)
    assert "repeat" in repeat and 'constraint="false"' in repeat
    assert f'lhead="{cluster}"' in dot.edge(dot.node("before"), step)
    assert f'ltail="{cluster}"' in dot.edge(condition, dot.node("after"))
    assert dot.nodes[dot.node("after")]["clusters"] == []


def test_nested_loops_are_nested_clusters():
    dot = Dot(to_dot(definition(T("outer", "DO_WHILE", loopCondition="false",
                                  loopOver=[T("inner", "DO_WHILE", loopCondition="false", loopOver=[T("deep")])]))))
    assert len(dot.nodes[dot.node("deep")]["clusters"]) == 2


def test_inline_sub_workflow_is_a_nested_cluster():
    child = {"name": "child", "version": 2, "tasks": [T("c1"), T("c2", "WAIT")]}
    dot = Dot(to_dot(definition(T("sub", "SUB_WORKFLOW", subWorkflowParam={"name": "child", "version": 2,
                                                                            "workflowDefinition": child}),
                                T("after"))))
    c1 = dot.node("c1")
    cluster = dot.nodes[c1]["clusters"][-1]
    assert dot.nodes[dot.node("c2")]["clusters"][-1] == cluster
    assert "sub" in dot.cluster_label(cluster) and "child v2" in dot.cluster_label(cluster)
    assert dot.successors(c1) == [dot.node("c2")]
    assert f'ltail="{cluster}"' in dot.edge(dot.node("c2"), dot.node("after"))


def test_named_sub_workflow_is_a_node_unless_its_definition_is_given():
    parent = definition(T("sub", "SUB_WORKFLOW", subWorkflowParam={"name": "child", "version": 3}))
    dot = Dot(to_dot(parent))
    node = dot.node("sub")
    assert dot.attr(node, "shape") == "box3d" and "runs child v3" in dot.label(node)
    assert not dot.clusters

    child = definition(T("inside"), name="child")
    for definitions in ({"child": child}, {("child", 3): child.to_dict()}, lambda name, version: child):
        dot = Dot(to_dot(parent, definitions=definitions))
        assert dot.nodes[dot.node("inside")]["clusters"], definitions


def test_a_sub_workflow_calling_itself_stops():
    me = definition(T("again", "SUB_WORKFLOW", subWorkflowParam={"name": "me", "version": 1}), name="me")
    dot = Dot(to_dot(me, definitions={"me": me}))
    assert len(dot.clusters) <= 6
    assert "runs me v1" in dot.source
    assert "me v1" in text_outline(me, definitions={"me": me})


def test_resolver_errors_mean_a_node_not_a_failure():
    def broken(name, version):
        raise ConnectionError("server down")
    dot = Dot(to_dot(definition(T("sub", "SUB_WORKFLOW", subWorkflowParam={"name": "x"})), definitions=broken))
    assert "runs x (latest)" in dot.label(dot.node("sub"))


def test_dynamic_fork_branches_are_known_at_run_time():
    dot = Dot(to_dot(definition(T("fan", "FORK_JOIN_DYNAMIC", dynamicForkTasksParam="tasks",
                                  dynamicForkTasksInputParamName="inputs"), T("fan_join", "JOIN"))))
    fan = dot.node("fan")
    (placeholder,) = dot.successors(fan)
    assert "branches known at run time" in dot.label(placeholder) and "tasks" in dot.label(placeholder)
    assert dot.successors(placeholder) == [dot.node("fan_join")]


def test_terminate_leads_to_the_end():
    dot = Dot(to_dot(definition(
        T("check", "SWITCH", expression="x", evaluatorType="value-param",
          decisionCases={"stop": [T("halt", "TERMINATE", inputParameters={"terminationStatus": "FAILED"})]}),
        T("after"))))
    end = next(n for n in dot.nodes if dot.label(n) == "end")
    halt = dot.node("halt")
    assert dot.successors(halt) == [end]
    assert 'constraint="false"' in dot.edge(halt, end)
    assert "FAILED" in dot.label(halt)


def test_inputs_the_diagrams_accept(tmp_path):
    from conductor_nb import ConductorWorkflow, SimpleTask

    built = ConductorWorkflow(None, "built", 1) >> SimpleTask("worker_a", "a") >> SimpleTask("worker_b", "b")
    assert "worker_b" in to_dot(built)
    as_json = definition(T("x")).to_dict()
    assert Dot(to_dot(as_json)).node("x")
    chain_only = Workflow.from_dict({"workflowId": "w", "workflowName": "no_def", "status": "COMPLETED",
                                     "tasks": [run("p", "COMPLETED", 1), run("q__1", "COMPLETED", 2)]})
    dot = Dot(to_dot(chain_only))
    assert dot.successors(dot.node("p")) == [dot.node("q")]
    run_result = WorkflowRun.from_dict({"workflowId": "w", "status": "RUNNING",
                                        "tasks": [run("only", "IN_PROGRESS", 1)]})
    assert "IN_PROGRESS" in Dot(to_dot(run_result)).label(Dot(to_dot(run_result)).node("only"))
    with pytest.raises(TypeError):
        to_dot(42)


# -- executions --------------------------------------------------------------------------------------------------

STATUSES = ["SCHEDULED", "IN_PROGRESS", "COMPLETED", "COMPLETED_WITH_ERRORS", "FAILED",
            "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT", "CANCELED", "SKIPPED"]


def test_each_status_has_its_own_colour_and_unreached_tasks_are_grey():
    defn = definition(*[T(s.lower()) for s in STATUSES], T("later"))
    wf = execution(defn, *[run(s.lower(), s, i + 1) for i, s in enumerate(STATUSES)])
    dot = Dot(to_dot(wf))
    fills = {s: dot.attr(dot.node(s.lower()), "fillcolor") for s in STATUSES}
    borders = {s: dot.attr(dot.node(s.lower()), "color") for s in STATUSES}
    assert len(set(borders.values())) == len(STATUSES)
    later = dot.node("later")
    grey = (dot.attr(later, "fillcolor"), dot.attr(later, "color"))
    assert grey not in set(zip(fills.values(), borders.values(), strict=True))
    for status in STATUSES:
        assert status in dot.label(dot.node(status.lower()))
    assert "COMPLETED" not in dot.label(later) and "#CFD8DC" in dot.edge(dot.node("skipped"), later)


def test_retries_durations_and_the_latest_attempt():
    defn = definition(T("flaky", "HTTP"), T("slow"))
    wf = execution(defn,
                   run("flaky", "FAILED", 1, "HTTP", 1_000, 1_100, reasonForIncompletion="503 from upstream"),
                   run("flaky", "TIMED_OUT", 2, "HTTP", 2_000, 2_100, retryCount=1),
                   run("flaky", "COMPLETED", 3, "HTTP", 3_000, 3_250, retryCount=2),
                   run("slow", "COMPLETED", 4, scheduled=10_000, end=10_000 + 125_000))
    dot = Dot(to_dot(wf))
    flaky = dot.label(dot.node("flaky"))
    assert "COMPLETED · 250 ms" in flaky and "×3 attempts" in flaky
    assert "2 min 5 s" in dot.label(dot.node("slow"))
    outline = text_outline(wf)
    assert "flaky [HTTP]  COMPLETED · 250 ms · ×3 attempts" in outline


def test_loop_iterations_in_an_execution():
    defn = definition(T("loop", "DO_WHILE", loopCondition="true", loopOver=[T("step"), T("check")]), T("after"))
    wf = execution(defn,
                   run("loop", "IN_PROGRESS", 1, "DO_WHILE", iteration=3),
                   run("step__1", "COMPLETED", 2), run("check__1", "COMPLETED", 3),
                   run("step__2", "COMPLETED", 4), run("check__2", "COMPLETED", 5),
                   run("step__3", "FAILED", 6), run("step__3", "IN_PROGRESS", 7, retryCount=1))
    dot = Dot(to_dot(wf))
    step, check = dot.node("step"), dot.node("check")
    assert "3 iterations" in dot.cluster_label(dot.nodes[step]["clusters"][-1])
    assert "IN_PROGRESS" in dot.label(step) and "×2 attempts · 3 iterations" in dot.label(step)
    assert "COMPLETED" in dot.label(check) and "2 iterations" in dot.label(check)
    unreached = Dot(to_dot(execution(definition(T("after")))))
    assert dot.attr(dot.node("after"), "fillcolor") == unreached.attr(unreached.node("after"), "fillcolor")


def test_the_selected_switch_case_is_the_bold_path():
    defn = definition(T("route", "SWITCH", expression="x", evaluatorType="value-param",
                        decisionCases={"a": [T("on_a")], "b": [T("on_b")]}))
    wf = execution(defn, run("route", "COMPLETED", 1, "SWITCH", outputData={"selectedCase": "b"}),
                   run("on_b", "IN_PROGRESS", 2))
    dot = Dot(to_dot(wf))
    route = dot.node("route")
    assert "penwidth=1.6" in dot.edge(route, dot.node("on_b"))
    assert "#CFD8DC" in dot.edge(route, dot.node("on_a"))


def test_dynamic_fork_execution_draws_the_spawned_tasks():
    defn = definition(T("fan", "FORK_JOIN_DYNAMIC", dynamicForkTasksParam="tasks"), T("fan_join", "JOIN"))
    wf = execution(defn,
                   run("fan", "COMPLETED", 1, "FORK_JOIN_DYNAMIC", inputData={"forkedTasks": ["img_0", "img_1"]}),
                   run("img_0", "COMPLETED", 2), run("img_1", "FAILED", 3), run("img_1", "COMPLETED", 4),
                   run("fan_join", "COMPLETED", 5, "JOIN"), status="COMPLETED")
    dot = Dot(to_dot(wf))
    fan, join = dot.node("fan"), dot.node("fan_join")
    spawned = {dot.node("img_0"), dot.node("img_1")}
    assert set(dot.successors(fan)) == spawned
    assert all(dot.successors(n) == [join] for n in spawned)
    assert "×2 attempts" in dot.label(dot.node("img_1"))
    assert "branch img_1  COMPLETED · ×2 attempts" in text_outline(wf)


def test_sub_workflow_in_an_execution_is_coloured_by_its_task():
    child = {"name": "child", "version": 1, "tasks": [T("c1")]}
    defn = definition(T("sub", "SUB_WORKFLOW", subWorkflowParam={"name": "child", "workflowDefinition": child}))
    wf = execution(defn, run("sub", "FAILED", 1, "SUB_WORKFLOW", subWorkflowId="child-1"), status="FAILED")
    dot = Dot(to_dot(wf))
    c1 = dot.node("c1")
    cluster_line = dot.clusters[dot.nodes[c1]["clusters"][-1]]
    assert "FAILED" in _text(cluster_line) and "#E53935" in cluster_line
    assert "FAILED" not in dot.label(c1)  # the child's own tasks belong to another execution


def test_execution_title_and_end_show_the_workflow_status():
    wf = execution(definition(T("a")), run("a", "FAILED", 1), status="FAILED")
    wf.reason_for_incompletion = "Task a failed"
    dot = to_dot(wf)
    assert "FAILED · wf-1" in _text(dot) and "Task a failed" in _text(dot)
    end = Dot(dot)
    node = next(n for n in end.nodes if end.label(n) == "end")
    assert end.attr(node, "fillcolor") == end.attr(end.node("a"), "fillcolor")


# -- escaping ----------------------------------------------------------------------------------------------------

HOSTILE = ['a"b', "c{d}e", "<b>bold</b>&amp;", "back\\slash\\N\\", "\\G\\E\\T\\H\\L\\n\\l\\r", "日本語のタスク",
           "emoji 🚀", "-->", "]]>", "x;y=z", '\\"', "&#x41;", "it's", "${workflow.input.x}", "[label=evil]"]


def hostile_definition():
    return definition(*[T(ref, name=ref) for ref in HOSTILE],
                      T("sw", "SWITCH", expression="x", evaluatorType="value-param",
                        decisionCases={'"q"<>&\\N': [T("z")]}),
                      name='wf "<hostile>" {x}', description="d & <e>")


def test_hostile_names_stay_inside_their_labels():
    dot = Dot(to_dot(hostile_definition()))
    assert len(dot.nodes) == len(HOSTILE) + 4  # the tasks, the switch's case task, start and end: nothing leaked
    for ref in HOSTILE:
        assert dot.node(ref)


def test_control_characters_and_newlines_are_cleaned():
    dot = to_dot(definition(T("bad\x00\x07ref\nline\ttab")))
    assert "\x00" not in dot and "\x07" not in dot
    assert "bad??ref line tab" in _text(dot)


def test_hostile_names_render_exactly(engine):
    svg = to_svg(hostile_definition())
    texts, titles = svg_texts(svg)
    for ref in HOSTILE:
        assert ref in texts, ref
        assert any(t.startswith(f"{ref} (SIMPLE)") for t in titles), ref
    assert ' "q"<>&\\N ' in texts
    assert 'wf "<hostile>" {x} v1' in texts
    # text graphviz cannot measure (CJK, emoji) is centred, in a node sized for it
    wide = [e for e in ET.fromstring(svg).iter(f"{SVG_NS}text") if e.text == "日本語のタスク"]
    assert wide and wide[0].get("text-anchor") == "middle"
    dot = Dot(to_dot(hostile_definition()))
    assert float(dot.attr(dot.node("日本語のタスク"), "width") or re.search(
        r"width=([\d.]+)", dot.nodes[dot.node("日本語のタスク")]["attrs"]).group(1)) > 1.3


# -- rendering and the display -----------------------------------------------------------------------------------

def kitchensink() -> WorkflowDef:
    return WorkflowDef.from_dict(json.loads((REFERENCE / "kitchensink" / "kitchensink.json").read_text()))


def test_render_writes_svg_png_and_dot(engine, tmp_path):
    svg = render(kitchensink(), tmp_path / "k.svg")
    ET.parse(svg)
    png = render(kitchensink(), tmp_path / "k.png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert render(kitchensink(), tmp_path / "k.dot").read_text().startswith("digraph")
    assert render(kitchensink(), tmp_path / "out", format="svg").read_text().lstrip().startswith("<?xml")


def test_render_names_the_alternative_for_unsupported_formats(tmp_path):
    with pytest.raises(RenderError, match=r"\.svg, \.png"):
        render(kitchensink(), tmp_path / "k.pdf")


def test_mimebundle_has_svg_and_text(engine):
    bundle = mimebundle(kitchensink())
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    assert bundle["image/svg+xml"].startswith("<svg")
    ET.fromstring(bundle["image/svg+xml"])
    assert bundle["text/plain"].startswith("kitchensink v1")
    assert set(mimebundle(kitchensink(), include=["text/plain"])) == {"text/plain"}
    assert set(mimebundle(kitchensink(), exclude=["text/plain"])) == {"image/svg+xml"}


def test_mimebundle_falls_back_to_the_outline_when_rendering_fails(monkeypatch):
    monkeypatch.setenv(diagrams.ENGINE_ENV, "/nonexistent/dot")
    bundle = mimebundle(kitchensink())
    assert set(bundle) == {"text/plain"}
    text = bundle["text/plain"]
    assert text.startswith("kitchensink v1\n  task_1 [SIMPLE]")
    assert "    case '1':" in text and "          wf3 [SUB_WORKFLOW sub_workflow_x]" in text
    assert "diagram unavailable: RenderError" in text and diagrams.ENGINE_ENV in text


def test_a_failing_engine_is_a_reason_not_an_exception(monkeypatch, tmp_path):
    failing = tmp_path / ("fail.bat" if sys.platform == "win32" else "fail")
    failing.write_text("@echo boom 1>&2\r\n@exit /b 3\r\n" if sys.platform == "win32" else
                       "#!/bin/sh\necho 'Error: boom' >&2\nexit 3\n")
    failing.chmod(0o755)
    monkeypatch.setenv(diagrams.ENGINE_ENV, str(failing))
    with pytest.raises(RenderError, match="exit 3"):
        to_svg(definition(T("a")))
    assert "boom" in mimebundle(definition(T("a")))["text/plain"]


def test_a_missing_engine_says_how_to_install_it(monkeypatch):
    monkeypatch.delenv(diagrams.ENGINE_ENV, raising=False)
    monkeypatch.setattr(diagrams, "ENGINE", "no-such-graphviz-engine")
    with pytest.raises(RenderError, match=r"pip install graphviz-pure"):
        to_svg(definition(T("a")))


def test_mimebundle_never_raises():
    for thing in (None, 42, object(), {"tasks": "not a list"}):
        bundle = mimebundle(thing)
        assert set(bundle) == {"text/plain"} and "unavailable" in bundle["text/plain"]


def test_importing_the_notebook_layer_stays_light():
    code = ("import sys, conductor_nb.notebook, conductor_nb.notebook.diagrams; "
            "heavy = {'IPython', 'pandas', 'ipywidgets', 'graphviz', 'numpy'} & set(sys.modules); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_importing_conductor_nb_loads_no_notebook_library_and_drawing_loads_the_diagrams_only():
    code = ("import sys, conductor_nb\n"
            "heavy = {'IPython', 'pandas', 'ipywidgets', 'graphviz', 'numpy'}\n"
            "assert not heavy & set(sys.modules), heavy & set(sys.modules)\n"
            "assert 'conductor_nb.notebook.diagrams' not in sys.modules\n"
            "wf = conductor_nb.ConductorWorkflow(None, 'light', 1) >> conductor_nb.SimpleTask('t', 't')\n"
            "assert wf.to_dot().startswith('digraph') and wf.to_workflow_def().to_dot().startswith('digraph')\n"
            "assert 'conductor_nb.notebook.diagrams' in sys.modules\n"
            "assert not heavy & set(sys.modules), heavy & set(sys.modules)\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the models' own display methods -----------------------------------------------------------------------------

def _display_subjects():
    from conductor_nb import ConductorWorkflow, SimpleTask

    built = ConductorWorkflow(None, "shown", 1) >> SimpleTask("worker_a", "a") >> SimpleTask("worker_b", "b")
    defn = built.to_workflow_def()
    workflow = execution(defn, run("a", "COMPLETED", 1, end=2_000), run("b", "IN_PROGRESS", 2))
    return {"ConductorWorkflow": built, "WorkflowDef": defn, "Workflow": workflow,
            "WorkflowRun": WorkflowRun.from_dict(workflow.to_dict())}


@pytest.mark.parametrize("kind", ["ConductorWorkflow", "WorkflowDef", "Workflow", "WorkflowRun"])
def test_definitions_and_executions_draw_themselves(engine, tmp_path, kind):
    subject = _display_subjects()[kind]
    assert subject.to_dot() == to_dot(subject)
    assert subject.to_dot(rankdir="LR") == to_dot(subject, rankdir="LR")
    assert subject._repr_mimebundle_() == mimebundle(subject)
    assert subject._repr_mimebundle_()["image/svg+xml"].startswith("<svg")
    assert set(subject._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}
    assert set(subject._repr_mimebundle_(exclude=["text/plain"])) == {"image/svg+xml"}
    assert subject.render(tmp_path / "d.svg") == tmp_path / "d.svg"
    ET.parse(tmp_path / "d.svg")
    assert subject.render(tmp_path / "d.png").read_bytes().startswith(b"\x89PNG")
    assert subject.render(tmp_path / "d", format="dot").read_text() == to_dot(subject)
    if kind in ("Workflow", "WorkflowRun"):
        assert "IN_PROGRESS" in subject.to_dot()  # drawn as an execution


@pytest.mark.parametrize("kind", ["ConductorWorkflow", "WorkflowDef", "Workflow", "WorkflowRun"])
def test_a_models_display_never_raises(monkeypatch, tmp_path, kind):
    monkeypatch.setenv(diagrams.ENGINE_ENV, "/nonexistent/dot")
    bundle = _display_subjects()[kind]._repr_mimebundle_()
    assert set(bundle) == {"text/plain"} and "diagram unavailable" in bundle["text/plain"]
    broken = Workflow.from_dict({"status": "NOT_A_STATUS", "tasks": [{"status": 42, "seq": "x"}]})
    assert "text/plain" in broken._repr_mimebundle_()
    with pytest.raises(RenderError):
        _display_subjects()[kind].render(tmp_path / "never.svg")
