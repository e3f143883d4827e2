"""Workers over HTTP ride out a server restart: polls back off quietly and reconnect by themselves."""

import logging
import time

from conductor_nb import Configuration, StartWorkflowRequest, TaskHandler, Worker, WorkflowDef, WorkflowTask
from conductor_nb.engine import Engine
from conductor_nb.http import HttpConductor
from conductor_nb.server import ConductorServer

FLOW = WorkflowDef(name="echo_flow", tasks=[
    WorkflowTask(name="restart_echo", task_reference_name="echo", input_parameters={"v": "${workflow.input.v}"})])


def echo(v):
    return {"echo": v}


def test_a_worker_reconnects_after_a_restart_without_tracebacks(db_path, caplog):
    engine = Engine(db_path)
    first = ConductorServer(engine, port=0).start()
    client = HttpConductor(first.url)
    client.register_workflow_def(FLOW)
    handler = TaskHandler(workers=[Worker("restart_echo", echo)], configuration=Configuration(server_api_url=first.url),
                          scan_for_annotated_workers=False)
    handler.start_processes()
    caplog.set_level(logging.DEBUG, logger="conductor_nb")
    try:
        before = client.execute_workflow(StartWorkflowRequest(name="echo_flow", input={"v": 1}))
        caplog.clear()
        first.stop()
        engine.close()
        while not [r for r in caplog.records if r.name == "conductor_nb.worker"]:
            time.sleep(0.05)  # until the worker has seen its polls fail
        engine = Engine(db_path)
        with ConductorServer(engine, port=first.port):
            after = client.execute_workflow(StartWorkflowRequest(name="echo_flow", input={"v": 2}))
    finally:
        handler.stop_processes()
        engine.close()
    assert (before.status, before.output) == ("COMPLETED", {"echo": 1})
    assert (after.status, after.output) == ("COMPLETED", {"echo": 2})
    records = [r for r in caplog.records if r.name == "conductor_nb.worker"]
    recovered = next(i for i, r in enumerate(records) if r.levelno == logging.INFO and "works again" in r.getMessage())
    outage = records[:recovered]  # (the final server stop, before the handler's, is a second outage)
    assert outage[0].levelno == logging.WARNING and "cannot connect" in outage[0].getMessage()
    assert all(r.levelno == logging.DEBUG for r in outage[1:])  # repeated failures do not flood the log
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if "HTTPConnectionPool" in r.getMessage()]
