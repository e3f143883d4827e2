"""Differential runs: one definition from Conductor's own corpus, executed on two ConductorAPIs (the embedded Engine
and a real Conductor server) with the same worker, and the outcomes compared.

- The corpus is /work/shared/reference/workflows (or $CONDUCTOR_NB_REFERENCE/workflows): every workflow
  definition in it, inline ones (start and test requests) included, and its task definitions.
- HTTP tasks call a stub on 127.0.0.1 instead of the hosts they name (this machine reaches no other host): the
  scheme and host of a literal `uri` are replaced, its path and query kept. The stub answers every request with
  200 and `{"path", "method", "body"}`.
- The worker completes every task that is not a system task with an output derived only from its input:
  `{"worker": <task type>, "digest": <8 hex of the input's canonical JSON>, "inputKeys": [...]}` (ids and times in
  the input are masked first, so both engines see the same digest).
- A run ends when the workflow (and its sub-workflows) reaches a terminal status, or settles: nothing for the
  worker to do and no change for a while (longer when a short WAIT is pending). Then it is terminated.
- Compared: the final status, the workflow output, and the sequence of (task reference, status), with ids and
  epoch-millisecond times masked.
- Cases run three at a time (CONDUCTOR_PEER_DIFF_THREADS), never two that share a workflow name or a
  sub-workflow (see groups()).

Run as a script (`python tests/peer/differential.py`) it starts the peer, runs every definition and prints the
markdown table that docs/compatibility.md keeps.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional

from conductor_nb import StartWorkflowRequest, TaskDef, TaskResult, WorkflowDef
from conductor_nb.errors import ConductorError

CORPUS = Path(os.environ.get("CONDUCTOR_NB_REFERENCE", "/work/shared/reference")) / "workflows"
TERMINAL = {"COMPLETED", "FAILED", "TERMINATED", "TIMED_OUT"}
SYSTEM_TYPES = {
    "DECISION", "SWITCH", "FORK", "FORK_JOIN", "FORK_JOIN_DYNAMIC", "JOIN", "EXCLUSIVE_JOIN", "DO_WHILE",
    "SUB_WORKFLOW", "START_WORKFLOW", "HTTP", "INLINE", "LAMBDA", "JSON_JQ_TRANSFORM", "SET_VARIABLE", "TERMINATE",
    "WAIT", "HUMAN", "EVENT", "NOOP", "KAFKA_PUBLISH", "DYNAMIC",
}
WORKER_ID = "differential-worker"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
THREADS = int(os.environ.get("CONDUCTOR_PEER_DIFF_THREADS", "3"))  # cases run at the same time
DURATION = re.compile(r"^\s*(\d+)\s*(s|sec|secs|second|seconds)?\s*$", re.I)


# ------------------------------------------------------------------------------------------------------ corpus
@dataclass
class Case:
    id: str          # path in the corpus, plus ::name:vN when a file holds several definitions
    definition: dict


def _load(path: Path):
    text = path.read_text()
    return json.loads(text) if text.strip() else None


def _is_workflow_def(item) -> bool:
    return isinstance(item, dict) and "name" in item and isinstance(item.get("tasks"), list)


def _is_task_def(item) -> bool:
    return isinstance(item, dict) and "name" in item and "tasks" not in item and "taskReferenceName" not in item \
        and any(k in item for k in ("retryCount", "timeoutSeconds", "responseTimeoutSeconds", "retryLogic"))


def corpus_cases() -> list[Case]:
    cases = []
    for path in sorted(CORPUS.rglob("*.json")):
        data = _load(path)
        rel = path.relative_to(CORPUS).as_posix()
        if isinstance(data, dict) and _is_workflow_def(data.get("workflowDef")):
            cases.append(Case(f"{rel}::workflowDef", data["workflowDef"]))
            continue
        items = data if isinstance(data, list) else [data]
        defs = [i for i in items if _is_workflow_def(i)]
        for d in defs:
            cases.append(Case(rel if len(defs) == 1 else f"{rel}::{d['name']}:v{d.get('version', 1)}", d))
    return cases


# Tasks of the test harness's own system task types (USER_TASK, BLOCKING_SYSTEM_TASK), which both servers run as
# worker tasks: Conductor registers them without a task definition, conductor_nb only with one (a type it does
# not run must have one, or a typo would register and wait forever; docs/compatibility.md C31), so both get one.
HARNESS_TYPED_TASKS = ("user_task", "test_task_with_rateLimits", "blocking_system_task")


def corpus_task_defs() -> list[dict]:
    out = {}
    for path in sorted(CORPUS.rglob("*.json")):
        data = _load(path)
        for item in data if isinstance(data, list) else [data]:
            if _is_task_def(item):
                out[item["name"]] = item
    for name in HARNESS_TYPED_TASKS:
        out.setdefault(name, {"name": name, "ownerEmail": "test@harness.com"})
    return list(out.values())


def walk(tasks):
    """Every WorkflowTask (as JSON) in a task list, nested ones included."""
    for t in tasks or []:
        if not isinstance(t, dict):
            continue
        yield t
        for branch in t.get("forkTasks") or []:
            yield from walk(branch)
        for branch in (t.get("decisionCases") or {}).values():
            yield from walk(branch)
        yield from walk(t.get("defaultCase"))
        yield from walk(t.get("loopOver"))
        inline = (t.get("subWorkflowParam") or {}).get("workflowDefinition")
        if isinstance(inline, dict):
            yield from walk(inline.get("tasks"))


def localise(definition: dict, stub_url: str) -> dict:
    """A copy of the definition whose HTTP tasks call the stub (scheme and host of literal uris replaced)."""
    copy = json.loads(json.dumps(definition))
    for t in walk(copy.get("tasks")):
        if t.get("type") != "HTTP":
            continue
        params = t.get("inputParameters") or {}
        request = params.get("http_request") if isinstance(params.get("http_request"), dict) else params
        uri = request.get("uri")
        if isinstance(uri, str):
            request["uri"] = re.sub(r"^https?://[^/?#]*", stub_url, uri)
    return copy


def settle_seconds(definition: dict) -> float:
    """How long a run may stay unchanged before it counts as settled: 2.5 s, or a short WAIT's duration + 2.5."""
    longest = 0
    for t in walk(definition.get("tasks")):
        if t.get("type") == "WAIT":
            match = DURATION.match(str((t.get("inputParameters") or {}).get("duration", "")))
            if match and int(match.group(1)) <= 10:
                longest = max(longest, int(match.group(1)))
    return 2.5 + longest


# ---------------------------------------------------------------------------------------------- the HTTP stub
class _Stub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        body = self._body()
        data = json.dumps({"path": self.path, "method": self.command, "body": body}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = b""
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                raw += self.rfile.read(size)
                self.rfile.readline()
        else:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode(errors="replace")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, *args):
        pass


class HttpStub:
    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ------------------------------------------------------------------------------------------------- masking
def mask(value: Any) -> Any:
    """Ids, epoch-millisecond times and HTTP Date headers replaced, so outputs compare across engines."""
    if isinstance(value, dict):
        return {k: "<date>" if k == "Date" else mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, str):
        return UUID.sub("<id>", value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 1_000_000_000_000:
        return "<time>"
    return value


def worker_output(task_type: str, input_data: dict) -> dict:
    canonical = json.dumps(mask(input_data or {}), sort_keys=True, default=str)
    return {"worker": task_type, "digest": hashlib.sha1(canonical.encode()).hexdigest()[:8],
            "inputKeys": sorted(input_data or {})}


# ------------------------------------------------------------------------------------------------------ a run
@dataclass
class Outcome:
    registered: bool = True
    error: Optional[str] = None          # refused at registration or start
    status: Optional[str] = None
    output: Any = None
    tasks: list = field(default_factory=list)
    reason: Optional[str] = None
    seconds: float = 0.0
    notes: list = field(default_factory=list)  # errors the server answered to the worker's updates

    def key(self):
        """What is compared."""
        if self.error is not None:
            return ("refused",)
        return (self.status, self.output, self.tasks)

    def summary(self) -> str:
        if self.error is not None:
            return f"refused: {self.error[:120]}"
        return f"{self.status}, {len(self.tasks)} tasks"


def prepare(api, cases: list[Case], task_defs: list[dict], stub_url: str) -> dict[str, str]:
    """Register the corpus's task definitions and every definition (for sub-workflows by name). Returns the
    registration errors by case id."""
    errors = {}
    try:
        api.register_task_defs([TaskDef.from_dict(d) for d in task_defs])
    except ConductorError as e:
        errors["<task defs>"] = str(e)
    for case in cases:
        try:
            api.register_workflow_def(WorkflowDef.from_dict(localise(case.definition, stub_url)), overwrite=True)
        except ConductorError as e:
            errors[case.id] = str(e)
    return errors


def run_case(api, case: Case, stub_url: str, deadline_s: float = 25.0) -> Outcome:
    """Register the case's definition (again: another file may share its name), start it with an empty input,
    work it to its end or until it settles, terminate what is left, and return the outcome."""
    began = time.monotonic()
    definition = localise(case.definition, stub_url)
    try:
        api.register_workflow_def(WorkflowDef.from_dict(definition), overwrite=True)
        wf_id = api.start_workflow(StartWorkflowRequest(name=definition["name"],
                                                        version=definition.get("version", 1), input={}))
    except ConductorError as e:
        return Outcome(registered=False, error=f"{type(e).__name__}: {e}", seconds=time.monotonic() - began)

    settle = settle_seconds(definition)
    notes: list[str] = []
    last_change, last_seen = time.monotonic(), None
    try:
        while True:
            tree = _tree(api, wf_id)
            worked = _work(api, tree, notes)
            seen = [(t.reference_task_name, t.status) for wf in tree for t in wf.tasks] + \
                   [(wf.workflow_id, wf.status) for wf in tree]
            if worked or seen != last_seen:
                last_change, last_seen = time.monotonic(), seen
            root = tree[0]
            if root.status in TERMINAL and all(wf.status in TERMINAL for wf in tree):
                _let_tasks_finish(api, wf_id)
                break
            now = time.monotonic()
            if now - last_change > settle or now - began > deadline_s:
                break
            time.sleep(0.1)
    finally:
        root = api.get_workflow(wf_id)
        if root.status not in TERMINAL:
            try:
                api.terminate_workflow(wf_id, reason="differential run over")
            except ConductorError:
                pass
            _quiesce(api, wf_id)
    return Outcome(status=root.status, output=mask(root.output or {}),
                   tasks=[(t.reference_task_name, t.status) for t in root.tasks],
                   reason=root.reason_for_incompletion, seconds=time.monotonic() - began, notes=notes)


def _let_tasks_finish(api, wf_id: str, limit_s: float = 3.0) -> None:
    """An ended workflow may still show an asynchronous task (a JOIN) finishing on Conductor: wait (bounded)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if all(t.status not in ("SCHEDULED", "IN_PROGRESS") for t in api.get_workflow(wf_id).tasks):
            return
        time.sleep(0.1)


def _quiesce(api, wf_id: str, limit_s: float = 3.0) -> None:
    """After terminating a run: wait (bounded) until its sub-workflows have ended too, so no system task of it is
    still at work when the next test empties the server."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            if all(wf.status in TERMINAL for wf in _tree(api, wf_id)):
                return
        except ConductorError:
            return
        time.sleep(0.1)


def _tree(api, wf_id: str) -> list:
    """The workflow and its sub-workflows, depth first."""
    out, todo = [], [wf_id]
    while todo:
        wf = api.get_workflow(todo.pop(0))
        out.append(wf)
        todo.extend(t.sub_workflow_id for t in wf.tasks if t.sub_workflow_id and t.task_type == "SUB_WORKFLOW")
    return out


def _work(api, tree, notes: list) -> bool:
    """Poll and complete the worker tasks scheduled in the tree; True if any was done. An update the server
    refuses is noted (once per message) and the task left as it is."""
    types = {t.task_type for wf in tree for t in wf.tasks
             if t.status == "SCHEDULED" and t.task_type not in SYSTEM_TYPES}
    done = False
    for task_type in sorted(types):
        for task in api.batch_poll_tasks(task_type, WORKER_ID, 20, 100):
            try:
                api.update_task(TaskResult(task_id=task.task_id, workflow_instance_id=task.workflow_instance_id,
                                           status="COMPLETED",
                                           output_data=worker_output(task.task_type, task.input_data)))
            except ConductorError as e:
                note = f"update of {task.reference_task_name} refused: {type(e).__name__}: {e}"
                if note not in notes:
                    notes.append(note)
            done = True
    return done


def compare(engine: Outcome, peer: Outcome) -> tuple[list[str], list[str]]:
    """(differences, notes) in words. Both empty: the same outcome. Notes only: the same tasks, statuses and
    output, with the tasks of parallel branches listed in another order (their sequence numbers follow the
    order in which each engine happened to schedule them), which is no difference of behaviour."""
    if engine.error is not None or peer.error is not None:
        if engine.error is not None and peer.error is not None:
            return [], []
        who = "conductor_nb" if engine.error is not None else "Conductor"
        return [f"{who} refused it ({(engine.error or peer.error)[:160]})"], []
    diffs, notes = [], []
    if engine.status != peer.status:
        diffs.append(f"status: ours {engine.status}, Conductor {peer.status}")
    peer_tasks = peer.tasks
    if engine.status == peer.status == "COMPLETED":
        # Conductor evaluates JOINs asynchronously: now and then the workflow completes first and the JOIN is left
        # CANCELED where ours is COMPLETED (D8 in docs/compatibility.md). The same outcome, with a note.
        raced = {ref for ref, status in peer.tasks if status == "CANCELED"} & {
            ref for ref, status in engine.tasks if status == "COMPLETED"}
        if raced:
            peer_tasks = [(ref, "COMPLETED" if ref in raced and status == "CANCELED" else status)
                          for ref, status in peer.tasks]
            notes.append(f"Conductor left {sorted(raced)} CANCELED as the workflow completed (D8, timing)")
    if engine.tasks != peer_tasks:
        if sorted(engine.tasks) == sorted(peer_tasks):
            notes.append("the same tasks, parallel branches listed in another order")
        else:
            ours, theirs = set(engine.tasks), set(peer_tasks)
            diffs.append(f"tasks: only ours {sorted(ours - theirs)[:6]}, only Conductor's {sorted(theirs - ours)[:6]}"
                         if ours != theirs else "task repetitions differ")
    if engine.output != peer.output:
        diffs.append(f"output: ours {json.dumps(engine.output, default=str)[:200]}, "
                     f"Conductor {json.dumps(peer.output, default=str)[:200]}")
    return diffs, notes


def run_both(engine_api, peer_api, case: Case, stub_url: str) -> tuple[Outcome, Outcome]:
    """The case on both homes at once (two threads: the engine is in this process, the peer another one)."""
    results: dict[str, Outcome] = {}

    def go(name, api):
        try:
            results[name] = run_case(api, case, stub_url)
        except Exception as e:  # noqa: BLE001 - reported as the outcome
            results[name] = Outcome(error=f"harness error: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=go, args=("ours", engine_api)),
               threading.Thread(target=go, args=("peer", peer_api))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results["ours"], results["peer"]


def groups(cases: list[Case]) -> list[list[Case]]:
    """The cases in groups that must not run at the same time: those that share a workflow name, or name each
    other as sub-workflows (each run registers its definition again). Each group keeps the corpus order."""
    parent: dict[str, str] = {}

    def find(name):
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    for case in cases:
        own = case.definition["name"]
        for t in walk(case.definition.get("tasks")):
            params = t.get("subWorkflowParam") or {}
            start = (t.get("inputParameters") or {}).get("startWorkflow")
            for other in (params.get("name"), start.get("name") if isinstance(start, dict) else None):
                if isinstance(other, str) and "${" not in other:
                    parent[find(other)] = find(own)
    out: dict[str, list[Case]] = {}
    for case in cases:
        out.setdefault(find(case.definition["name"]), []).append(case)
    return list(out.values())


def run_all(engine_api, peer_api, cases: list[Case], stub_url: str, threads: int = 3) -> dict:
    """{case id: (ours, Conductor's)} for every case; `threads` groups at a time (see groups()), each case on both
    homes at once. Workers of concurrent cases may complete each other's tasks: the output depends on the input
    only, so that changes nothing."""
    from concurrent.futures import ThreadPoolExecutor

    results = {}

    def run_group(group):
        for case in group:
            results[case.id] = run_both(engine_api, peer_api, case, stub_url)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(run_group, g) for g in sorted(groups(cases), key=len, reverse=True)]:
            future.result()
    return results


# ------------------------------------------------------------------------------------------- as a script
def main() -> None:  # pragma: no cover - a tool for refreshing docs/compatibility.md
    import sys
    import tempfile

    sys.path.insert(0, str(Path(__file__).parent))
    import conductor_peer
    from conductor_nb.engine import Engine
    from conductor_nb.http import HttpConductor

    server = conductor_peer.shared()
    stub = HttpStub()
    cases = corpus_cases()
    only = set(sys.argv[1:])
    if only:
        cases = [c for c in cases if c.id in only or any(o in c.id for o in only)]
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(str(Path(tmp) / "differential.db"))
        peer = HttpConductor(server.url)
        conductor_peer.reset(server.url)
        task_defs = corpus_task_defs()
        refused = {"ours": prepare(engine, corpus_cases(), task_defs, stub.url),
                   "peer": prepare(peer, corpus_cases(), task_defs, stub.url)}
        rows = []
        began = time.monotonic()
        outcomes = run_all(engine, peer, cases, stub.url, THREADS)
        for case in cases:
            ours, theirs = outcomes[case.id]
            diffs, notes = compare(ours, theirs)
            rows.append((case.id, ours, theirs, diffs, notes))
            print(f"{case.id}: {'; '.join(diffs) or 'same' + (' (' + '; '.join(notes) + ')' if notes else '')}",
                  file=sys.stderr, flush=True)
        print(f"{len(cases)} definitions in {time.monotonic() - began:.0f} s", file=sys.stderr)
        engine.close()
    stub.close()
    print("| definition | conductor_nb | Conductor | same? |")
    print("|---|---|---|---|")
    for case_id, ours, theirs, diffs, notes in rows:
        same = "no" if diffs else "yes, task order" if notes else "yes"
        print(f"| {case_id} | {ours.summary()} | {theirs.summary()} | {same} |")
    print(json.dumps({k: v for k, v in refused.items() if v}, indent=1), file=sys.stderr)
    conductor_peer.stop_shared()


if __name__ == "__main__":  # pragma: no cover
    main()
