"""Tests for conductor_nb.engine.search: Conductor's search grammar compiled to parameterised SQLite SQL.

The grammar follows conductor-oss es7-persistence `query/parser` (Expression, NameValue, ComparisonOp, ConstValue,
ListConst, Range). Three layers: the SQL each query compiles to (table-driven), the rows it selects on a real
SQLite file with the store's schema, and the inputs it must refuse (every error message, injection attempts).
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from datetime import datetime, timezone

import pytest

from conductor_nb.engine.search import (
    MAX_CLAUSES,
    MAX_DEPTH,
    MAX_NESTING,
    MAX_PARAMS,
    MAX_QUERY_LENGTH,
    TASK_SEARCH,
    WORKFLOW_SEARCH,
    BoolOp,
    Compare,
    SearchQueryError,
    SearchSpec,
    compile_search,
    parse_query,
)

WF, TASK = WORKFLOW_SEARCH, TASK_SEARCH
T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def where(spec, query, free_text="*"):
    """(WHERE clause or '', params) of the compiled count query."""
    count_sql, params, _, _ = compile_search(spec, query, free_text, None, 0, 10)
    prefix = f"SELECT COUNT(*) FROM {spec.table}"
    assert count_sql.startswith(prefix)
    return count_sql[len(prefix):].removeprefix(" WHERE "), params


# ---------------------------------------------------------------------------------------------------------------
# query -> SQL

WORKFLOW_SQL_CASES = [
    # empty / match-all
    ("", "", []),
    ("   ", "", []),
    ("*", "", []),
    (None, "", []),
    # comparison operators, quoting and spacing
    ("workflowType = 'order_flow'", "name = ?", ["order_flow"]),
    ('workflowType = "order_flow"', "name = ?", ["order_flow"]),
    ("workflowType='order_flow'", "name = ?", ["order_flow"]),
    ("workflowType = order_flow", "name = ?", ["order_flow"]),
    ("  status\t=\n'RUNNING'  ", "status = ?", ["RUNNING"]),
    ("status != 'RUNNING'", "status IS NOT ?", ["RUNNING"]),
    ("status!='RUNNING'", "status IS NOT ?", ["RUNNING"]),
    ("workflowId > 'b'", "workflow_id > ?", ["b"]),
    ("workflowId < 'b'", "workflow_id < ?", ["b"]),
    ("correlationId STARTS_WITH 'ord-'", "substr(correlation_id, 1, ?) = ?", [4, "ord-"]),
    ("correlationId STARTS_WITH'ord-'", "substr(correlation_id, 1, ?) = ?", [4, "ord-"]),
    # strings: backslash takes the next character, the other quote is literal
    (r"correlationId = 'O\'Brien'", "correlation_id = ?", ["O'Brien"]),
    ("correlationId = \"O'Brien\"", "correlation_id = ?", ["O'Brien"]),
    (r"correlationId = 'a\\b'", "correlation_id = ?", ["a\\b"]),
    (r"correlationId = 'a\nb'", "correlation_id = ?", ["anb"]),
    ("correlationId = ''", "correlation_id = ?", [""]),
    ("correlationId = 'AND'", "correlation_id = ?", ["AND"]),
    ("correlationId = 'x = 1 OR 1=1'", "correlation_id = ?", ["x = 1 OR 1=1"]),
    # numbers stay text for text fields, become integers for integer and time fields
    ("correlationId = 007", "correlation_id = ?", ["007"]),
    ("version = 2", "version = ?", [2]),
    ("version = '2'", "version = ?", [2]),
    ("version = -1", "version = ?", [-1]),
    ("version > 1", "version > ?", [1]),
    ("startTime > 1700000000000", "NULLIF(create_time, 0) > ?", [T0]),
    ("updateTime < 1700000000000", "NULLIF(update_time, 0) < ?", [T0]),
    ("endTime = 1700000000000", "NULLIF(end_time, 0) = ?", [T0]),
    # ISO-8601 times (bare like ES' numeric reader allows, or quoted), UTC unless an offset is given
    ("startTime > 2023-11-14", "NULLIF(create_time, 0) > ?", [ms("2023-11-14T00:00:00Z")]),
    ("startTime > '2023-11-14T22:13:20.000Z'", "NULLIF(create_time, 0) > ?", [T0]),
    ("startTime > 2023-11-14T22:13:20Z", "NULLIF(create_time, 0) > ?", [T0]),
    ("startTime > '2023-11-14T23:13:20+01:00'", "NULLIF(create_time, 0) > ?", [T0]),
    ("startTime > '2023-11-14T22:13:20'", "NULLIF(create_time, 0) > ?", [T0]),
    # IN: unquoted items (trimmed, may contain spaces), quoted items (may contain , and ))
    ("status IN (RUNNING,FAILED)", "status IN (?, ?)", ["RUNNING", "FAILED"]),
    ("status IN ( RUNNING , FAILED )", "status IN (?, ?)", ["RUNNING", "FAILED"]),
    ("status IN(RUNNING)", "status IN (?)", ["RUNNING"]),
    ("status IN ('RUNNING', \"FAILED\")", "status IN (?, ?)", ["RUNNING", "FAILED"]),
    ("correlationId IN ('a,b', 'c)d', e f)", "correlation_id IN (?, ?, ?)", ["a,b", "c)d", "e f"]),
    ("version IN (1, '2', 3)", "version IN (?, ?, ?)", [1, 2, 3]),
    ("startTime IN (1700000000000, 2023-11-14)", "NULLIF(create_time, 0) IN (?, ?)", [T0, ms("2023-11-14T00:00Z")]),
    # BETWEEN is inclusive (ES range from/to)
    ("startTime BETWEEN 1 AND 2", "NULLIF(create_time, 0) BETWEEN ? AND ?", [1, 2]),
    ("startTime BETWEEN 2023-11-01 AND '2023-11-30'", "NULLIF(create_time, 0) BETWEEN ? AND ?",
     [ms("2023-11-01T00:00Z"), ms("2023-11-30T00:00Z")]),
    ("version BETWEEN 1 AND 3", "version BETWEEN ? AND ?", [1, 3]),
    ("workflowId BETWEEN 'a' AND 'm'", "workflow_id BETWEEN ? AND ?", ["a", "m"]),
    # IS NULL / IS NOT NULL, any case; text '' and time 0 count as unset
    ("parentWorkflowId IS NULL", "NULLIF(parent_workflow_id, '') IS NULL", []),
    ("parentWorkflowId IS null", "NULLIF(parent_workflow_id, '') IS NULL", []),
    ("parentWorkflowId IS NOT NULL", "NULLIF(parent_workflow_id, '') IS NOT NULL", []),
    ("parentWorkflowId IS not  null", "NULLIF(parent_workflow_id, '') IS NOT NULL", []),
    ("endTime IS NULL", "NULLIF(end_time, 0) IS NULL", []),
    ("version IS NOT NULL", "version IS NOT NULL", []),
    # fields read from the JSON
    ("idempotencyKey = 'k1'", "json_extract(json, '$.idempotencyKey') = ?", ["k1"]),
    ("reasonForIncompletion STARTS_WITH 'Task'", "substr(json_extract(json, '$.reasonForIncompletion'), 1, ?) = ?",
     [4, "Task"]),
    # AND / OR chains print flat; parentheses group
    ("workflowType = 'x' AND status IN (RUNNING,FAILED)", "(name = ? AND status IN (?, ?))",
     ["x", "RUNNING", "FAILED"]),
    ("status = 'A' AND version = 1 AND correlationId = 'c'", "(status = ? AND version = ? AND correlation_id = ?)",
     ["A", 1, "c"]),
    ("status = 'A' OR status = 'B' OR status = 'C'", "(status = ? OR status = ? OR status = ?)", ["A", "B", "C"]),
    ("(status = 'A')", "status = ?", ["A"]),
    ("((status = 'A'))", "status = ?", ["A"]),
    ("(status = 'A' OR status = 'B') AND version = 1", "((status = ? OR status = ?) AND version = ?)", ["A", "B", 1]),
    ("version = 1 AND (status = 'A' OR status = 'B')", "(version = ? AND (status = ? OR status = ?))", [1, "A", "B"]),
    ("(status='A'OR status='B')AND(version=1)", "((status = ? OR status = ?) AND version = ?)", ["A", "B", 1]),
    ("startTime BETWEEN 1 AND 2 AND status = 'A'", "(NULLIF(create_time, 0) BETWEEN ? AND ? AND status = ?)",
     [1, 2, "A"]),
]


@pytest.mark.parametrize("query, sql, params", WORKFLOW_SQL_CASES)
def test_workflow_query_sql(query, sql, params):
    assert where(WF, query) == (sql, params)


TASK_SQL_CASES = [
    ("taskType = 'SIMPLE'", "task_type = ?", ["SIMPLE"]),
    ("taskDefName = 'charge'", "json_extract(json, '$.taskDefName') = ?", ["charge"]),
    ("taskId = 't1'", "task_id = ?", ["t1"]),
    ("workflowId = 'w1'", "workflow_id = ?", ["w1"]),
    ("status IN (SCHEDULED, IN_PROGRESS)", "status IN (?, ?)", ["SCHEDULED", "IN_PROGRESS"]),
    ("taskRefName = 'charge_ref'", "ref = ?", ["charge_ref"]),
    ("referenceTaskName STARTS_WITH 'loop__'", "substr(ref, 1, ?) = ?", [6, "loop__"]),
    ("workerId = 'host-1'", "json_extract(json, '$.workerId') = ?", ["host-1"]),
    ("domain IS NULL", "NULLIF(json_extract(json, '$.domain'), '') IS NULL", []),
    ("scheduledTime > 5", "NULLIF(json_extract(json, '$.scheduledTime'), 0) > ?", [5]),
    ("startTime < 5", "NULLIF(json_extract(json, '$.startTime'), 0) < ?", [5]),
    ("endTime IS NOT NULL", "NULLIF(json_extract(json, '$.endTime'), 0) IS NOT NULL", []),
    ("updateTime BETWEEN 1 AND 2", "NULLIF(json_extract(json, '$.updateTime'), 0) BETWEEN ? AND ?", [1, 2]),
    ("workflowType = 'order_flow'", "json_extract(json, '$.workflowType') = ?", ["order_flow"]),
    ("correlationId != 'c'", "json_extract(json, '$.correlationId') IS NOT ?", ["c"]),
]


@pytest.mark.parametrize("query, sql, params", TASK_SQL_CASES)
def test_task_query_sql(query, sql, params):
    assert where(TASK, query) == (sql, params)


def test_and_or_fold_to_the_right_with_equal_precedence():
    """Expression.java parses `lhs op rhs` with rhs another Expression: no precedence, right-associative."""
    a, b, c = (Compare("status", "=", (x,)) for x in "ABC")
    assert parse_query(WF, "status = 'A' AND status = 'B' OR status = 'C'") == BoolOp("AND", a, BoolOp("OR", b, c))
    assert parse_query(WF, "status = 'A' OR status = 'B' AND status = 'C'") == BoolOp("OR", a, BoolOp("AND", b, c))
    assert where(WF, "status = 'A' AND status = 'B' OR status = 'C'")[0] == (
        "(status = ? AND (status = ? OR status = ?))")
    assert where(WF, "(status = 'A' AND status = 'B') OR status = 'C'")[0] == (
        "((status = ? AND status = ?) OR status = ?)")


def test_every_field_of_both_specs_compiles_and_runs(db):
    for spec in (WF, TASK):
        for name, column in spec.fields.items():
            kind = spec.kind(name)
            value = "1" if kind != "text" else "'x'"
            for q in (f"{name} = {value}", f"{name} != {value}", f"{name} IN ({value})", f"{name} IS NULL",
                      f"{name} BETWEEN {value} AND {value}") + ((f"{name} STARTS_WITH 'x'",) if kind == "text" else ()):
                count_sql, count_params, page_sql, page_params = compile_search(spec, q, "*", name, 0, 5)
                db.execute(count_sql, count_params).fetchone()
                db.execute(page_sql, page_params).fetchall()


# ---------------------------------------------------------------------------------------------------------------
# sort, paging and free text -> SQL


@pytest.mark.parametrize("sort, order_by", [
    (None, "create_time DESC, workflow_id ASC"),
    ("", "create_time DESC, workflow_id ASC"),
    ("  ", "create_time DESC, workflow_id ASC"),
    ("workflowId", "workflow_id ASC NULLS LAST, create_time DESC, workflow_id ASC"),
    ("workflowId:DESC", "workflow_id DESC NULLS LAST, create_time DESC, workflow_id ASC"),
    ("workflowId:desc", "workflow_id DESC NULLS LAST, create_time DESC, workflow_id ASC"),
    ("startTime:DESC|workflowId:ASC",
     "NULLIF(create_time, 0) DESC NULLS LAST, workflow_id ASC NULLS LAST, create_time DESC, workflow_id ASC"),
    (" status : ASC | version ", "status ASC NULLS LAST, version ASC NULLS LAST, create_time DESC, workflow_id ASC"),
    (["status:DESC", "version"], "status DESC NULLS LAST, version ASC NULLS LAST, create_time DESC, workflow_id ASC"),
    ("idempotencyKey", "json_extract(json, '$.idempotencyKey') ASC NULLS LAST, create_time DESC, workflow_id ASC"),
])
def test_sort_sql(sort, order_by):
    _, _, page_sql, page_params = compile_search(WF, None, None, sort, 20, 10)
    assert page_sql == f"SELECT json FROM workflow ORDER BY {order_by} LIMIT ? OFFSET ?"
    assert page_params == [10, 20]


def test_task_default_sort():
    _, _, page_sql, _ = compile_search(TASK, None, None, None, 0, 10)
    assert page_sql.endswith("ORDER BY json_extract(json, '$.scheduledTime') DESC, task_id ASC LIMIT ? OFFSET ?")


def test_count_and_page_share_the_where_clause():
    count_sql, count_params, page_sql, page_params = compile_search(
        WF, "status = 'RUNNING' AND version > 1", "needle", "startTime:DESC", 5, 7)
    assert count_sql == ("SELECT COUNT(*) FROM workflow WHERE (status = ? AND version > ?) AND json LIKE ? ESCAPE '\\'")
    assert count_params == ["RUNNING", 1, "%needle%"]
    assert page_sql == ("SELECT json FROM workflow WHERE (status = ? AND version > ?) AND json LIKE ? ESCAPE '\\' "
                        "ORDER BY NULLIF(create_time, 0) DESC NULLS LAST, create_time DESC, workflow_id ASC "
                        "LIMIT ? OFFSET ?")
    assert page_params == ["RUNNING", 1, "%needle%", 7, 5]


@pytest.mark.parametrize("free_text, patterns", [
    ("order", ["%order%"]),
    ("  order  ", ["%order%"]),
    ("50%", ["%50\\%%"]),
    ("a_b", ["%a\\_b%"]),
    ("a\\b", ["%a\\\\b%", "%a\\\\\\\\b%"]),  # as typed, and as JSON writes a backslash (\\)
    ('"FAILED"', ['%"FAILED"%', '%\\\\"FAILED\\\\"%']),
    ("ord*paid", ["%ord%paid%"]),  # * is a wildcard, as in ES query_string and the SQL backends
    ("Zoë", ["%Zoë%", "%Zo\\\\u00eb%", "%zo\\\\u00eb%", "%ZO\\\\u00cb%"]),
])
def test_free_text_sql(free_text, patterns):
    sql, params = where(WF, None, free_text)
    likes = ["json LIKE ? ESCAPE '\\'"] * len(patterns)
    assert sql == (likes[0] if len(likes) == 1 else "(" + " OR ".join(likes) + ")")
    assert params == patterns


@pytest.mark.parametrize("free_text", [None, "", "*", "  *  ", "   "])
def test_free_text_match_all(free_text):
    assert where(WF, None, free_text) == ("", [])


# ---------------------------------------------------------------------------------------------------------------
# running the SQL on a real SQLite database with the store's schema

SCHEMA = """
CREATE TABLE workflow (workflow_id TEXT PRIMARY KEY, name TEXT, version INTEGER, status TEXT, correlation_id TEXT,
    parent_workflow_id TEXT, create_time INTEGER, update_time INTEGER, end_time INTEGER, def_key TEXT, json TEXT);
CREATE TABLE task (task_id TEXT PRIMARY KEY, workflow_id TEXT, seq INTEGER, ref TEXT, task_type TEXT, status TEXT,
    json TEXT);
"""

# (workflow_id, name, version, status, correlation_id, parent, create, update, end, extra JSON)
WORKFLOWS = [
    ("w1", "order_flow", 1, "RUNNING", "ord-1", None, T0 + 1000, T0 + 1500, 0,
     {"input": {"customer": "Zoë", "note": "50% off_deal"}}),
    ("w2", "order_flow", 2, "COMPLETED", "ord-2", None, T0 + 2000, T0 + 2500, T0 + 2600,
     {"input": {"customer": "Ann"}, "output": {"paid": True}, "idempotencyKey": "idem-2"}),
    ("w3", "order_flow", 2, "FAILED", "ord-3", None, T0 + 3000, T0 + 3500, T0 + 3600,
     {"input": {"customer": "Bob"}, "reasonForIncompletion": "Task charge failed: card declined"}),
    ("w4", "payment_flow", 1, "COMPLETED", None, "w1", T0 + 4000, T0 + 4500, T0 + 4600,
     {"input": {"amount": 12.5, "path": "C:\\tmp"}}),
    ("w5", "payment_flow", 1, "TERMINATED", "pay-5", "", T0 + 5000, T0 + 5500, T0 + 5600,
     {"input": {"quote": 'say "hi"'}, "reasonForIncompletion": "terminated by user"}),
    ("w6", "refund_flow", 3, "PAUSED", "O'Brien'; DROP TABLE workflow; --", None, T0 + 6000, None, 0,
     {"input": {"comment": "/* not a comment */"}}),
]

# (task_id, workflow_id, seq, ref, type, status, extra JSON)
TASKS = [
    ("t1", "w1", 1, "charge_ref", "SIMPLE", "IN_PROGRESS",
     {"taskDefName": "charge", "workerId": "host-1", "domain": "eu", "scheduledTime": T0 + 100, "startTime": T0 + 200,
      "endTime": 0, "updateTime": T0 + 200}),
    ("t2", "w1", 2, "notify_ref", "HTTP", "SCHEDULED",
     {"taskDefName": "notify", "scheduledTime": T0 + 300, "startTime": 0, "endTime": 0, "updateTime": T0 + 300}),
    ("t3", "w2", 1, "charge_ref", "SIMPLE", "COMPLETED",
     {"taskDefName": "charge", "workerId": "host-2", "scheduledTime": T0 + 400, "startTime": T0 + 500,
      "endTime": T0 + 600, "updateTime": T0 + 600}),
    ("t4", "w3", 1, "loop__1", "SIMPLE", "FAILED",
     {"taskDefName": "charge", "workerId": "host-1", "domain": "", "scheduledTime": T0 + 700, "startTime": T0 + 800,
      "endTime": T0 + 900, "updateTime": T0 + 900, "reasonForIncompletion": "card declined"}),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "store.db"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    for wid, name, version, status, corr, parent, create, update, end, extra in WORKFLOWS:
        doc = {"workflowId": wid, "workflowName": name, "workflowVersion": version, "status": status,
               "correlationId": corr, "parentWorkflowId": parent, "createTime": create, "updateTime": update,
               "endTime": end, **extra}
        doc = {k: v for k, v in doc.items() if v is not None}
        conn.execute("INSERT INTO workflow VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (wid, name, version, status, corr, parent, create, update, end, f"{name}:{version}",
                      json.dumps(doc, separators=(",", ":"))))
    wf_by_id = {w[0]: w for w in WORKFLOWS}
    for tid, wid, seq, ref, ttype, status, extra in TASKS:
        doc = {"taskId": tid, "workflowInstanceId": wid, "seq": seq, "referenceTaskName": ref, "taskType": ttype,
               "status": status, "workflowType": wf_by_id[wid][1], "correlationId": wf_by_id[wid][4], **extra}
        doc = {k: v for k, v in doc.items() if v is not None}
        conn.execute("INSERT INTO task (task_id, workflow_id, seq, ref, task_type, status, json) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (tid, wid, seq, ref, ttype, status, json.dumps(doc, separators=(",", ":"))))
    conn.commit()
    yield conn
    conn.close()


def run(db, spec, query=None, free_text="*", sort=None, start=0, size=100):
    """(total hits, ids of the page in order)."""
    count_sql, count_params, page_sql, page_params = compile_search(spec, query, free_text, sort, start, size)
    (total,) = db.execute(count_sql, count_params).fetchone()
    key = "workflowId" if spec is WF else "taskId"
    return total, [json.loads(text)[key] for (text,) in db.execute(page_sql, page_params)]


def hits(db, spec, query=None, free_text="*"):
    total, ids = run(db, spec, query, free_text)
    assert total == len(ids)
    return sorted(ids)


@pytest.mark.parametrize("query, expected", [
    (None, ["w1", "w2", "w3", "w4", "w5", "w6"]),
    ("workflowType = 'order_flow'", ["w1", "w2", "w3"]),
    ("workflowType = order_flow", ["w1", "w2", "w3"]),
    ("workflowType = 'ORDER_FLOW'", []),  # exact and case-sensitive, like a keyword term
    ("status IN (RUNNING, PAUSED)", ["w1", "w6"]),
    ("status != 'COMPLETED'", ["w1", "w3", "w5", "w6"]),
    ("correlationId != 'ord-1'", ["w2", "w3", "w4", "w5", "w6"]),  # a missing value is "not equal" too (ES NOT)
    ("version = 2", ["w2", "w3"]),
    ("version > 1", ["w2", "w3", "w6"]),
    ("version BETWEEN 2 AND 3", ["w2", "w3", "w6"]),
    ("startTime > 1700000003000", ["w4", "w5", "w6"]),  # strictly greater
    ("startTime < 1700000003000", ["w1", "w2"]),
    ("startTime BETWEEN 1700000002000 AND 1700000004000", ["w2", "w3", "w4"]),  # inclusive
    ("startTime > '2023-11-14T22:13:23Z'", ["w4", "w5", "w6"]),
    ("startTime > 2023-11-15", []),
    ("endTime IS NULL", ["w1", "w6"]),  # 0 = not ended
    ("endTime IS NOT NULL", ["w2", "w3", "w4", "w5"]),
    ("endTime < 1700000004000", ["w2", "w3"]),  # running workflows (endTime 0) have no end time to compare
    ("updateTime IS NULL", ["w6"]),
    ("parentWorkflowId IS NULL", ["w1", "w2", "w3", "w5", "w6"]),  # '' counts as unset
    ("parentWorkflowId IS NOT NULL", ["w4"]),
    ("parentWorkflowId = 'w1'", ["w4"]),
    ("correlationId STARTS_WITH 'ord-'", ["w1", "w2", "w3"]),
    ("correlationId STARTS_WITH 'ORD-'", []),
    ("correlationId STARTS_WITH ''", ["w1", "w2", "w3", "w5", "w6"]),
    ("idempotencyKey = 'idem-2'", ["w2"]),
    ("idempotencyKey IS NOT NULL", ["w2"]),
    ("reasonForIncompletion STARTS_WITH 'Task charge'", ["w3"]),
    ("workflowId IN (w1, 'w3', \"w5\", nope)", ["w1", "w3", "w5"]),
    ("workflowType = 'order_flow' AND status IN (RUNNING,FAILED)", ["w1", "w3"]),
    ("workflowType = 'payment_flow' OR version = 3", ["w4", "w5", "w6"]),
    # equal precedence, folding right: A AND (B OR C)
    ("workflowType = 'payment_flow' AND status = 'TERMINATED' OR version = 3", ["w5"]),
    ("(workflowType = 'payment_flow' AND status = 'TERMINATED') OR version = 3", ["w5", "w6"]),
    ("version = 3 OR workflowType = 'payment_flow' AND status = 'TERMINATED'", ["w5", "w6"]),
    ("correlationId = \"O'Brien'; DROP TABLE workflow; --\"", ["w6"]),
    (r"correlationId = 'O\'Brien\'; DROP TABLE workflow; --'", ["w6"]),
])
def test_workflow_hits(db, query, expected):
    assert hits(db, WF, query) == expected


@pytest.mark.parametrize("query, expected", [
    ("taskType = 'SIMPLE'", ["t1", "t3", "t4"]),
    ("taskDefName = 'charge' AND status = 'FAILED'", ["t4"]),
    ("taskRefName = 'charge_ref'", ["t1", "t3"]),
    ("referenceTaskName STARTS_WITH 'loop__'", ["t4"]),
    ("workflowId = 'w1'", ["t1", "t2"]),
    ("workerId = 'host-1'", ["t1", "t4"]),
    ("workerId IS NULL", ["t2"]),
    ("domain IS NULL", ["t2", "t3", "t4"]),
    ("domain = 'eu'", ["t1"]),
    ("startTime IS NULL", ["t2"]),
    ("endTime IS NOT NULL", ["t3", "t4"]),
    ("scheduledTime > 1700000000300", ["t3", "t4"]),
    ("updateTime BETWEEN 1700000000300 AND 1700000000600", ["t2", "t3"]),
    ("workflowType = 'order_flow' AND correlationId IN (ord-1, ord-3)", ["t1", "t2", "t4"]),
    ("reasonForIncompletion = 'card declined'", ["t4"]),
    ("taskId IN (t1, t9)", ["t1"]),
])
def test_task_hits(db, query, expected):
    assert hits(db, TASK, query) == expected


@pytest.mark.parametrize("free_text, expected", [
    ("*", ["w1", "w2", "w3", "w4", "w5", "w6"]),
    ("card declined", ["w3"]),
    ("CARD DECLINED", ["w3"]),  # ASCII case folds
    ("50% off", ["w1"]),  # % is literal
    ("50_", []),  # _ is literal, not "any character"
    ("off_deal", ["w1"]),
    ("Zoë", ["w1"]),  # stored as Zo\u00eb by json.dumps
    ("ZOË", ["w1"]),
    ('say "hi"', ["w5"]),  # stored as say \"hi\"
    ("C:\\tmp", ["w4"]),  # stored as C:\\tmp
    ('"paid":true', ["w2"]),  # as typed, against the JSON text
    ("ord-2*ord-1", []),
    ("order*Ann", ["w2"]),  # * spans any text
    ("/* not a comment */", ["w6"]),
    ("DROP TABLE", ["w6"]),
    ("nothing like this", []),
])
def test_free_text_hits(db, free_text, expected):
    assert hits(db, WF, None, free_text) == expected


def test_free_text_and_query_combine(db):
    assert hits(db, WF, "workflowType = 'order_flow'", "Ann") == ["w2"]
    assert hits(db, WF, "workflowType = 'payment_flow'", "Ann") == []
    assert hits(db, TASK, "status = 'FAILED'", "host-1") == ["t4"]


def test_sorting(db):
    assert run(db, WF, sort="startTime:DESC")[1] == ["w6", "w5", "w4", "w3", "w2", "w1"]
    assert run(db, WF, sort="startTime:ASC")[1] == ["w1", "w2", "w3", "w4", "w5", "w6"]
    assert run(db, WF, sort="startTime")[1] == ["w1", "w2", "w3", "w4", "w5", "w6"]
    # several keys; the default order (newest first) breaks ties
    assert run(db, WF, sort="workflowType:ASC|version:DESC")[1] == ["w3", "w2", "w1", "w5", "w4", "w6"]
    assert run(db, WF, sort="workflowType:DESC|startTime:ASC")[1] == ["w6", "w4", "w5", "w1", "w2", "w3"]
    # no sort: newest first
    assert run(db, WF)[1] == ["w6", "w5", "w4", "w3", "w2", "w1"]
    # workflows without an end time sort last either way, as ES sorts missing values
    assert run(db, WF, sort="endTime:ASC")[1] == ["w2", "w3", "w4", "w5", "w6", "w1"]
    assert run(db, WF, sort="endTime:DESC")[1] == ["w5", "w4", "w3", "w2", "w6", "w1"]
    assert run(db, TASK, sort="workerId:ASC|taskId:DESC")[1] == ["t4", "t1", "t3", "t2"]
    assert run(db, TASK)[1] == ["t4", "t3", "t2", "t1"]


def test_paging(db):
    everything = run(db, WF, sort="startTime:ASC")[1]
    pages = [run(db, WF, sort="startTime:ASC", start=start, size=4) for start in (0, 4, 8)]
    assert [total for total, _ in pages] == [6, 6, 6]  # the count ignores paging
    assert [ids for _, ids in pages] == [everything[:4], everything[4:], []]
    assert run(db, WF, "workflowType = 'order_flow'", sort="startTime:DESC", start=1, size=1) == (3, ["w2"])
    assert run(db, WF, "workflowType = 'order_flow'", size=0) == (3, [])  # a count only
    assert run(db, WF, size=5000)[0] == 6


# ---------------------------------------------------------------------------------------------------------------
# errors: every message names the parameter, the position and what was expected

QUERY_ERRORS = [
    ("foo = 1", "query: unknown field 'foo' at position 0; known fields: correlationId, endTime, idempotencyKey, "
                "parentWorkflowId, reasonForIncompletion, startTime, status, updateTime, version, workflowId, "
                "workflowType"),
    ("status = 'A' AND taskType = 'x'", "query: unknown field 'taskType' at position 17; known fields: "
                                        "correlationId, endTime, idempotencyKey, parentWorkflowId, "
                                        "reasonForIncompletion, startTime, status, updateTime, version, workflowId, "
                                        "workflowType"),
    ("= 'A'", "query: expected a field name or '(' at position 0, found \"= 'A'\""),
    ("status = 'A' AND", "query: expected a field name or '(' at position 16, found end of query"),
    ("()", "query: expected a field name or '(' at position 1, found ')'"),
    ("status", "query: expected an operator (=, !=, >, <, IN, BETWEEN, STARTS_WITH, IS) at position 6, "
               "found end of query"),
    ("status == 'A'", "query: expected a value (a quoted string or a number) at position 8, found \"= 'A'\""),
    ("status LIKE 'A'", "query: expected an operator (=, !=, >, <, IN, BETWEEN, STARTS_WITH, IS) at position 7, "
                        "found \"LIKE 'A'\""),
    ("status in (A)", "query: expected an operator (=, !=, >, <, IN, BETWEEN, STARTS_WITH, IS) at position 7, "
                      "found 'in (A)'; operators are upper-case"),
    ("status starts_with 'A'", "query: expected an operator (=, !=, >, <, IN, BETWEEN, STARTS_WITH, IS) at "
                               "position 7, found \"starts_with 'A'\"; operators are upper-case"),
    ("status ! 'A'", "query: expected an operator (=, !=, >, <, IN, BETWEEN, STARTS_WITH, IS) at position 7, "
                     "found \"! 'A'\""),
    ("status NOT IN (A)", "query: expected an operator (=, !=, >, <, IN, BETWEEN, STARTS_WITH, IS) at position 7, "
                          "found 'NOT IN (A)'"),
    ("startTime >= 5", "query: operator '>=' is not supported at position 10; use '>' or BETWEEN ... AND ..."),
    ("startTime <= 5", "query: operator '<=' is not supported at position 10; use '<' or BETWEEN ... AND ..."),
    ("status = ", "query: expected a value (a quoted string or a number) at position 9, found end of query"),
    ("status = AND version = 1", "query: expected a value (a quoted string or a number) at position 9, "
                                 "found 'AND version = 1'"),
    ("status = (A)", "query: expected a value (a quoted string or a number) at position 9, found '(A)'"),
    ("status = 'A", "query: unterminated string at position 9; no closing '"),
    ('status = "A\\"', "query: unterminated string at position 9; no closing \""),
    ("status = 'A' and version = 1", "query: expected AND or OR at position 13, found 'and version = 1'; "
                                     "boolean operators are upper-case"),
    ("status = 'A' Or version = 1", "query: expected AND or OR at position 13, found 'Or version = 1'; "
                                    "boolean operators are upper-case"),
    ("status = 'A' version = 1", "query: expected AND, OR or end of query at position 13, found 'version = 1'"),
    ("status = 'A' 'B'", "query: expected AND, OR or end of query at position 13, found \"'B'\""),
    ("status = A B", "query: expected AND, OR or end of query at position 11, found 'B'"),
    ("status = 'A')", "query: unexpected ')' with no matching '(' at position 12"),
    ("(status = 'A'", "query: expected ')' at position 13, found end of query; the '(' at position 0 is not closed"),
    ("(status = 'A' version = 1)", "query: expected AND, OR or ')' at position 14, found 'version = 1)'"),
    ("status IN A", "query: expected '(' to open the IN list at position 10, found 'A'"),
    ("status IN ()", "query: empty item in IN list at position 11, found ')'"),
    ("status IN (A,,B)", "query: empty item in IN list at position 13, found ',B)'"),
    ("status IN (A,)", "query: empty item in IN list at position 13, found ')'"),
    ("status IN (A, B", "query: expected ',' or ')' at position 15, found end of query; "
                        "the IN list at position 10 is not closed"),
    ("status IN (A, ", "query: expected a value or ')' at position 14, found end of query; "
                       "the IN list at position 10 is not closed"),
    ("status IN ('A' 'B')", "query: expected ',' or ')' in the IN list at position 15, found \"'B')\""),
    ("status IN ('A", "query: unterminated string at position 11; no closing '"),
    ("startTime BETWEEN 1", "query: expected AND between the BETWEEN bounds at position 19, found end of query"),
    ("startTime BETWEEN 1 OR 2", "query: expected AND between the BETWEEN bounds at position 20, found 'OR 2'"),
    ("startTime BETWEEN 1 AND", "query: expected a value (a quoted string or a number) at position 23, "
                                "found end of query"),
    ("startTime BETWEEN AND 2", "query: expected a value (a quoted string or a number) at position 18, "
                                "found 'AND 2'"),
    ("endTime IS", "query: expected NULL or NOT NULL after IS at position 10, found end of query"),
    ("endTime IS 0", "query: expected NULL or NOT NULL after IS at position 11, found '0'"),
    ("endTime IS NOT 0", "query: expected NULL or NOT NULL after IS at position 15, found '0'"),
    ("endTime IS EMPTY", "query: expected NULL or NOT NULL after IS at position 11, found 'EMPTY'"),
    ("version = 'two'", "query: 'version' takes an integer at position 10, found \"'two'\""),
    ("version = 1.5", "query: 'version' takes an integer at position 10, found '1.5'"),
    ("version IN (1, x)", "query: 'version' takes an integer at position 15, found 'x)'"),
    ("version = 9223372036854775808", "query: number '9223372036854775808' for 'version' is out of range at "
                                      "position 10; at most 64 bits"),
    ("startTime > yesterday", "query: 'startTime' takes epoch milliseconds or an ISO-8601 date-time at position 12, "
                              "found 'yesterday'"),
    ("startTime > '2023-13-01'", "query: 'startTime' takes epoch milliseconds or an ISO-8601 date-time at position "
                                 "12, found \"'2023-13-01'\""),
    ("startTime > 1.7e12", "query: 'startTime' takes epoch milliseconds or an ISO-8601 date-time at position 12, "
                           "found '1.7e12'"),
    ("startTime > nan", "query: 'startTime' takes epoch milliseconds or an ISO-8601 date-time at position 12, "
                        "found 'nan'"),
    ("version STARTS_WITH '1'", "query: STARTS_WITH needs a text field, and 'version' is an integer at position 8"),
    ("startTime STARTS_WITH '17'", "query: STARTS_WITH needs a text field, and 'startTime' is a time at position 10"),
    ("status = 'A\ud800'", "query: invalid character (a lone surrogate) at position 11"),
]


@pytest.mark.parametrize("query, message", QUERY_ERRORS)
def test_query_errors(query, message):
    with pytest.raises(SearchQueryError) as info:
        compile_search(WF, query, "*", None, 0, 10)
    assert str(info.value) == message
    assert info.value.param == "query"
    assert isinstance(info.value, ValueError)


def test_error_carries_its_parts():
    with pytest.raises(SearchQueryError) as info:
        compile_search(WF, "status = 'A' AND foo = 1", "*", None, 0, 10)
    assert (info.value.param, info.value.position, info.value.detail) == ("query", 17, "unknown field 'foo'")


@pytest.mark.parametrize("args, message", [
    (dict(sort="foo"), "sort: unknown field 'foo' at position 0; known fields: correlationId, endTime, "
                       "idempotencyKey, parentWorkflowId, reasonForIncompletion, startTime, status, updateTime, "
                       "version, workflowId, workflowType"),
    (dict(sort="startTime:DESC|foo:ASC"), "sort: unknown field 'foo' at position 15; known fields: correlationId, "
                                          "endTime, idempotencyKey, parentWorkflowId, reasonForIncompletion, "
                                          "startTime, status, updateTime, version, workflowId, workflowType"),
    (dict(sort="start_time:DESC"), "sort: unknown field 'start_time' at position 0; known fields: correlationId, "
                                   "endTime, idempotencyKey, parentWorkflowId, reasonForIncompletion, startTime, "
                                   "status, updateTime, version, workflowId, workflowType"),
    (dict(sort="startTime:DOWN"), "sort: expected ASC or DESC after 'startTime:' at position 10, found 'DOWN'"),
    (dict(sort="startTime:"), "sort: expected ASC or DESC after 'startTime:' at position 10, found ''"),
    (dict(sort="startTime:DESC; DROP TABLE workflow"),
     "sort: expected ASC or DESC after 'startTime:' at position 10, found 'DESC; DROP TABLE workflow'"),
    (dict(sort=":DESC"), "sort: expected a field name at position 0, found ':DESC'; "
                         "sort is field[:ASC|DESC], several joined by '|'"),
    (dict(sort="startTime||status"), "sort: expected a field name at position 10, found ''; "
                                     "sort is field[:ASC|DESC], several joined by '|'"),
    (dict(sort="status\udfff"), "sort: invalid character (a lone surrogate) at position 6"),
    (dict(sort=5), "sort: must be a string, found int"),
    (dict(free_text="caf\udce9"), "freeText: invalid character (a lone surrogate) at position 3"),
    (dict(free_text=["a"]), "freeText: must be a string, found list"),
    (dict(query=42), "query: must be a string, found int"),
    (dict(query="status = 'A' " + " " * MAX_QUERY_LENGTH), f"query: longer than {MAX_QUERY_LENGTH} characters, "
                                                           f"found {MAX_QUERY_LENGTH + 13}"),
    (dict(start=-1), "start: must be an integer >= 0, found -1"),
    (dict(start="0"), "start: must be an integer >= 0, found '0'"),
    (dict(start=1.0), "start: must be an integer >= 0, found 1.0"),
    (dict(start=True), "start: must be an integer >= 0, found True"),
    (dict(start=2**63), f"start: must be an integer >= 0, found {2**63}"),
    (dict(size=-1), "size: must be an integer >= 0, found -1"),
    (dict(size=None), "size: must be an integer >= 0, found None"),
    (dict(size=5001), "size: Cannot return more than 5000 workflows. Please use pagination."),
])
def test_parameter_errors(args, message):
    call = dict(query=None, free_text="*", sort=None, start=0, size=10) | args
    with pytest.raises(SearchQueryError) as info:
        compile_search(WF, call["query"], call["free_text"], call["sort"], call["start"], call["size"])
    assert str(info.value) == message


def test_task_size_cap_names_tasks():
    with pytest.raises(SearchQueryError, match=r"^size: Cannot return more than 5000 tasks\. Please use pagination\.$"):
        compile_search(TASK, None, None, None, 0, 5001)


def test_limits():
    deep = "(" * MAX_DEPTH + "status = 'A'" + ")" * MAX_DEPTH
    assert where(WF, deep) == ("status = ?", ["A"])
    with pytest.raises(SearchQueryError, match=rf"^query: parentheses nested deeper than {MAX_DEPTH} at position "
                                               rf"{MAX_DEPTH}$"):
        compile_search(WF, "(" + deep + ")", "*", None, 0, 10)

    many = " OR ".join(["version = 1"] * MAX_CLAUSES)
    assert len(where(WF, many)[1]) == MAX_CLAUSES
    with pytest.raises(SearchQueryError, match=rf"^query: more than {MAX_CLAUSES} conditions at position "):
        compile_search(WF, many + " OR version = 1", "*", None, 0, 10)

    ids = ", ".join(f"'id-{i}'" for i in range(MAX_PARAMS))
    assert len(where(WF, f"workflowId IN ({ids})")[1]) == MAX_PARAMS
    with pytest.raises(SearchQueryError, match=rf"^query: too many values \(at most {MAX_PARAMS}\), "
                                               rf"found {MAX_PARAMS + 1}$"):
        compile_search(WF, f"workflowId IN ({ids})", "x", None, 0, 10)


def alternating(clauses: int, leaves=("version = 1",)) -> str:
    """c0 OR c1 AND c2 OR ...: folds right, nesting one level per clause after the first."""
    ops = ["OR", "AND"]
    return " ".join(f"{leaves[i % len(leaves)]} {ops[i % 2]}" for i in range(clauses - 1)) + " " + leaves[0]


def test_nesting_limit():
    assert where(WF, alternating(MAX_NESTING + 1))[0].endswith("version = ?" + ")" * MAX_NESTING)
    query = alternating(MAX_NESTING + 2)
    with pytest.raises(SearchQueryError) as info:
        compile_search(WF, query, "*", None, 0, 10)
    first_too_deep = query.rindex("version = 1", 0, len(query) - 1)  # the last two clauses share the deepest level
    assert str(info.value) == (
        f"query: conditions nested deeper than {MAX_NESTING} levels at position {first_too_deep}; "
        f"each change between AND and OR nests one level (a AND b OR c is a AND (b OR c))")
    # a chain of one operator and redundant parentheses do not nest
    flat = " AND ".join(["version = 1"] * MAX_CLAUSES)
    assert where(WF, flat)[0].count("(") == 1
    assert where(WF, "(" * MAX_DEPTH + flat + ")" * MAX_DEPTH)[0].count("(") == 1
    grouped = "(" * (MAX_NESTING + 1) + "version = 1" + "".join(
        f" {'AND' if i % 2 else 'OR'} version = 1)" for i in range(MAX_NESTING + 1))
    with pytest.raises(SearchQueryError, match=rf"^query: conditions nested deeper than {MAX_NESTING} levels at "
                                               rf"position {MAX_NESTING + 1}; "):
        compile_search(WF, grouped, "*", None, 0, 10)


def test_limits_run_on_sqlite(db):
    """The largest accepted queries stay within SQLite's own limits (parser stack, expression depth, variables)."""
    heavy = ("scheduledTime BETWEEN 2023-01-01 AND 2024-01-01", "workerId STARTS_WITH 'host'", "domain IS NOT NULL",
             "correlationId != 'x'")
    ids = ", ".join(f"'id-{i}'" for i in range(MAX_PARAMS - 4))  # "Zoë" adds 4 LIKE patterns
    for spec, query in ((WF, alternating(MAX_NESTING + 1)), (TASK, alternating(MAX_NESTING + 1, heavy)),
                        (WF, " OR ".join(["version = 1"] * MAX_CLAUSES)), (WF, f"workflowId IN ({ids})")):
        count_sql, count_params, page_sql, page_params = compile_search(spec, query, "Zoë", "startTime:DESC", 0, 10)
        db.execute(count_sql, count_params).fetchone()
        db.execute(page_sql, page_params).fetchall()


# ---------------------------------------------------------------------------------------------------------------
# injection: user input never reaches the SQL text and never changes the database

INJECTIONS = [
    "'; DROP TABLE workflow; --",
    "\"; DROP TABLE workflow; --",
    "x' OR '1'='1",
    "x\" OR \"1\"=\"1",
    "1; DELETE FROM workflow",
    "1 OR 1=1",
    "*/ DROP TABLE task /*",
    "-- comment",
    "/* comment */",
    "') OR ('a'='a",
    "x'); DROP TABLE workflow; --",
    "\\'; DROP TABLE workflow; --",
    "%' ESCAPE '",
    "O'Brien'; DROP TABLE workflow; --",
    "\x00'; DROP TABLE workflow",
    "ʼ OR 1=1 --",  # U+02BC, a quote look-alike
    "＇; DROP TABLE workflow; --",  # fullwidth apostrophe
    "Zoë 🚀 ‮",
    "\u2028\u2029",
]


def snapshot(db):
    tables = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    rows = [db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("workflow", "task")]
    return tables, rows


def _quoted(text: str, quote: str) -> str:
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_as_value_matches_literally(db, payload):
    stored = WORKFLOWS[5][4]  # w6's correlationId is itself an injection attempt
    before = snapshot(db)
    for quote in "'\"":
        value = _quoted(payload, quote)
        for spec, field in ((WF, "correlationId"), (WF, "reasonForIncompletion"), (TASK, "workerId")):
            hit = spec is WF and field == "correlationId" and payload == stored
            for query, matches in ((f"{field} = {value}", hit),
                                   (f"{field} IN ({value}, 'x')", hit),
                                   (f"{field} STARTS_WITH {value}", hit),
                                   (f"({field} BETWEEN {value} AND {value})", hit),
                                   (f"{field} != {value} AND {field} = {value}", False)):
                count_sql, count_params, page_sql, page_params = compile_search(spec, query, "*", None, 0, 10)
                assert payload not in count_sql and payload not in page_sql
                assert payload in count_params
                total = db.execute(count_sql, count_params).fetchone()[0]
                assert len(db.execute(page_sql, page_params).fetchall()) == total == int(matches), query
    assert snapshot(db) == before


def _strings(doc):
    if isinstance(doc, dict):
        return [s for v in doc.values() for s in _strings(v)]
    if isinstance(doc, list):
        return [s for v in doc for s in _strings(v)]
    return [doc] if isinstance(doc, str) else []


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_as_free_text_is_a_literal_substring(db, payload):
    """Free text finds exactly the rows holding it in a value, whatever SQL or LIKE syntax it contains (only `*` is
    special: a wildcard)."""
    needle = payload.strip()
    wanted = re.compile(".*".join(re.escape(piece) for piece in needle.split("*")), re.IGNORECASE | re.DOTALL)
    before = snapshot(db)
    for spec in (WF, TASK):
        count_sql, count_params, page_sql, page_params = compile_search(spec, None, payload, None, 0, 10)
        if needle:
            assert needle not in count_sql and needle not in page_sql
        total = db.execute(count_sql, count_params).fetchone()[0]
        key = "workflowId" if spec is WF else "taskId"
        found = sorted(json.loads(t)[key] for (t,) in db.execute(page_sql, page_params))
        docs = [json.loads(t) for (t,) in db.execute(f"SELECT json FROM {spec.table}")]
        expected = sorted(d[key] for d in docs if any(wanted.search(s) for s in _strings(d)))
        assert found == expected and total == len(expected)
    assert snapshot(db) == before


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_elsewhere_is_refused(db, payload):
    """As a field name, an operator, a bare value, a sort key or a sort order, a payload is an error, not SQL."""
    before = snapshot(db)
    attempts = [
        dict(query=f"{payload} = 'x'"),
        dict(query=f"status {payload}"),
        dict(query=f"status = 'A' {payload}"),
        dict(query=f"status = 'A' AND {payload}"),
        dict(query=f"version = {payload}"),
        dict(query=f"startTime > {payload}"),
        dict(sort=payload),
        dict(sort=f"startTime:{payload}"),
        dict(sort=f"startTime:DESC|{payload}"),
    ]
    for attempt in attempts:
        call = dict(query=None, sort=None) | attempt
        try:
            count_sql, count_params, page_sql, page_params = compile_search(
                WF, call["query"], "*", call["sort"], 0, 10)
        except SearchQueryError:
            continue
        # accepted only if the payload became a bound value (e.g. a bare word that happens to be one)
        assert payload not in count_sql and payload not in page_sql, attempt
        db.execute(count_sql, count_params).fetchone()
        db.execute(page_sql, page_params).fetchall()
    assert snapshot(db) == before


def test_fuzzed_queries_compile_or_raise_search_query_error(db):
    """Random edits of valid queries either raise SearchQueryError or give SQL that SQLite runs."""
    rng = random.Random(1234)
    seeds = [q for q, _, _ in WORKFLOW_SQL_CASES if q] + [q for q, _ in QUERY_ERRORS]
    alphabet = list("()'\",=<>! \\*%_;-") + ["AND", "OR", "IN", "IS", "NOT", "NULL", "BETWEEN", "STARTS_WITH",
                                            "status", "version", "startTime", "'x'", "1", "é", "\x00", "\n"]
    before = snapshot(db)
    accepted = 0
    for _ in range(3000):
        q = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            pos = rng.randint(0, len(q))
            action = rng.random()
            if action < 0.4 and q:
                del q[min(pos, len(q) - 1)]
            elif action < 0.8:
                q.insert(pos, rng.choice(alphabet))
            else:
                q[pos:pos] = list(rng.choice(seeds))
        query = "".join(q)
        try:
            count_sql, count_params, page_sql, page_params = compile_search(WF, query, "x", "status", 0, 10)
        except SearchQueryError:
            continue
        accepted += 1
        db.execute(count_sql, count_params).fetchone()
        db.execute(page_sql, page_params).fetchall()
    assert accepted > 100
    assert snapshot(db) == before


def test_spec_is_the_only_sql_source():
    """Every SQL identifier in the output comes from the spec; a custom spec is used as given."""
    spec = SearchSpec(table="thing", fields={"name": "thing_name", "size": "thing_size"}, json_column="doc",
                      default_sort="thing_name ASC", types={"size": "int"}, max_size=10)
    count_sql, count_params, page_sql, page_params = compile_search(
        spec, "name = 'a' OR size > 2", "hello", "size:DESC", 3, 10)
    assert count_sql == "SELECT COUNT(*) FROM thing WHERE (thing_name = ? OR thing_size > ?) AND doc LIKE ? ESCAPE '\\'"
    assert page_sql == ("SELECT doc FROM thing WHERE (thing_name = ? OR thing_size > ?) AND doc LIKE ? ESCAPE '\\' "
                        "ORDER BY thing_size DESC NULLS LAST, thing_name ASC LIMIT ? OFFSET ?")
    assert count_params == ["a", 2, "%hello%"] and page_params == ["a", 2, "%hello%", 10, 3]
    with pytest.raises(SearchQueryError, match=r"^size: Cannot return more than 10 things\. Please use pagination\.$"):
        compile_search(spec, None, None, None, 0, 11)


def test_iso_times_are_utc_unless_offset():
    assert where(WF, "startTime > '2023-11-14T22:13:20.000Z'")[1] == [T0]
    assert where(WF, "startTime > '2023-11-14T22:13:20.000z'")[1] == [T0]
    assert where(WF, "startTime > '2023-11-15T00:13:20+02:00'")[1] == [T0]
    assert where(WF, "startTime > '2023-11-14 22:13:20'")[1] == [T0]
    assert where(WF, "startTime > 2023-11-14")[1] == [int(datetime(2023, 11, 14, tzinfo=timezone.utc).timestamp()
                                                          * 1000)]
