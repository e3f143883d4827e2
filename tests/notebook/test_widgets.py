"""The execution panel and the launcher on the real engine (a SQLite file): each button calls the WorkflowClient
method of its name and the engine's state follows; errors show inside the panel and never raise; a background
thread keeps the panel current while the run goes on, and stops when it ends or the panel closes."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("ipywidgets")

from conductor_nb import (  # noqa: E402
    ConductorError,
    ConductorWorkflow,
    ConflictError,
    MetadataClient,
    NotFoundError,
    ServerError,
    SimpleTask,
    StartWorkflowRequest,
    TaskDef,
    WaitTask,
    WorkflowClient,
    WorkflowExecutor,
)
from conductor_nb.notebook import ExecutionPanel, Launcher, launcher, panel  # noqa: E402
from conductor_nb.notebook import panel_views as views  # noqa: E402

OPERATIONS = ("start_workflow", "pause_workflow", "resume_workflow", "terminate_workflow", "retry_workflow",
              "restart_workflow", "rerun_workflow", "get_workflow")


def recording(client: WorkflowClient) -> WorkflowClient:
    """The same client, noting each operation it is asked for in `client.calls` (name, args)."""
    client.calls = []
    for name in OPERATIONS:
        original = getattr(client, name)

        def call(*args, _name=name, _original=original, **kwargs):
            client.calls.append((_name, args))
            return _original(*args, **kwargs)

        setattr(client, name, call)
    return client


def args_of(client: WorkflowClient, name: str) -> tuple:
    """The arguments of the last call of operation `name`."""
    return [args for called, args in client.calls if called == name][-1]


def operations(client: WorkflowClient) -> list[str]:
    return [name for name, _ in client.calls if name != "get_workflow"]


def eventually(check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.01)


@pytest.fixture
def ex(config):
    executor = WorkflowExecutor(config)
    executor.metadata_client.register_task_def(TaskDef(name="pw_work", retry_count=0))
    wf = ConductorWorkflow(name="pw_order", executor=executor, version=1, description="work, then wait")
    wf.input_parameters(["item", "quantity"])
    wf >> SimpleTask("pw_work", "work_ref").input(key="item", value=wf.input("item")) >> WaitTask("approval")
    wf.register(True)
    return executor


@pytest.fixture
def client(config):
    return recording(WorkflowClient(config))


@pytest.fixture
def run_id(ex):
    return ex.start_workflow(StartWorkflowRequest(name="pw_order", version=1, input={"item": "teapot"}))


@pytest.fixture
def panels():
    made = []
    yield made
    for p in made:
        p.close()


def open_panel(panels, *args, **kwargs) -> ExecutionPanel:
    kwargs.setdefault("interval", 0.02)
    p = panel(*args, **kwargs)
    panels.append(p)
    return p


def complete(ex, workflow_id, ref, status="COMPLETED", output=None):
    ex.task_client.update_task_by_ref_name(workflow_id, ref, status, output or {})


def engine_status(ex, workflow_id) -> str:
    return ex.get_workflow(workflow_id).status


def enabled(p: ExecutionPanel) -> set[str]:
    return {key for key, button in p.buttons.items() if not button.disabled}


# -- the buttons --------------------------------------------------------------------------------------------------

def test_pause_resume_terminate_restart_buttons_call_the_client(ex, client, run_id, panels):
    p = open_panel(panels, run_id, client)
    assert p.status == "RUNNING" and "RUNNING" in p._header.value
    assert enabled(p) == {"execute", "pause", "terminate", "refresh"}

    p.buttons["pause"].click()
    assert operations(client) == ["pause_workflow"] and args_of(client, "pause_workflow") == (run_id,)
    assert engine_status(ex, run_id) == "PAUSED" and p.status == "PAUSED"
    assert enabled(p) == {"execute", "resume", "terminate", "refresh"}
    assert p.message == "paused" and p.error is None

    p.buttons["resume"].click()
    assert operations(client)[-1] == "resume_workflow" and engine_status(ex, run_id) == "RUNNING"

    p._reason.value = "wrong teapot"
    p.buttons["terminate"].click()
    assert args_of(client, "terminate_workflow") == (run_id, "wrong teapot")
    stopped = ex.get_workflow(run_id)
    assert stopped.status == "TERMINATED" and stopped.reason_for_incompletion == "wrong teapot"
    assert p.status == "TERMINATED" and "wrong teapot" in p._header.value
    assert enabled(p) == {"execute", "retry", "restart", "rerun", "refresh"}

    p.buttons["restart"].click()
    assert operations(client)[-1] == "restart_workflow"
    assert engine_status(ex, run_id) == "RUNNING" and p.status == "RUNNING"
    assert operations(client) == ["pause_workflow", "resume_workflow", "terminate_workflow", "restart_workflow"]


def test_retry_button_reruns_the_failed_task(ex, client, run_id, panels):
    complete(ex, run_id, "work_ref", "FAILED")
    p = open_panel(panels, run_id, client)
    assert p.status == "FAILED" and "retry" in enabled(p)
    p.buttons["retry"].click()
    assert operations(client) == ["retry_workflow"]
    assert p.status == "RUNNING"
    assert [t.status for t in p.workflow.tasks if t.reference_task_name == "work_ref"] == ["FAILED", "SCHEDULED"]


def test_rerun_from_the_task_chosen_in_the_dropdown(ex, client, run_id, panels):
    complete(ex, run_id, "work_ref", output={"done": 1})
    ex.terminate(run_id, "stop")
    p = open_panel(panels, run_id, client)
    choices = dict((label.split(" (")[0], value) for label, value in p._rerun_from.options)
    assert list(choices) == ["the start", "work_ref", "approval"]

    p._rerun_from.value = choices["approval"]
    p.buttons["rerun"].click()
    args = args_of(client, "rerun_workflow")
    assert args[0] == run_id and args[1].re_run_from_task_id == choices["approval"]
    rerun = ex.get_workflow(run_id)
    assert rerun.status == "RUNNING"
    assert [(t.reference_task_name, t.status) for t in rerun.tasks] == [("work_ref", "COMPLETED"),
                                                                         ("approval", "IN_PROGRESS")]
    assert p.message == "rerunning from approval"

    ex.terminate(run_id, "again")
    p.refresh()
    p.rerun("work_ref")  # by reference name, from code
    assert [(t.reference_task_name, t.status) for t in ex.get_workflow(run_id).tasks] == [("work_ref", "SCHEDULED")]


def test_rerun_defaults_to_the_first_failed_task(ex, run_id, panels):
    complete(ex, run_id, "work_ref", "FAILED")
    p = open_panel(panels, run_id, ex)
    failed = next(t.task_id for t in p.workflow.tasks if t.reference_task_name == "work_ref")
    assert p._rerun_from.value == failed


def test_execute_form_starts_a_run_with_its_input_and_follows_it(ex, client, run_id, panels):
    p = open_panel(panels, run_id, client)
    assert p._form.layout.display == "none"
    p.buttons["execute"].click()
    assert p._form.layout.display != "none"
    assert '"item": "teapot"' in p._input.value  # prefilled with this run's input
    p._input.value = '{"item": "kettle", "quantity": 2}'
    p._correlation.value = "order-7"
    p._run.click()
    assert operations(client) == ["start_workflow"]
    request = args_of(client, "start_workflow")[0]
    assert (request.name, request.version, request.correlation_id) == ("pw_order", 1, "order-7")
    assert p.workflow_id != run_id and p.message == f"started {p.workflow_id}"
    started = ex.get_workflow(p.workflow_id)
    assert started.input == {"item": "kettle", "quantity": 2} and started.correlation_id == "order-7"
    assert p.status == "RUNNING" and p._form.layout.display == "none"


def test_a_panel_of_a_definition_starts_with_the_form_open(ex, client, panels):
    p = open_panel(panels, ex.metadata_client.get_workflow_def("pw_order", 1), client)
    assert p.workflow_id is None and p.status is None
    assert enabled(p) == {"execute"}
    assert p._form.layout.display != "none"
    assert "NOT STARTED" in p._header.value and "work, then wait" in p._header.value
    assert "<svg" in p._diagram.value
    assert '"item": null' in p._input.value and '"quantity": null' in p._input.value
    workflow_id = p.execute({"item": "cup"})
    assert workflow_id == p.workflow_id and ex.get_workflow(workflow_id).input == {"item": "cup"}


@pytest.mark.parametrize("as_definition", [False, True], ids=["ConductorWorkflow", "WorkflowDef"])
def test_a_panel_of_an_unregistered_workflow_starts_its_definition_inline(ex, client, panels, as_definition):
    wf = ConductorWorkflow(name="pw_unregistered", executor=ex, version=1)
    wf >> WaitTask("hold")
    p = open_panel(panels, wf.to_workflow_def() if as_definition else wf, client)
    assert "execute" in enabled(p)
    workflow_id = p.execute({"x": 1})
    assert workflow_id and p.error is None, p.message
    assert args_of(client, "start_workflow")[0].workflow_def.name == "pw_unregistered"
    run = ex.get_workflow(workflow_id)
    assert (run.workflow_name, run.status, run.input) == ("pw_unregistered", "RUNNING", {"x": 1})
    assert [t.reference_task_name for t in run.tasks] == ["hold"]
    with pytest.raises(NotFoundError):  # started, not registered
        ex.metadata_client.get_workflow_def("pw_unregistered", 1)


def test_a_panel_of_a_registered_workflow_starts_it_by_name(ex, client, panels):
    p = open_panel(panels, ex.metadata_client.get_workflow_def("pw_order", 1), client)
    assert p.execute({"item": "cup"})
    assert args_of(client, "start_workflow")[0].workflow_def is None


# -- errors, inline ------------------------------------------------------------------------------------------------

def test_errors_show_inline_and_never_raise(ex, client, run_id, panels):
    p = open_panel(panels, run_id, client)
    p.buttons["resume"].click()  # not paused
    assert isinstance(p.error, ServerError)
    assert p.message.startswith("Resume failed: ServerError (500): ")
    assert "conductor-nb-error" in p._message.value and "Traceback" not in p._message.value

    p.buttons["execute"].click()
    p._input.value = '{"item": '
    p._run.click()
    assert isinstance(p.error, ValueError) and "not valid JSON" in p.message
    p._input.value = "[1, 2]"
    p._run.click()
    assert "must be a JSON object" in p.message
    assert operations(client) == ["resume_workflow"]  # nothing was started

    complete(ex, run_id, "work_ref")
    ex.signal(run_id, "COMPLETED", {})
    p.refresh()
    assert p.status == "COMPLETED"
    p.terminate()  # Conductor refuses to terminate a COMPLETED run
    assert isinstance(p.error, ConflictError) and p.message.startswith("Terminate failed: ConflictError (409)")
    assert p.restart() and p.error is None and p.message == "restarted from the first task"


def test_errors_of_any_kind_from_the_client_show_inline(ex, run_id, panels):
    class Down(WorkflowClient):
        def pause_workflow(self, workflow_id):
            raise ConnectionError("connection refused")

    p = open_panel(panels, run_id, Down(ex.configuration))
    assert p.pause() is False
    assert p.message == "Pause failed: ConnectionError: connection refused"


def test_a_missing_execution_is_shown_not_raised(ex, panels):
    p = open_panel(panels, "no-such-workflow", ex)
    assert isinstance(p.error, NotFoundError)
    assert "no-such-workflow" in p.message and not p.following
    assert enabled(p) == {"refresh"}
    p.buttons["pause"].click()  # a disabled button clicked from code still only shows the error
    assert isinstance(p.error, ConductorError)


def test_operations_without_a_run_explain_themselves(panels):
    p = open_panel(panels, None)
    assert enabled(p) == set()
    assert p.pause() is False and "no run yet" in p.message


# -- live ----------------------------------------------------------------------------------------------------------

def test_the_panel_follows_the_run_live_and_stops_when_it_ends(ex, run_id, panels):
    p = open_panel(panels, run_id, ex)
    assert p.following
    diagram = p._diagram.value
    complete(ex, run_id, "work_ref", output={"done": True})  # someone else moves the run on
    assert eventually(lambda: "approval" in p._tasks.value)
    assert p._diagram.value != diagram and "IN_PROGRESS" in p._tasks.value
    assert "approval (WAIT, IN_PROGRESS)" in [label for label, _ in p._rerun_from.options]
    ex.signal(run_id, "COMPLETED", {})
    assert eventually(lambda: p.status == "COMPLETED")
    assert eventually(lambda: not p.following)  # an ended run is not polled
    assert enabled(p) == {"execute", "restart", "rerun", "refresh"}


def test_an_action_that_sets_the_run_going_follows_it_again(ex, run_id, panels):
    ex.terminate(run_id, "stop")
    p = open_panel(panels, run_id, ex)
    assert not p.following
    p.restart()
    assert p.following
    complete(ex, run_id, "work_ref")
    assert eventually(lambda: "approval" in p._tasks.value)


def test_closing_the_panel_stops_following(ex, run_id, panels):
    p = open_panel(panels, run_id, ex)
    assert p.following
    p.close()
    assert eventually(lambda: not p.following)
    assert p.widget.comm is None
    complete(ex, run_id, "work_ref")
    time.sleep(0.1)
    assert "approval" not in p._tasks.value


def test_wait_blocks_until_the_run_ends(ex, run_id, panels):
    p = open_panel(panels, run_id, ex)
    complete(ex, run_id, "work_ref")
    assert p.wait(timeout=0.2) == "RUNNING"  # still waiting for its signal
    ex.signal(run_id, "COMPLETED", {})
    assert p.wait(timeout=5) == "COMPLETED"


# -- display -------------------------------------------------------------------------------------------------------

def test_the_panel_displays_as_a_widget_with_a_text_fallback(ex, run_id, panels):
    p = open_panel(panels, run_id, ex)
    bundle = p._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == p.widget.model_id
    assert bundle["text/plain"] == f"<ExecutionPanel pw_order {run_id}: RUNNING>"
    assert views.CSS_CLASS in p.widget._dom_classes
    assert p.buttons["terminate"]._dom_classes == ("conductor-nb-terminate",)


def test_the_panel_display_carries_a_static_html_view_for_readers_without_a_kernel(ex, run_id, panels):
    p = open_panel(panels, run_id, ex)
    static = p._repr_mimebundle_()["text/html"]
    assert "conductor-nb-static" in static and "data-status='RUNNING'" in static and run_id in static
    assert "<svg" in static and "work_ref" in static  # the diagram
    assert "<table" in static and "pw_work" in static  # the task table
    p.terminate("enough")
    static = p._repr_mimebundle_()["text/html"]
    assert "data-status='TERMINATED'" in static and "terminated: enough" in static
    p.close()
    assert "<svg" in p._repr_mimebundle_()["text/html"]  # a closed widget still leaves the picture
    waiting = open_panel(panels, ex.metadata_client.get_workflow_def("pw_order", 1), ex)
    static = waiting._repr_mimebundle_()["text/html"]
    assert "NOT STARTED" in static and "<svg" in static and "<table" not in static


def test_sources_the_panel_accepts(ex, config, run_id, panels):
    from conductor_nb import OrkesClients
    from conductor_nb.notebook import use

    run = ex.get_workflow(run_id)
    for source in (ex, ex.workflow_client, OrkesClients(config), config):
        p = open_panel(panels, run, source)
        assert p.status == "RUNNING", source
    use(config)
    try:
        assert open_panel(panels, run_id).status == "RUNNING"  # the notebook's current configuration
    finally:
        use(None)


# -- launcher ------------------------------------------------------------------------------------------------------

def test_launcher_lists_registered_workflows_and_runs_the_one_picked(ex, client, panels):
    second = ConductorWorkflow(name="pw_greet", executor=ex, version=1, description="say hello")
    second.input_parameters(["name"])
    second >> WaitTask("hold")
    second.register(True)
    second.version = 2
    second.register(True)

    found = launcher((client, MetadataClient(ex.configuration)), interval=0.02)
    panels.append(found.panel)
    assert isinstance(found, Launcher)
    labels = [label for label, _ in found._picker.options]
    assert labels == ["pw_greet  v2  — say hello", "pw_greet  v1  — say hello", "pw_order  v1  — work, then wait"]
    assert "3 definitions" in found._title.value
    assert found.panel._form.layout.display != "none"  # the first one is picked, its form open

    found.select("pw_order")
    assert found.panel.definition.name == "pw_order"
    assert '"quantity": null' in found.panel._input.value
    found.panel._input.value = '{"item": "mug", "quantity": 3}'
    found.panel._run.click()
    assert operations(client) == ["start_workflow"]
    workflow_id = found.panel.workflow_id
    assert ex.get_workflow(workflow_id).workflow_name == "pw_order"
    assert ex.get_workflow(workflow_id).input == {"item": "mug", "quantity": 3}
    assert found.panel.status == "RUNNING" and found.panel.following

    found.select("pw_greet", 1)
    assert (found.panel.definition.name, found.panel.definition.version) == ("pw_greet", 1)
    assert found.panel.workflow_id is None
    assert found.execute({"name": "Ada"}) and ex.get_workflow(found.panel.workflow_id).workflow_version == 1

    found.select("nope")
    assert "no registered workflow nope" in found._message.value
    static = found._repr_mimebundle_()["text/html"]
    assert "Registered workflows" in static and "no registered workflow nope" in static and "<svg" in static
    assert "<li>pw_greet  v2  — say hello</li>" in static and "<li>pw_order  v1  — work, then wait</li>" in static


def test_launcher_wait_follows_the_run_it_started(ex, panels):
    found = launcher(ex, interval=0.02)
    panels.append(found.panel)
    found.select("pw_order")
    workflow_id = found.execute({"item": "tray"})
    assert found.wait(timeout=0.1) == "RUNNING"
    complete(ex, workflow_id, "work_ref")
    ex.signal(workflow_id, "COMPLETED", {})
    assert found.wait(timeout=5) == "COMPLETED" and found.panel.status == "COMPLETED"


def test_launcher_shows_a_listing_error_inline(ex, panels):
    class Down(MetadataClient):
        def get_all_workflow_defs(self):
            raise ServerError("metadata store unavailable")

    found = launcher((ex.workflow_client, Down(ex.configuration)))
    panels.append(found.panel)
    assert "metadata store unavailable" in found._message.value and found.definitions == []


# -- in a real kernel ----------------------------------------------------------------------------------------------

def test_in_a_kernel_the_front_end_receives_the_live_updates(tmp_path):
    """The follower thread's widget updates reach the front-end (nbclient here) while another cell runs."""
    pytest.importorskip("ipykernel")
    pytest.importorskip("nbclient")
    from notebook_kernels import Kernel, text

    with Kernel(tmp_path, tmp_path / "conductor.db") as kernel:
        shown = kernel.run(
            "from conductor_nb import *\n"
            "from conductor_nb.notebook import panel\n"
            "ex = WorkflowExecutor(Configuration())\n"
            "wf = ConductorWorkflow(name='kernel_panel', executor=ex, version=1)\n"
            "wf >> WaitTask('hold')\n"
            "wf.register(True)\n"
            "workflow_id = ex.start_workflow(StartWorkflowRequest(name='kernel_panel', version=1))\n"
            "p = panel(workflow_id, interval=0.05)\n"
            "p")
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in shown)
        assert "<ExecutionPanel kernel_panel" in text(shown)

        def statuses() -> set[str]:
            """The status badges in the widgets' state as the front-end holds it."""
            return {views_status(s["value"]) for s in kernel.client.widget_state.values()
                    if isinstance(s.get("value"), str) and "data-status=" in s["value"]}

        assert statuses() == {"RUNNING"}
        out = text(kernel.run("import time\nex.signal(workflow_id, 'COMPLETED', {})\n"
                              "deadline = time.monotonic() + 5\n"
                              "while p.following and time.monotonic() < deadline:\n    time.sleep(0.05)\n"
                              "print(p.status, p.following)"))
        assert out.strip() == "COMPLETED False"
        assert statuses() == {"COMPLETED"}  # sent by the follower thread, not by a cell


def views_status(markup: str) -> str:
    start = markup.index("data-status='") + len("data-status='")
    return markup[start:markup.index("'", start)]
