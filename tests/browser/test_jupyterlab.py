"""A real browser on notebook 04: JupyterLab on 127.0.0.1, Debian's Chromium headless (driven by Playwright, with
the system browser: no `playwright install`), Run All, then the diagram and the execution panel appear, a click on
Terminate turns the panel's status to TERMINATED. Screenshots are kept in tests/browser/artifacts/.

Skips, saying why, when /usr/bin/chromium, Playwright or JupyterLab is missing (.ci/run installs Chromium).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CONDUCTOR_NB_CHROMIUM", "/usr/bin/chromium")
NOTEBOOK = "04_workflow_operations.ipynb"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
SERVER_START_SECONDS = 30
BUDGET_SECONDS = 75  # the test itself, page load to the last screenshot (the server start has its own 30 s)

# JupyterLab settings for a quiet, fully rendered page: no news prompt, no kernel dialog (the notebook's kernel
# starts by itself), every cell in the DOM (no windowing).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none",
                                                                   "autoStartDefaultKernel": True},
}


def _missing() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium; .ci/run does it)"
    for module, package in (("playwright.sync_api", "playwright"), ("jupyterlab", "jupyterlab"),
                            ("nbformat", "nbformat"), ("ipywidgets", "ipywidgets"), ("ipykernel", "ipykernel")):
        try:
            __import__(module)
        except ImportError:
            return f"{package} is not installed (pip install -e '.[test,notebook]')"
    if not (ROOT / "notebooks" / NOTEBOOK).is_file():
        return f"notebooks/{NOTEBOOK} is missing"
    return ""


MISSING = _missing()
pytestmark = pytest.mark.skipif(bool(MISSING), reason=MISSING or "ready")


class Deadline:
    """One time budget for the whole test: each wait gets what is left of it."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def ms(self, at_most: float) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            pytest.fail(f"the browser test ran out of its {BUDGET_SECONDS} s budget")
        return min(at_most, left) * 1000


def _clear_outputs(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """JupyterLab serving a copy of notebooks/ on 127.0.0.1 with a random token; yields its base URL and token."""
    import requests

    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    _clear_outputs(notebooks / NOTEBOOK)  # what the browser shows afterwards comes from this run alone
    home = tmp_path / "jupyter"
    settings = home / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    config = home / "config"
    config.mkdir(parents=True)
    (config / "jupyter_server_config.py").write_text(
        "c.LabApp.news_url = None\n"
        "c.LabApp.check_for_updates_class = 'jupyterlab.NeverCheckForUpdate'\n")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "IPYTHONDIR": str(home / "ipython"), "CONDUCTOR_NB_DB": str(tmp_path / "default.db"),
           "PYTHONUNBUFFERED": "1"}
    env.pop("CONDUCTOR_SERVER_URL", None)
    port, token = _free_port(), secrets.token_hex(16)
    log = open(tmp_path / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
         f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0", "--notebook-dir", str(notebooks),
         "--LabApp.extension_manager=readonly", *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                if requests.get(f"{base}/api/status", params={"token": token}, timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text()[-3000:])
            time.sleep(0.2)
        yield base, token
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # the server shuts its kernels down as it stops
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(5)
        log.close()


@pytest.fixture
def page(tmp_path):
    """A page in headless Debian Chromium with a new, empty profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=BROWSER_FLAGS,
            viewport={"width": 1360, "height": 1000}, device_scale_factor=1)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def _shot(target, name: str, shots: list[Path]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    target.screenshot(path=str(path))
    shots.append(path)
    print(f"screenshot: {path}")


def test_run_notebook_04_and_terminate_from_the_panel(lab, page):
    shots: list[Path] = []
    try:
        _run_and_terminate(lab, page, shots)
    except BaseException:
        _shot(page, "failure.png", shots)  # what the page showed when it went wrong
        raise


# JavaScript: are the code cells' prompts all `[n]:` (each has run), or is any `[*]:` or `[n]:` (Run All took)?
_PROMPTS = "[...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent)"
ALL_RAN = f"() => {{ const p = {_PROMPTS}; return p.length > 0 && p.every(t => /\\[\\d+\\]/.test(t)); }}"
ANY_STARTED = f"() => {_PROMPTS}.some(t => /\\[(\\*|\\d+)\\]/.test(t))"


def _run_and_terminate(lab, page, shots: list[Path]) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    deadline = Deadline(BUDGET_SECONDS)
    base, token = lab
    page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}", timeout=deadline.ms(30))

    # The notebook is open and its kernel is up.
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    expect(notebook.locator(".jp-Cell").first).to_be_visible(timeout=deadline.ms(30))
    expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first).to_be_attached(
        timeout=deadline.ms(30))

    # Run → Run All Cells (the notebook focused first, so that the command applies to it), then wait until every
    # code cell has run. A click that did not take (nothing queued after a few seconds) is repeated once.
    for attempt in range(2):
        notebook.locator(".jp-Cell").first.click()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        try:
            page.wait_for_function(ANY_STARTED, timeout=deadline.ms(6))
            break
        except PlaywrightTimeout:
            if attempt:
                raise
    page.wait_for_function(ALL_RAN, timeout=deadline.ms(40))
    traceback = notebook.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
    assert traceback.count() == 0, "a cell raised:\n" + "\n".join(traceback.all_inner_texts())[:3000]

    # The workflow's diagram (an SVG output) and the first execution panel, with its own diagram, RUNNING.
    expect(notebook.locator(".jp-OutputArea-output[data-mime-type='image/svg+xml']").first).to_be_visible(
        timeout=deadline.ms(20))  # JupyterLab shows an SVG output as an <img> of it
    panel = notebook.locator(".conductor-nb-panel").first
    panel.scroll_into_view_if_needed(timeout=deadline.ms(10))
    expect(panel.locator(".conductor-nb-diagram svg")).to_be_visible(timeout=deadline.ms(20))
    status = panel.locator(".conductor-nb-header .conductor-nb-status")
    expect(status).to_have_text("RUNNING", timeout=deadline.ms(20))
    expect(panel.locator(".conductor-nb-tasks table")).to_be_visible(timeout=deadline.ms(10))
    header = panel.locator(".conductor-nb-header")
    expect(header).not_to_have_text(header.inner_text(), timeout=deadline.ms(10))  # live: the elapsed time moves
    _shot(page, "01_notebook_after_run_all.png", shots)
    _shot(panel, "02_panel_running.png", shots)

    # Terminate, with a reason typed into the panel; the status turns TERMINATED without re-running any cell.
    panel.locator(".widget-text input").first.fill("stopped from the browser test")
    terminate = panel.locator("button.conductor-nb-terminate")
    expect(terminate).to_be_enabled(timeout=deadline.ms(10))
    terminate.click()
    expect(status).to_have_text("TERMINATED", timeout=deadline.ms(20))
    expect(panel.locator(".conductor-nb-message")).to_contain_text("stopped from the browser test",
                                                                   timeout=deadline.ms(10))
    expect(panel.locator("button.conductor-nb-restart")).to_be_enabled(timeout=deadline.ms(10))
    expect(terminate).to_be_disabled(timeout=deadline.ms(10))
    _shot(panel, "03_panel_terminated.png", shots)

    # Execute… opens the input form; input that is not JSON is refused inside the panel, with no traceback.
    panel.locator("button.conductor-nb-execute").click()
    form = panel.locator(".conductor-nb-form")
    expect(form).to_be_visible(timeout=deadline.ms(10))
    form.locator("textarea").fill('{"item": "teapot", "quantity": }')
    form.locator("button.conductor-nb-run").click()
    expect(panel.locator(".conductor-nb-error")).to_contain_text("Execute failed: ValueError: the input is not "
                                                                 "valid JSON", timeout=deadline.ms(10))
    expect(status).to_have_text("TERMINATED")
    _shot(panel, "04_panel_input_error.png", shots)

    # The launcher lists both registered workflows.
    launcher = notebook.locator(".conductor-nb-launcher").first
    launcher.scroll_into_view_if_needed(timeout=deadline.ms(10))
    expect(launcher.locator(".conductor-nb-picker select option")).to_have_count(2, timeout=deadline.ms(10))
    _shot(launcher, "05_launcher.png", shots)
    assert all(p.stat().st_size > 0 for p in shots)
