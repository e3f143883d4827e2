"""The official SDK's examples, with only the imports changed, run as a user runs them: a fresh Python process."""

import os
import pathlib
import subprocess
import sys


EXAMPLES = pathlib.Path(__file__).parents[2] / "examples"


def run_example(name, db_path):
    env = {**os.environ, "CONDUCTOR_NB_DB": str(db_path)}
    env.pop("CONDUCTOR_SERVER_URL", None)
    return subprocess.run([sys.executable, str(EXAMPLES / name)], env=env, capture_output=True, text=True,
                          timeout=60)


def test_hello_world_prints_the_greeting_and_workflow_id(tmp_path):
    proc = run_example("helloworld.py", tmp_path / "hello.db")
    assert proc.returncode == 0, proc.stderr
    assert "workflow result: Hello Orkes" in proc.stdout
    assert f"(COMPLETED), stored in {tmp_path / 'hello.db'}" in proc.stdout
    assert (tmp_path / "hello.db").exists()


def test_hello_world_runs_again_on_the_same_database(tmp_path):
    for _ in range(2):
        proc = run_example("helloworld.py", tmp_path / "hello.db")
        assert proc.returncode == 0, proc.stderr
        assert "workflow result: Hello Orkes" in proc.stdout


def test_dynamic_workflow_chains_worker_outputs_without_registration(tmp_path):
    proc = run_example("dynamic_workflow.py", tmp_path / "dyn.db")
    assert proc.returncode == 0, proc.stderr
    assert "sending email to user_a@example.com with subject Hello from Orkes and body Test Email" in proc.stdout
    assert "workflow output:  {'email': 'user_a@example.com'}" in proc.stdout
