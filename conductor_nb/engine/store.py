"""The SQLite store: the single source of truth for definitions, executions, queues and logs.

A thin layer over one connection: rows hold the model JSON plus the columns that queries need. Callers group
writes with `transaction()` so that every state transition is one atomic commit.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Iterator, Optional

from ..models.base import dumps

CHECKPOINT_EVERY_COMMITS = 100  # the checkpointer copies the WAL into the database after this many commits...
CHECKPOINT_INTERVAL_S = 1.0  # ...or this long after the first one since its last pass
WAL_AUTOCHECKPOINT_PAGES = 20_000  # SQLite's own checkpoint inside a commit: only if the checkpointer falls behind

SCHEMA = """
CREATE TABLE IF NOT EXISTS workflow_def (
    name TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS task_def (name TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS execution_def (def_key TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workflow (
    workflow_id TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL,
    correlation_id TEXT, parent_workflow_id TEXT, create_time INTEGER NOT NULL, update_time INTEGER,
    end_time INTEGER, def_key TEXT NOT NULL, json TEXT NOT NULL, rev INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS workflow_by_status ON workflow (status, name);
CREATE INDEX IF NOT EXISTS workflow_by_correlation ON workflow (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS task (
    task_id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, seq INTEGER NOT NULL, ref TEXT NOT NULL,
    task_type TEXT NOT NULL, status TEXT NOT NULL, json TEXT NOT NULL, due INTEGER);
CREATE INDEX IF NOT EXISTS task_by_workflow ON task (workflow_id, seq);
CREATE INDEX IF NOT EXISTS task_by_type_status ON task (task_type, status);
CREATE INDEX IF NOT EXISTS task_due ON task (due) WHERE due IS NOT NULL;
CREATE TABLE IF NOT EXISTS queue (
    task_id TEXT PRIMARY KEY, queue_name TEXT NOT NULL, visible_at INTEGER NOT NULL, priority INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS queue_order ON queue (queue_name, priority DESC, visible_at);
CREATE TABLE IF NOT EXISTS poll_data (
    queue_name TEXT NOT NULL, domain TEXT NOT NULL, worker_id TEXT, last_poll_time INTEGER NOT NULL,
    PRIMARY KEY (queue_name, domain));
CREATE TABLE IF NOT EXISTS timer (
    key TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, due INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS timer_due ON timer (due);
CREATE TABLE IF NOT EXISTS task_log (task_id TEXT NOT NULL, created_time INTEGER NOT NULL, log TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS task_log_by_task ON task_log (task_id);
"""


# Each entry upgrades a database written by the previous version of the schema (PRAGMA user_version); then the
# SCHEMA's CREATE ... IF NOT EXISTS adds what is new.
MIGRATIONS = [
    "ALTER TABLE workflow ADD COLUMN rev INTEGER NOT NULL DEFAULT 0",
    # a task's timer lives in its own row (one index entry, written with the row, instead of a timer row)
    "ALTER TABLE task ADD COLUMN due INTEGER",
    "UPDATE task SET due = (SELECT due FROM timer WHERE key = 'task:' || task.task_id) "
    "WHERE 'task:' || task_id IN (SELECT key FROM timer)",
    "DELETE FROM timer WHERE key LIKE 'task:%'",
    "DROP INDEX workflow_by_correlation",  # made again over the rows with a correlation id only
    "DROP INDEX queue_ready",  # queue_order answers its one query (next_visible_at): one index less to write
]



class Store:
    """Definitions, workflows, tasks, queue entries and task logs in one SQLite database."""

    def __init__(self, path: str):
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # WAL lets readers in other processes work while we write; synchronous=NORMAL keeps every commit across a
        # process crash (only an OS crash or power loss may drop the last commits, never corrupting the file).
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        self._migrate()
        self._checkpointer = Checkpointer(path) if path != ":memory:" else None
        self._tx_depth = 0
        self._tx_lock = threading.RLock()
        self.serial: Optional[int] = None  # the transaction under way (a new number for each), None outside one
        self._serials = 0
        self.rollbacks = 0

    def _migrate(self) -> None:
        """Create the schema, or bring an older one up to date: one transaction, whoever else opens the file."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            if self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'workflow'").fetchone() is not None:
                for statement in MIGRATIONS[version:]:
                    self._db.execute(statement)
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic commit for everything written inside; nested uses join the outer transaction."""
        with self._tx_lock:
            if self._tx_depth:
                self._tx_depth += 1
                try:
                    yield
                finally:
                    self._tx_depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._tx_depth = 1
            self._serials += 1
            self.serial = self._serials
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                self.rollbacks += 1
                raise
            else:
                self._db.execute("COMMIT")
                if self._checkpointer is not None:
                    self._checkpointer.committed()
            finally:
                self._tx_depth = 0
                self.serial = None

    def data_version(self) -> int:
        """Changes when another connection (another process, or another Engine on the file) commits."""
        return self._db.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self._db.close()

    # definitions
    def put_workflow_def(self, name: str, version: int, data: dict) -> None:
        self._db.execute("INSERT OR REPLACE INTO workflow_def VALUES (?, ?, ?)", (name, version, dumps(data)))

    def get_workflow_def(self, name: str, version: Optional[int]) -> Optional[dict]:
        text = self.workflow_def_text(name, version)
        return json.loads(text) if text is not None else None

    def workflow_def_text(self, name: str, version: Optional[int]) -> Optional[str]:
        """The stored JSON of a definition (the latest version when `version` is None)."""
        if version is None:
            row = self._db.execute(
                "SELECT json FROM workflow_def WHERE name = ? ORDER BY version DESC LIMIT 1", (name,)
            ).fetchone()
        else:
            row = self._db.execute(
                "SELECT json FROM workflow_def WHERE name = ? AND version = ?", (name, version)
            ).fetchone()
        return row[0] if row else None

    def all_workflow_defs(self) -> list[dict]:
        rows = self._db.execute("SELECT json FROM workflow_def ORDER BY name, version")
        return [json.loads(r[0]) for r in rows]

    def delete_workflow_def(self, name: str, version: int) -> bool:
        cur = self._db.execute("DELETE FROM workflow_def WHERE name = ? AND version = ?", (name, version))
        return cur.rowcount > 0

    def put_task_def(self, name: str, data: dict) -> None:
        self._db.execute("INSERT OR REPLACE INTO task_def VALUES (?, ?)", (name, dumps(data)))

    def get_task_def(self, name: str) -> Optional[dict]:
        row = self._db.execute("SELECT json FROM task_def WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else None

    def all_task_defs(self) -> list[dict]:
        return [json.loads(r[0]) for r in self._db.execute("SELECT json FROM task_def ORDER BY name")]

    def delete_task_def(self, name: str) -> bool:
        return self._db.execute("DELETE FROM task_def WHERE name = ?", (name,)).rowcount > 0

    def put_execution_def(self, def_key: str, json_text: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO execution_def VALUES (?, ?)", (def_key, json_text))

    def get_execution_def(self, def_key: str) -> dict:
        (text,) = self._db.execute("SELECT json FROM execution_def WHERE def_key = ?", (def_key,)).fetchone()
        return json.loads(text)

    # executions
    def put_workflow(self, row: dict, data: dict) -> None:
        self._db.execute(
            "INSERT INTO workflow VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workflow_id) DO UPDATE SET "
            "status = excluded.status, update_time = excluded.update_time, end_time = excluded.end_time, "
            "def_key = excluded.def_key, json = excluded.json, rev = excluded.rev",
            (row["workflow_id"], row["name"], row["version"], row["status"], row["correlation_id"],
             row["parent_workflow_id"], row["create_time"], row["update_time"], row["end_time"], row["def_key"],
             dumps(data), row["rev"]),
        )

    def set_workflow_rev(self, workflow_id: str, rev: int) -> None:
        self._db.execute("UPDATE workflow SET rev = ? WHERE workflow_id = ?", (rev, workflow_id))

    def get_workflow(self, workflow_id: str) -> Optional[tuple[str, int, dict]]:
        """(def_key, rev, workflow JSON without tasks), or None."""
        row = self._db.execute(
            "SELECT def_key, rev, json FROM workflow WHERE workflow_id = ?", (workflow_id,)).fetchone()
        return (row[0], row[1], json.loads(row[2])) if row else None

    def workflow_rev(self, workflow_id: str) -> Optional[int]:
        row = self._db.execute("SELECT rev FROM workflow WHERE workflow_id = ?", (workflow_id,)).fetchone()
        return row[0] if row else None

    def workflow_ids(self, name: str, version: Optional[int] = None, status: Optional[str] = None,
                     correlation_id: Optional[str] = None, start_time: Optional[int] = None,
                     end_time: Optional[int] = None) -> list[str]:
        """Ids of the workflows of `name` matching every criterion given, oldest first."""
        sql, params = "SELECT workflow_id FROM workflow WHERE name = ?", [name]
        for clause, value in (("version = ?", version), ("status = ?", status), ("correlation_id = ?", correlation_id),
                              ("create_time >= ?", start_time), ("create_time <= ?", end_time)):
            if value is not None:
                sql += f" AND {clause}"
                params.append(value)
        return [r[0] for r in self._db.execute(sql + " ORDER BY create_time, workflow_id", params)]

    def workflow_by_idempotency_key(self, name: str, key: str) -> Optional[tuple[str, str]]:
        """(id, status) of the latest workflow of `name` started with this idempotency key."""
        row = self._db.execute(
            "SELECT workflow_id, status FROM workflow WHERE name = ? AND json_extract(json, '$.idempotencyKey') = ? "
            "ORDER BY create_time DESC LIMIT 1", (name, key)).fetchone()
        return (row[0], row[1]) if row else None

    def in_progress_count(self, task_type: str) -> int:
        return self._db.execute("SELECT COUNT(*) FROM task WHERE task_type = ? AND status = 'IN_PROGRESS'",
                                (task_type,)).fetchone()[0]

    def delete_workflow(self, workflow_id: str) -> bool:
        self._db.execute(
            "DELETE FROM queue WHERE task_id IN (SELECT task_id FROM task WHERE workflow_id = ?)", (workflow_id,)
        )
        self._db.execute(
            "DELETE FROM task_log WHERE task_id IN (SELECT task_id FROM task WHERE workflow_id = ?)", (workflow_id,)
        )
        self._db.execute("DELETE FROM task WHERE workflow_id = ?", (workflow_id,))
        self._db.execute("DELETE FROM timer WHERE workflow_id = ?", (workflow_id,))
        return self._db.execute("DELETE FROM workflow WHERE workflow_id = ?", (workflow_id,)).rowcount > 0

    def put_task(self, task_id: str, workflow_id: str, seq: int, ref: str, task_type: str, status: str,
                 text: str, due: Optional[int]) -> None:
        """Write a task row; `text` is the task's JSON (Task.to_json), `due` its timer (None: none)."""
        self._db.execute(
            "INSERT INTO task VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (task_id) DO UPDATE SET status = excluded.status, json = excluded.json, due = excluded.due",
            (task_id, workflow_id, seq, ref, task_type, status, text, due),
        )

    def set_task_due(self, task_id: str, due: Optional[int]) -> None:
        self._db.execute("UPDATE task SET due = ? WHERE task_id = ?", (due, task_id))

    def delete_tasks(self, task_ids: list[str]) -> None:
        self._db.executemany("DELETE FROM queue WHERE task_id = ?", [(i,) for i in task_ids])
        self._db.executemany("DELETE FROM task WHERE task_id = ?", [(i,) for i in task_ids])

    def workflow_id_of_task(self, task_id: str) -> Optional[str]:
        row = self._db.execute("SELECT workflow_id FROM task WHERE task_id = ?", (task_id,)).fetchone()
        return row[0] if row else None

    def pending_tasks_of_types(self, task_types: list[str]) -> list[dict]:
        """Unfinished tasks of these types (the engine re-queues its own background tasks at start)."""
        marks = ",".join("?" * len(task_types))
        rows = self._db.execute(
            f"SELECT json FROM task WHERE status IN ('SCHEDULED', 'IN_PROGRESS') AND task_type IN ({marks})",
            task_types)
        return [json.loads(r[0]) for r in rows]

    def get_task(self, task_id: str) -> Optional[dict]:
        row = self._db.execute("SELECT json FROM task WHERE task_id = ?", (task_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def workflow_tasks(self, workflow_id: str) -> list[dict]:
        rows = self._db.execute("SELECT json FROM task WHERE workflow_id = ? ORDER BY seq", (workflow_id,))
        return [json.loads(r[0]) for r in rows]

    # queues
    def push(self, queue_name: str, task_id: str, visible_at: int, priority: int, replace: bool = True) -> None:
        self._db.execute(
            "INSERT INTO queue VALUES (?, ?, ?, ?) ON CONFLICT (task_id) DO " + (
                "UPDATE SET queue_name = excluded.queue_name, visible_at = excluded.visible_at, "
                "priority = excluded.priority" if replace else "NOTHING"),
            (task_id, queue_name, visible_at, priority))

    def pop(self, queue_name: str, now: int, count: int) -> list[str]:
        """Take up to `count` visible task ids from a queue, highest priority first, then oldest."""
        ids = [r[0] for r in self._db.execute(
            "SELECT task_id FROM queue INDEXED BY queue_order WHERE queue_name = ? AND visible_at <= ? "
            "ORDER BY priority DESC, visible_at, rowid LIMIT ?", (queue_name, now, count))]  # no sort of the queue
        if ids:
            self._db.executemany("DELETE FROM queue WHERE task_id = ?", [(i,) for i in ids])
        return ids

    def top_visible_priority(self, queue_name: str, now: int) -> Optional[int]:
        """The priority of the task a pop would take first, or None if none is visible."""
        row = self._db.execute(
            "SELECT priority FROM queue INDEXED BY queue_order WHERE queue_name = ? AND visible_at <= ? "
            "ORDER BY priority DESC, visible_at, rowid LIMIT 1", (queue_name, now)).fetchone()
        return row[0] if row else None

    def unqueue(self, task_id: str) -> None:
        self._db.execute("DELETE FROM queue WHERE task_id = ?", (task_id,))

    def queue_size(self, queue_name: str) -> int:
        return self._db.execute("SELECT COUNT(*) FROM queue WHERE queue_name = ?", (queue_name,)).fetchone()[0]

    def poll_data(self, task_type: str) -> list[tuple[str, str, Optional[str], int]]:
        """(queue, domain, worker, last poll) for every queue of the task type, with or without a domain."""
        rows = self._db.execute(
            "SELECT queue_name, domain, worker_id, last_poll_time FROM poll_data "
            "WHERE queue_name = ? OR queue_name = domain || ':' || ? ORDER BY queue_name", (task_type, task_type))
        return [tuple(r) for r in rows]

    def next_visible_at(self, queue_name: str) -> Optional[int]:
        """When the queue's first entry becomes visible: the earliest of each priority's earliest, found by
        stepping down the priorities queue_order holds (a few, usually one) instead of reading every entry."""
        (value,) = self._db.execute(
            "WITH RECURSIVE level(priority) AS ("
            " SELECT (SELECT priority FROM queue INDEXED BY queue_order WHERE queue_name = ?1"
            "  ORDER BY priority DESC LIMIT 1)"
            " UNION ALL"
            " SELECT (SELECT priority FROM queue INDEXED BY queue_order WHERE queue_name = ?1"
            "  AND priority < level.priority ORDER BY priority DESC LIMIT 1) FROM level WHERE priority IS NOT NULL)"
            " SELECT MIN((SELECT visible_at FROM queue INDEXED BY queue_order WHERE queue_name = ?1"
            "  AND priority = level.priority ORDER BY visible_at LIMIT 1)) FROM level WHERE priority IS NOT NULL",
            (queue_name,)).fetchone()
        return value

    def record_poll(self, queue_name: str, domain: str, worker_id: Optional[str], now: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO poll_data VALUES (?, ?, ?, ?)", (queue_name, domain, worker_id, now))

    # search
    def count(self, sql: str, params: list) -> int:
        return self._db.execute(sql, params).fetchone()[0]

    def json_rows(self, sql: str, params: list) -> list[dict]:
        """The JSON documents a SELECT of one json column returns (the search compiler writes the SQL)."""
        return [json.loads(r[0]) for r in self._db.execute(sql, params)]

    # timers: when a workflow or a task may time out (the engine re-checks the state when one comes due); a
    # workflow's is a timer row keyed `workflow:<id>`, a task's the `due` of its row, seen here as `task:<id>`
    def set_timer(self, key: str, workflow_id: str, due: Optional[int]) -> None:
        if due is None:
            self._db.execute("DELETE FROM timer WHERE key = ?", (key,))
        else:
            self._db.execute("INSERT INTO timer VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET due = excluded.due",
                             (key, workflow_id, due))

    def timers(self) -> dict[str, int]:
        """Every timer row (the workflows' timers): key -> due."""
        return dict(self._db.execute("SELECT key, due FROM timer"))

    def due_timers(self, now: int, limit: int = 500) -> list[tuple[str, str]]:
        """(key, workflow id) of the workflow and task timers due at `now`, earliest first."""
        rows = self._db.execute(
            "SELECT key, workflow_id, due FROM timer WHERE due <= ?1 UNION ALL "
            "SELECT 'task:' || task_id, workflow_id, due FROM task WHERE due <= ?1 ORDER BY due LIMIT ?2",
            (now, limit))
        return [(r[0], r[1]) for r in rows]

    def next_timer(self) -> Optional[int]:
        return self._db.execute(
            "SELECT MIN(due) FROM (SELECT MIN(due) AS due FROM timer UNION ALL "
            "SELECT MIN(due) FROM task WHERE due IS NOT NULL)").fetchone()[0]

    # logs
    def add_log(self, task_id: str, created_time: int, log: str) -> None:
        self._db.execute("INSERT INTO task_log VALUES (?, ?, ?)", (task_id, created_time, log))

    def task_logs(self, task_id: str) -> list[tuple[str, int]]:
        rows = self._db.execute(
            "SELECT log, created_time FROM task_log WHERE task_id = ? ORDER BY rowid", (task_id,)
        )
        return [(r[0], r[1]) for r in rows]


class Checkpointer:
    """Copies the WAL into the database file on a thread and connection of its own. SQLite would otherwise do it
    inside a commit every 1000 pages, fsync included: a stall for whichever call commits then (a third of the
    time of a chain of worker tasks). A passive checkpoint never blocks a writer; durability is unchanged (WAL
    with synchronous=NORMAL: commits survive a process crash; the checkpoint's fsync is what reaches the disk)."""

    def __init__(self, path: str):
        self._path = path
        self._cv = threading.Condition()
        self._commits = 0  # since the last pass
        self._stopped = False
        self._thread: Optional[threading.Thread] = None

    def committed(self) -> None:
        with self._cv:
            self._commits += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="conductor-checkpoint", daemon=True)
                self._thread.start()
            if self._commits >= CHECKPOINT_EVERY_COMMITS:
                self._cv.notify()

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=10000")
            while True:
                with self._cv:
                    if not self._stopped and self._commits < CHECKPOINT_EVERY_COMMITS:
                        self._cv.wait(CHECKPOINT_INTERVAL_S)
                    if self._stopped:
                        return
                    if not self._commits:
                        continue
                    self._commits = 0
                db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            db.close()
