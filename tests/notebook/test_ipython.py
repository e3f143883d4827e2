"""The notebook layer in a real Jupyter kernel (ipykernel driven by nbclient) on a real SQLite file: displays, cell
workers (start, replace, output, TaskHandler, shutdown) and execute progress. Outside IPython nothing starts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from conductor_nb import Configuration, WorkflowExecutor

pytest.importorskip("ipykernel")
pytest.importorskip("nbclient")

from notebook_kernels import Kernel, mimetypes, text  # noqa: E402

SETUP = """
import threading, time
from conductor_nb import *
from conductor_nb.notebook import cell_workers, stop_worker, watch, wait_for
ex = WorkflowExecutor(Configuration())

def pollers(name):
    prefix = f'conductor-worker-{name}-'
    return sorted(t.name for t in threading.enumerate() if t.name.startswith(prefix) and t.is_alive())

def flow(name, task, **kw):
    wf = ConductorWorkflow(name=name, executor=ex, version=1)
    wf >> SimpleTask(task, task + '_ref').input(key='x', value=wf.input('x'))
    return wf
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One kernel for the module's tests (each uses its own task names): kernel starts are the slow part."""
    workdir = tmp_path_factory.mktemp("kernel")
    with Kernel(workdir, workdir / "conductor.db") as k:
        k.run(SETUP)
        yield k


def widget_texts(kernel: Kernel) -> str:
    """What the kernel's widgets hold (Output widgets' outputs, HTML labels), as the front-end would show it."""
    parts = []
    for state in kernel.client.widget_state.values():
        for output in state.get("outputs", []) or []:
            parts.append(output.get("text", ""))
        if isinstance(state.get("value"), str):
            parts.append(state["value"])
    return "\n".join(parts)


# -- import --------------------------------------------------------------------------------------------------------

def test_importing_in_a_kernel_stays_light(kernel):
    out = text(kernel.run("import sys\nprint(sorted(m for m in ('pandas', 'ipywidgets') if m in sys.modules))"))
    assert out.strip() == "[]"


# -- displays ------------------------------------------------------------------------------------------------------

def test_definitions_and_executions_display_as_svg_diagrams(kernel):
    kernel.run("""
@worker_task(task_definition_name='disp_task')
def disp_task(x):
    return {'y': x}
wf = flow('disp_flow', 'disp_task')
run = wf.execute({'x': 1})
assert run.status == 'COMPLETED', run.status
""")
    for expression in ("wf", "wf.to_workflow_def()", "run", "ex.get_workflow(run.workflow_id)"):
        outputs = kernel.run(expression)
        assert len(outputs) == 1, (expression, outputs)  # shown once: a registered formatter or the model's own
        assert "image/svg+xml" in mimetypes(outputs), expression
        svg = outputs[0].data["image/svg+xml"]
        assert svg.lstrip().startswith("<svg") and "disp_task_ref" in svg

    execution = kernel.run("ex.get_workflow(run.workflow_id)")[0].data
    assert "<svg" in execution["text/html"] and "<table" in execution["text/html"]
    assert "disp_task_ref" in execution["text/plain"]

    search = kernel.run("ex.workflow_client.api.search_workflows(query=\"workflowType = 'disp_flow'\")")
    html = search[0].data["text/html"]
    assert "<table" in html and "disp_flow" in html and "COMPLETED" in html and "1 of 1 workflows" in html


def test_a_display_never_raises(kernel):
    outputs = kernel.run("Workflow.from_dict({'status': 'NOT_A_STATUS', 'tasks': [{'status': 42, 'seq': 'x'}]})")
    assert "Traceback" not in text(outputs)
    assert "text/plain" in mimetypes(outputs)


# -- cell workers --------------------------------------------------------------------------------------------------

def test_a_cell_worker_runs_a_workflow_without_a_task_handler(kernel):
    outputs = kernel.run("""
@worker_task(task_definition_name='cw_greet')
def cw_greet(x: str) -> str:
    return f'Hello {x}'
""")
    assert "worker 'cw_greet': polling embedded engine on" in text(outputs)
    assert str(kernel.db) in text(outputs)
    out = text(kernel.run("""
run = flow('cw_flow', 'cw_greet').execute({'x': 'Orkes'})
print(run.status, run.output['result'], pollers('cw_greet'))
assert 'TaskHandler' not in [type(v).__name__ for v in globals().values()]
"""))
    assert out.strip() == "COMPLETED Hello Orkes ['conductor-worker-cw_greet-0']"
    # the worker polled the kernel's configuration: the run is in the SQLite file the test gave it
    assert WorkflowExecutor(Configuration(db_path=str(kernel.db))).get_workflow(
        kernel.run("print(run.workflow_id)")[0].text.strip()).status == "COMPLETED"


def test_rerunning_the_cell_replaces_the_worker(kernel):
    definition = """
@worker_task(task_definition_name='cw_again', thread_count=2)
def cw_again(x):
    return '{word} ' + str(x)
"""
    kernel.run(definition.format(word="first"))
    assert text(kernel.run("print(flow('cw_again_flow', 'cw_again').execute({'x': 1}).output['result'])")) == \
        "first 1\n"
    kernel.run(definition.format(word="second"))
    out = text(kernel.run("""
print(flow('cw_again_flow', 'cw_again').execute({'x': 2}).output['result'])
print(pollers('cw_again'))
print(len(cell_workers()), cell_workers()['cw_again'].status.split(' ')[0])
"""))
    # thread_count=2: two threads of the new runner, none left of the old one
    assert out.splitlines() == ["second 2", "['conductor-worker-cw_again-0', 'conductor-worker-cw_again-1']",
                                out.splitlines()[2]]
    assert out.splitlines()[2].endswith(" polling")
    assert "cw_again</b>: stopped: replaced by a new definition" in widget_texts(kernel)


def test_worker_prints_and_errors_stay_out_of_other_cells(kernel):
    kernel.run("""
@worker_task(task_definition_name='cw_chatty')
def cw_chatty(x):
    print('CHATTY says', x)
    if x == 'boom':
        raise ValueError('CHATTY exploded')
    time.sleep(0.3)
    return x
""")
    started = text(kernel.run("""
ids = [flow('cw_chatty_flow', 'cw_chatty').start_workflow_with_input({'x': x}) for x in ('one', 'boom', 'two')]
print('started')
"""))
    unrelated = text(kernel.run("time.sleep(1.5)\nprint('unrelated')"))
    assert started == "started\n"
    assert unrelated == "unrelated\n"

    kept = text(kernel.run("print(cell_workers()['cw_chatty'].output.text)"))
    assert "CHATTY says one" in kept and "CHATTY says two" in kept
    assert "ValueError: CHATTY exploded" in kept and "Traceback" in kept
    # and the front-end got them in the worker's own Output widget, shown in the defining cell
    shown = widget_texts(kernel)
    assert "CHATTY says one" in shown and "ValueError: CHATTY exploded" in shown


def test_a_task_handler_does_not_add_a_second_poller(kernel):
    kernel.run("""
@worker_task(task_definition_name='cw_shared')
def cw_shared(x):
    return 'cell'
""")
    out = text(kernel.run("""
handler = TaskHandler(configuration=Configuration())
handler.start_processes()
print(pollers('cw_shared'), flow('cw_shared_flow', 'cw_shared').execute({'x': 1}).output['result'])
handler.stop_processes()
print(pollers('cw_shared'), flow('cw_shared_flow', 'cw_shared').execute({'x': 1}).output['result'])
"""))
    assert "already polled by cell workers" in out
    lines = [line for line in out.splitlines() if line.startswith("[")]
    assert lines == ["['conductor-worker-cw_shared-0'] cell"] * 2


def test_a_cell_worker_takes_its_task_type_over_from_a_running_task_handler(kernel):
    out = text(kernel.run("""
handler = TaskHandler(workers=[Worker('cw_taken', lambda x: 'handler')], configuration=Configuration(),
                      scan_for_annotated_workers=False)
handler.start_processes()
before = flow('cw_taken_flow', 'cw_taken').execute({'x': 1}).output['result']

@worker_task(task_definition_name='cw_taken')
def cw_taken(x):
    return 'cell'

print(before, flow('cw_taken_flow', 'cw_taken').execute({'x': 1}).output['result'], pollers('cw_taken'))
handler.stop_processes()
"""))
    assert "handler cell ['conductor-worker-cw_taken-0']" in out


def test_stop_worker(kernel):
    out = text(kernel.run("""
@worker_task(task_definition_name='cw_stop')
def cw_stop(x):
    return x
print(stop_worker('cw_stop'), stop_worker('cw_stop'), pollers('cw_stop'), 'cw_stop' in cell_workers())
"""))
    assert out.splitlines()[-1] == "True False [] False"


def test_use_moves_cell_workers_to_another_configuration(kernel, tmp_path):
    other = tmp_path / "other.db"
    out = text(kernel.run(f"""
from conductor_nb.notebook import use
@worker_task(task_definition_name='cw_moving')
def cw_moving(x):
    return 'moved'
use(Configuration(db_path={str(other)!r}))
try:
    elsewhere = WorkflowExecutor(Configuration(db_path={str(other)!r}))
    wf = ConductorWorkflow(name='cw_moving_flow', executor=elsewhere, version=1)
    wf >> SimpleTask('cw_moving', 'm').input(key='x', value=1)
    print(wf.execute({{}}).output['result'], pollers('cw_moving'), cell_workers()['cw_moving'].configuration.db_path)
finally:
    use(None)
print(cell_workers()['cw_moving'].configuration.db_path)
"""))
    assert f"moved ['conductor-worker-cw_moving-0'] {other}\n" in out  # polled the other database
    assert f"worker 'cw_moving': polling embedded engine on {other}\n" in out  # a panel for the move
    assert out.endswith(f"\n{kernel.db}\n")  # and back


def test_functions_from_modules_do_not_start_by_themselves(kernel, tmp_path):
    module = tmp_path / "cw_module_workers.py"
    module.write_text("from conductor_nb import worker_task\n\n"
                      "@worker_task(task_definition_name='cw_from_module')\ndef f(x):\n    return x\n")
    out = text(kernel.run(f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\nimport cw_module_workers\n"
                          "print(pollers('cw_from_module'))"))
    assert out.strip() == "[]"


# -- progress --------------------------------------------------------------------------------------------------------

def test_a_long_execute_shows_its_progress(kernel):
    kernel.run("""
@worker_task(task_definition_name='cw_slow')
def cw_slow(x):
    time.sleep(0.8)
    return x
""")
    outputs = kernel.run("run = flow('cw_slow_flow', 'cw_slow').execute({'x': 1})\nprint(run.status)")
    progress = [o for o in outputs if o.output_type == "display_data"]
    assert len(progress) == 1, outputs  # one line, updated in place
    line = progress[0].data["text/plain"]
    assert line.startswith("cw_slow_flow ") and "COMPLETED, 1/1 tasks done" in line
    assert "<progress" in progress[0].data["text/html"]
    assert outputs[-1].text == "COMPLETED\n"
    # a quick one shows nothing but its own output
    quick = kernel.run("print(flow('cw_quick_flow', 'cw_greet').execute({'x': 'q'}).status)")
    assert [o.output_type for o in quick] == ["stream"]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    """A `conductor-nb server` subprocess on 127.0.0.1, on a port the system picks, over a fresh SQLite file."""
    directory = tmp_path_factory.mktemp("server")
    log = directory / "server.log"
    with open(log, "w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "conductor_nb.cli", "--db", str(directory / "server.db"),
                                    "server", "--host", "127.0.0.1", "--port", "0"],
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 30
        while not (found := re.search(r"serving (http://\S+/api)", log.read_text())):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield found.group(1)
    finally:
        process.kill()
        process.wait()


# In the kernel: a WorkflowExecutor on the server, and remote_flow(name, *tasks) registering a workflow there.
REMOTE_FLOW = """
remote = WorkflowExecutor(Configuration(server_api_url={server_url!r}))
def remote_flow(name, *tasks):
    wf = ConductorWorkflow(name=name, executor=remote, version=1)
    for task in tasks:
        wf >> task
    wf.register(True)
    return wf
"""


def test_a_long_execute_against_a_server_shows_its_task_counts(kernel, server_url):
    """Against a server the execute starts the workflow and follows it with get_workflow, so the line has the
    id and the task counts, and it returns the WorkflowRun the server's own execute returns."""
    kernel.run(REMOTE_FLOW.format(server_url=server_url) + """
slow = remote_flow('remote_slow', WaitTask('first', wait_for_seconds=1), WaitTask('second', wait_for_seconds=1))
""")
    outputs = kernel.run("""
published = []  # every version of the line the kernel sends, not only the last one the notebook keeps
publisher = get_ipython().display_pub
publisher.publish = lambda data, *a, _publish=publisher.publish, **kw: (published.append(data.get('text/plain')),
                                                                          _publish(data, *a, **kw))[1]
try:
    run = remote.execute('remote_slow', 1, {'x': 1})
finally:
    del publisher.publish
print(type(run).__name__, run.status, run.signal_timeout, len(run.tasks))
""")
    progress = [o for o in outputs if o.output_type == "display_data"]
    assert len(progress) == 1, outputs  # one line, updated in place
    line = progress[0].data["text/plain"]
    assert re.match(r"remote_slow [0-9a-f-]{36}: COMPLETED, 2/2 tasks done, \d+\.\d s$", line), line
    assert "<progress value='2' max='2'" in progress[0].data["text/html"]
    assert outputs[-1].text == "WorkflowRun COMPLETED False 2\n"
    lines = eval(text(kernel.run("print(published)")))
    running = [shown for shown in lines if ": RUNNING, " in shown]
    assert running and all(re.search(r"[0-9a-f-]{36}: RUNNING, [01]/[12] tasks done", shown) for shown in running), \
        lines  # while it ran, not only once it returned

    # the same shape as the server's own sync execute (which the notebook no longer calls)
    out = text(kernel.run("""
request = StartWorkflowRequest(name='remote_slow', version=1, input={'x': 1})
theirs = remote.workflow_client.api.execute_workflow(request, 'req-1', None, 10)
ours = remote.execute_workflow(request, None, 10, 'req-1')
strip = lambda run: {k: v for k, v in run.to_dict().items() if k not in ('tasks', 'targetWorkflowId', 'workflowId',
                                                                          'createTime', 'updateTime')}
print(strip(ours) == strip(theirs), sorted(ours.to_dict()) == sorted(theirs.to_dict()), ours.request_id)
"""))
    assert out.splitlines()[-1] == "True True req-1"


def test_an_execute_against_a_server_returns_when_the_sync_execute_would(kernel, server_url):
    kernel.run(REMOTE_FLOW.format(server_url=server_url) + """
remote_flow('remote_signal', WaitTask('hold'))
remote_flow('remote_steps', WaitTask('step', wait_for_seconds=1), WaitTask('long', wait_for_seconds=30))
def timed(**kw):
    began = time.monotonic()
    run = remote.execute(**kw)
    return run, time.monotonic() - began
""")
    quick = kernel.run("run, took = timed(name='remote_signal', version=1)\n"
                       "print(run.status, run.signal_timeout, [t.status for t in run.tasks], took < 0.5)")
    assert [o.output_type for o in quick] == ["stream"]  # a quick one shows no line
    assert quick[0].text == "RUNNING False ['IN_PROGRESS'] True\n"  # a WAIT for a signal: it returns at once
    out = text(kernel.run("run, took = timed(name='remote_steps', version=1, wait_until_task_ref='step')\n"
                          "print(run.status, run.signal_timeout, [t.status for t in run.tasks], took < 5)"))
    assert out.splitlines()[-1] == "RUNNING False ['COMPLETED', 'IN_PROGRESS'] True"
    out = text(kernel.run("run, took = timed(name='remote_steps', version=1, wait_for_seconds=2)\n"
                          "print(run.status, run.signal_timeout, [t.status for t in run.tasks], 1.9 < took < 5)"))
    assert out.splitlines()[-1] == "RUNNING True ['COMPLETED', 'IN_PROGRESS'] True"


def test_watch_and_await_wait_for(kernel):
    out = text(kernel.run("""
wid = flow('cw_slow_flow', 'cw_slow').start_workflow_with_input({'x': 2})
print(watch(wid).status)
"""))
    assert "COMPLETED, 1/1 tasks done" in out and out.endswith("COMPLETED\n")
    out = text(kernel.run("""
wid = flow('cw_slow_flow', 'cw_slow').start_workflow_with_input({'x': 3})
done = await wait_for(wid, timeout=20)
print(done.status, done.output)
"""))
    assert out.endswith("COMPLETED {'result': 3}\n")


# -- shutdown ------------------------------------------------------------------------------------------------------

def test_kernel_shutdown_stops_the_workers_and_fails_what_they_run(tmp_path):
    db = tmp_path / "conductor.db"
    kernel = Kernel(tmp_path, db).__enter__()
    try:
        kernel.run(SETUP)
        kernel.run("""
started = threading.Event()
@worker_task(task_definition_name='cw_forever')
def cw_forever(x):
    started.set()
    time.sleep(60)
wid = flow('cw_forever_flow', 'cw_forever').start_workflow_with_input({'x': 1})
assert started.wait(10)
""")
        workflow_id = text(kernel.run("print(wid)")).strip()
    finally:
        began = time.monotonic()
        kernel.shutdown()
        took = time.monotonic() - began
    assert took < 4.5, f"shutdown took {took:.1f}s"  # jupyter_client kills a kernel still alive after 5 s
    task = WorkflowExecutor(Configuration(db_path=str(db))).get_workflow(workflow_id).tasks[0]
    assert task.status == "FAILED" and task.reason_for_incompletion == "worker stopped before the task finished"


# -- outside IPython --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("preamble", ["", "import IPython  # imported, but no shell is running\n"])
def test_outside_ipython_nothing_starts(tmp_path, preamble):
    code = preamble + """
import sys, threading, time, json
from conductor_nb import worker_task

@worker_task(task_definition_name='script_task')
def script_task(x):
    return x

time.sleep(0.3)
print(json.dumps({
    "threads": [t.name for t in threading.enumerate() if t.name.startswith('conductor-')],
    "loaded": [m for m in ('pandas', 'ipywidgets', 'conductor_nb.notebook.ipython', 'conductor_nb.notebook.cells')
               if m in sys.modules],
    "stdout": type(sys.stdout).__name__,
}))
"""
    env = {"CONDUCTOR_NB_DB": str(tmp_path / "script.db"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"threads": [], "loaded": [], "stdout": "TextIOWrapper"}


def test_the_notebook_layer_switches_off_cleanly(kernel):
    out = text(kernel.run("""
from conductor_nb.notebook import deactivate, activate
@worker_task(task_definition_name='cw_off')
def cw_off(x):
    return x
deactivate()
print(pollers('cw_off'), type(sys.stdout).__name__, 'image/svg+xml' in get_ipython().display_formatter.format(ex)[0])
wf = flow('cw_off_flow', 'cw_off')
print(sorted(get_ipython().display_formatter.format(wf)[0]))
activate(get_ipython())
print(sorted(get_ipython().display_formatter.format(wf)[0]))
"""))
    lines = out.splitlines()
    assert lines[-3] == "[] OutStream False"
    assert lines[-2] == "['image/svg+xml', 'text/plain']"  # a definition draws itself (_repr_mimebundle_)
    assert lines[-1] == "['image/svg+xml', 'text/plain']"


def test_switched_off_an_execution_is_still_a_diagram_and_switched_on_it_has_its_table(kernel):
    out = text(kernel.run("""
from conductor_nb.notebook import deactivate, activate
done = ex.get_workflow(flow('cw_off_table', 'cw_off_table').start_workflow_with_input({'x': 1}))
deactivate()
print(sorted(get_ipython().display_formatter.format(done)[0]))
activate(get_ipython())
print(sorted(get_ipython().display_formatter.format(done)[0]))
"""))
    lines = out.splitlines()
    assert lines[-2] == "['image/svg+xml', 'text/plain']"
    assert lines[-1] == "['image/svg+xml', 'text/html', 'text/plain']"

