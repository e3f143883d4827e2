"""Binder can run the tutorials: a fresh virtual environment gets only what binder/requirements.txt asks for (the
repository itself from a local path, as Binder installs it from the repository's root), and every notebook in
notebooks/ then runs top to bottom there with nbclient. Outputs are not compared: nbval does that in `make test`.

It needs PyPI (pip's default index) and nothing else: the notebooks talk only to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNEL = "conductor-nb-binder-test"  # a kernelspec name of our own, so no user-wide "python3" can stand in

# What Binder would not find in a fresh clone of the repository.
IGNORED = shutil.ignore_patterns(".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__",
                                 ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", "*.db", "*.db-wal",
                                 "*.db-shm")

# Runs inside the fresh environment: every notebook, top to bottom, on that environment's kernel.
RUNNER = """
import json, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient

times = {}
for path in sorted(Path(sys.argv[1]).glob('*.ipynb')):
    nb = nbformat.read(path, as_version=4)
    started = time.monotonic()
    NotebookClient(nb, timeout=120, kernel_name=sys.argv[2],
                   resources={'metadata': {'path': str(path.parent)}}).execute()
    times[path.name] = round(time.monotonic() - started, 1)
    print(path.name, times[path.name], 's', flush=True)
print(json.dumps(times))
"""


def run(command: list[str], cwd: Path, env: dict, timeout: float) -> subprocess.CompletedProcess:
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(command)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.mark.slow
def test_binder_requirements_run_every_notebook(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=IGNORED)
    notebooks = sorted((repo / "notebooks").glob("*.ipynb"))
    assert notebooks, "no notebooks to run"

    env = {k: v for k, v in os.environ.items()
           if k not in ("CONDUCTOR_SERVER_URL", "CONDUCTOR_NB_DB", "PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH")}
    env["CONDUCTOR_NB_DB"] = str(tmp_path / "fallback.db")  # the notebooks choose their own; never ~/.conductor_nb
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

    started = time.monotonic()
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], tmp_path, env, 120)
    python = str(venv / ("Scripts" if os.name == "nt" else "bin") / "python")
    # As repo2docker does: from the repository's root, so that "." in the file is the repository.
    run([python, "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt"], repo, env, 600)
    run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL], repo, env, 60)
    installed = time.monotonic() - started

    proc = run([python, "-c", RUNNER, str(repo / "notebooks"), KERNEL], repo / "notebooks", env, 900)
    times = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sorted(times) == [p.name for p in notebooks]
    print(f"\nbinder environment installed in {installed:.0f} s; notebooks: {times}")
