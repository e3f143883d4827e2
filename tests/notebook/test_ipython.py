"""The notebook layer in a real Jupyter kernel (ipykernel driven by nbclient) on a real SQLite file: displays, cell
workers (start, replace, output, TaskHandler, shutdown) and execute progress. Outside IPython nothing starts."""

from __future__ import annotations

import json
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
    assert lines[-2] == "['text/plain']"
    assert lines[-1] == "['image/svg+xml', 'text/plain']"

