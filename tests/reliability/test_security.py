"""Security: the server listens on loopback unless told otherwise; with auth on, missing, invalid and expired tokens
get Orkes's 401 answers; search input cannot change the SQL; INLINE scripts and jq programs cannot read files, the
network or the environment; the server never logs secrets or tokens.
"""

from __future__ import annotations

import json
import logging
import socket
import time

import requests

from conductor_nb import StartWorkflowRequest, WorkflowDef, WorkflowTask
from conductor_nb.engine import search
from conductor_nb.server import ConductorServer
from conductor_nb.server.auth import TokenIssuer

SECRET = "s3cret-Never-Logged-7f2a"


# ------------------------------------------------------------------------------------------------- loopback
def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_the_server_listens_on_loopback_by_default(engine, server_process):
    in_process = ConductorServer(engine, port=0)
    try:
        assert in_process.host == "127.0.0.1"
    finally:
        in_process.stop()
    cli = server_process()  # `conductor-nb server` without --host
    assert cli.url.startswith("http://127.0.0.1:")
    addresses = _listening_addresses(cli.port)
    if addresses:  # (where /proc/net is readable)
        assert addresses == {"0100007F"}, addresses  # 127.0.0.1 only, not 0.0.0.0


# ------------------------------------------------------------------------------------------------------ auth
def test_missing_invalid_and_expired_tokens_get_orkes_401s(engine):
    with ConductorServer(engine, port=0, credentials={"app": SECRET}, token_ttl_s=0.5) as server:
        url = f"{server.url}/metadata/workflow"
        token = requests.post(f"{server.url}/token", json={"keyId": "app", "keySecret": SECRET}).json()["token"]
        assert requests.get(url, headers={"X-Authorization": token}).status_code == 200
        invalid = {"status": 401, "retryable": False, "error": "INVALID_TOKEN"}
        cases = {
            "missing": {},
            "empty": {"X-Authorization": ""},
            "garbage": {"X-Authorization": "not-a-token"},
            "forged signature": {"X-Authorization": token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")},
            "another server's": {"X-Authorization": TokenIssuer({"app": SECRET}, 60).issue("app", SECRET)},
            "alg none": {"X-Authorization": token.rsplit(".", 1)[0] + "."},
        }
        for case, headers in cases.items():
            answer = requests.get(url, headers=headers)
            assert answer.status_code == 401, case
            assert {k: answer.json()[k] for k in invalid} == invalid, (case, answer.json())
        for method, path in (("POST", "/workflow/x"), ("GET", "/tasks/poll/batch/x"), ("GET", "/workflow/search"),
                             ("DELETE", "/metadata/workflow/x/1")):
            assert requests.request(method, server.url + path, json={}).status_code == 401, path
        time.sleep(0.6)
        expired = requests.get(url, headers={"X-Authorization": token})
        assert expired.status_code == 401
        assert expired.json() == {"status": 401, "message": "Token has expired", "instance": socket.gethostname(),
                                  "retryable": False, "error": "EXPIRED_TOKEN"}
        wrong = requests.post(f"{server.url}/token", json={"keyId": "app", "keySecret": "guess"})
        assert wrong.status_code == 401 and "error" not in wrong.json()


# ----------------------------------------------------------------------------------------------------- search
INJECTIONS = [
    ("query", "workflowType = 'x' OR 1=1 --"),
    ("query", "workflowType = 'x'' OR ''1''=''1'"),
    ("query", "workflowType = x'; DROP TABLE workflow; --"),
    ("query", "status IN (RUNNING) UNION SELECT sql FROM sqlite_master"),
    ("query", "workflowId = \"a\\\" OR 1=1 --\""),
    ("query", "1=1; DELETE FROM workflow"),
    ("query", "json) OR (1=1"),
    ("freeText", "%' OR '1'='1"),
    ("freeText", "*') UNION SELECT sql FROM sqlite_master --"),
    ("sort", "workflowId; DROP TABLE workflow"),
    ("sort", "(SELECT 1):ASC"),
    ("sort", "startTime:DESC, json"),
]


def test_search_input_cannot_change_the_sql(engine, monkeypatch):
    engine.register_workflow_def(WorkflowDef(name="victim", version=1, tasks=[
        WorkflowTask(name="w", task_reference_name="w")]))
    for n in range(3):
        engine.start_workflow(StartWorkflowRequest(name="victim", version=1, input={"n": n}))
    compiled: list[tuple[str, list]] = []
    original = search.compile_search

    def recording(*args, **kwargs):
        count_sql, count_params, page_sql, page_params = original(*args, **kwargs)
        compiled.append((count_sql + " | " + page_sql, page_params))
        return count_sql, count_params, page_sql, page_params

    monkeypatch.setattr(search, "compile_search", recording)
    with ConductorServer(engine, port=0) as server:
        for endpoint in ("workflow", "tasks"):
            for param, value in INJECTIONS:
                compiled.clear()
                answer = requests.get(f"{server.url}/{endpoint}/search", params={param: value})
                assert answer.status_code in (200, 400), (endpoint, param, value, answer.text)
                if answer.status_code == 400:
                    assert answer.json()["validationErrors"][0]["path"] == param
                    continue
                assert answer.json()["totalHits"] == 0, (endpoint, param, value)
                for sql, params in compiled:  # the text is the compiler's own; the input only ever a parameter
                    for marker in ("DROP", "DELETE", "UNION", "sqlite_master", "--", ";", "1=1", "'1'"):
                        assert marker not in sql, (param, value, sql)
    db = engine._store  # the tables are all there and untouched
    assert db.count("SELECT COUNT(*) FROM workflow", []) == 3
    assert db.count("SELECT COUNT(*) FROM task", []) == 3


# ------------------------------------------------------------------------------------------------ sandboxes
def _script_workflow(engine, name, task):
    return engine.execute_workflow(StartWorkflowRequest(
        name=name, workflow_def=WorkflowDef(name=name, tasks=[WorkflowTask.from_dict(task)])), wait_for_seconds=20)


def inline(engine, code):
    run = _script_workflow(engine, "probe_js", {"name": "js", "taskReferenceName": "js", "type": "INLINE",
                                                "inputParameters": {"evaluatorType": "javascript",
                                                                    "expression": code}})
    return run.tasks[0].output_data.get("result"), run.tasks[0].reason_for_incompletion


def jq(engine, program):
    run = _script_workflow(engine, "probe_jq", {"name": "jq", "taskReferenceName": "jq", "type": "JSON_JQ_TRANSFORM",
                                                "inputParameters": {"queryExpression": program}})
    return run.tasks[0].output_data.get("result"), run.tasks[0].reason_for_incompletion


def test_inline_scripts_cannot_reach_files_the_network_or_the_environment(engine, monkeypatch):
    monkeypatch.setenv("CONDUCTOR_NB_TEST_SECRET", SECRET)
    hosts = ["require", "process", "fetch", "XMLHttpRequest", "WebSocket", "Deno", "Bun", "load", "read",
             "readFile", "readbuffer", "os", "std", "quit", "setTimeout", "importScripts", "navigator", "module"]
    result, _ = inline(engine, "[" + ", ".join(f"typeof {name}" for name in hosts) + "].join(',')")
    assert result == ",".join(["undefined"] * len(hosts))
    result, _ = inline(engine, "JSON.stringify(Object.getOwnPropertyNames(globalThis)) + JSON.stringify($)")
    assert SECRET not in result and "CONDUCTOR_NB_TEST_SECRET" not in result
    result, reason = inline(engine, "import('fs').then(fs => fs.readFileSync('/etc/passwd'))")
    assert "root:" not in json.dumps(result)


def test_jq_programs_cannot_read_the_environment_or_files_by_path(engine, monkeypatch, tmp_path):
    monkeypatch.setenv("CONDUCTOR_NB_TEST_SECRET", SECRET)
    result, _ = jq(engine, "$ENV | tostring")
    assert SECRET not in result and "CONDUCTOR_NB_TEST_SECRET" not in result
    (tmp_path / "secret.json").write_text(json.dumps({"secret": SECRET}))
    for program in (f'import "{tmp_path}/secret" as $s; $s', f'include "{tmp_path}/secret"; .',
                    'import "../../secret" as $s; $s', "input_filename", "[inputs]"):
        result, reason = jq(engine, program)
        assert SECRET not in json.dumps(result), program


def test_jq_programs_cannot_import_files_through_a_search_path(engine, tmp_path):
    (tmp_path / "secret.json").write_text(json.dumps({"secret": SECRET}))
    (tmp_path / "secret.jq").write_text(f'def secret: "{SECRET}";')
    result, reason = jq(engine, f'import "secret" as $s {{search: "{tmp_path}"}}; $s')
    assert SECRET not in json.dumps(result)
    assert "jq program refused: `import` is not allowed" in reason
    for program in (f'import "secret" as $s {{search: "{tmp_path}"}}; $s::s',
                    f'include "secret" {{search: "{tmp_path}"}}; secret',
                    f'import "secret" as s {{search: ["{tmp_path}"]}}; s::secret',
                    f'# a comment\nmodule {{a: 1}};\nimport "secret" as $s {{search: "{tmp_path}"}}; $s',
                    '"secret" | modulemeta', "get_search_list", '"\\(import "secret" as $s; $s)"'):
        result, reason = jq(engine, program)
        assert SECRET not in json.dumps(result), program
        assert reason and "jq program refused" in reason, (program, reason)


# ---------------------------------------------------------------------------------------------------- logs
def _exercise(url: str, secret: str) -> list[str]:
    """Calls that carry secrets and tokens, good and bad; returns every credential sent."""
    token = requests.post(f"{url}/token", json={"keyId": "app", "keySecret": secret}).json()["token"]
    wrong = secret[::-1]
    requests.post(f"{url}/token", json={"keyId": "app", "keySecret": wrong})
    requests.post(f"{url}/token", json={"keyId": wrong, "keySecret": secret})
    requests.post(f"{url}/token", data=f'{{"keyId": "app", "keySecret": "{secret}"', headers={
        "Content-Type": "application/json"})  # malformed JSON holding the secret
    requests.post(f"{url}/token", json={"keyId": "app", "keySecret": [secret]})
    forged = token[:-6] + "abcdef"
    for headers in ({"X-Authorization": token}, {"X-Authorization": forged}, {}):
        requests.get(f"{url}/metadata/workflow", headers=headers)
        requests.post(f"{url}/workflow/nothing", json={"password": secret}, headers=headers)
    requests.get(f"{url}/metadata/workflow/x", params={"version": str(2**63)},
                 headers={"X-Authorization": token})  # a 500 (known bug): the server logs its traceback
    return [secret, wrong, token, forged, token.split(".")[2]]


def test_the_server_never_logs_secrets_or_tokens(engine, server_process, caplog):
    cli = server_process("--auth", f"app:{SECRET}")
    sent = _exercise(cli.url, SECRET)
    assert cli.stop() == 0
    log = cli.log
    assert "auth on" in log
    for credential in sent:
        assert credential not in log, f"{credential[:8]}... found in the server log"

    caplog.set_level(logging.DEBUG)  # in process, every logger at DEBUG (the access log included)
    with ConductorServer(engine, port=0, credentials={"app": SECRET}) as server:
        sent = _exercise(server.url, SECRET)
    logged = "\n".join(r.getMessage() + repr(r.args) + (str(r.exc_info[1]) if r.exc_info else "")
                       for r in caplog.records)
    assert "/api/token" in logged  # the access log was on
    for credential in sent:
        assert credential not in logged, f"{credential[:8]}... found in a log record"


def test_one_workflows_script_cannot_tamper_with_or_spy_on_the_next(engine):
    """A script of one workflow cannot change what another's script runs (GraalJS gives each a fresh context): a
    hijacked built-in would see or forge another workflow's data, and RegExp.$1 would hand over its last match.
    (The scripts of one test run in the same sandbox: a released sandbox is the next one taken.)"""
    tampering = ("JSON.stringify = () => 'forged'; Array.prototype.map = function () { return ['forged'] };"
                 "String.prototype.toLowerCase = () => 'forged';"
                 "Object.getPrototypeOf([][Symbol.iterator]()).next = () => ({done: true});"
                 "/secret-(\\w+)/.exec('secret-' + $.token); 1")
    _script_workflow(engine, "tamper", {"name": "js", "taskReferenceName": "js", "type": "INLINE",
                                        "inputParameters": {"evaluatorType": "javascript", "expression": tampering,
                                                            "token": "s3cr3t"}})
    result, reason = inline(engine, "[JSON.stringify({a: 1}), [1].map((x) => x + 1), ({}).isAdmin, 'AB'.toLowerCase(),"
                                    " [...[7]], RegExp.$1]")
    assert reason is None or reason == ""
    assert result == ['{"a":1}', [2], None, "ab", [7], ""]
