"""The benchmark runner cannot rot: every workload, in every mode, at the tiny size, through `python -m benchmarks`
(what `make bench` runs), including the profiled runs and the report."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402
from benchmarks.sizes import SIZES  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402

MODES = ["floor", "embedded", "http"] + (["sdk"] if importlib.util.find_spec("conductor") else [])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDUCTOR_")}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--size", "tiny", "--modes", ",".join(MODES),
         "--report", str(out / "REPORT.md"), "--json", str(out / "results.json")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    return done, (out / "REPORT.md").read_text(), json.loads((out / "results.json").read_text())


def test_every_workload_runs_in_every_mode_without_error(tiny_run):
    done, _, results = tiny_run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    errors = [(r["workload"], r["mode"], r["error"]) for r in results if "error" in r]
    assert not errors
    ran = {(r["workload"], r["mode"]) for r in results if not r.get("profile")}
    assert ran == {(w, m) for w in WORKLOADS for m in MODES}
    for r in results:
        assert r["machine_ms"] > 0, r  # how fast the shared machine was when it ran
        for metric in r["metrics"]:
            assert metric["samples"] and all(s > 0 for s in metric["samples"]), (r["workload"], r["mode"], metric)


def test_the_profiled_runs_name_engine_functions(tiny_run):
    _, _, results = tiny_run
    profiles = {r["profile"]["label"]: r["profile"] for r in results if r.get("profile")}
    assert set(profiles) == {"W1", "W2", "W4", "W5 chain 2", "W5 loop 3"}
    for profile in profiles.values():
        assert any(e["function"].startswith("engine/") for e in profile["cumulative"])


def test_the_report_has_the_machine_the_table_and_the_targets(tiny_run):
    done, text, _ = tiny_run
    for heading in ("## Medians and ratios", "## Targets", "## Every mode: min / median / max",
                    "## Where the time goes", "- **machine speed**: a fixed pure-Python loop"):
        assert heading in text
    assert "**machine**" in text and "**conductor-python (official SDK)**" in text
    for key in ("| W0 |", "| W1 |", "| W4 |", "| W5 loop 3 |", "| W6 page |", "| W6 frame |", "| W7 |"):
        assert key in text and key in done.stdout  # the table is printed too


def test_the_full_size_is_the_issues():
    full = SIZES["full"]
    assert (full.hello_runs, full.chain, full.fork, full.burst) == (500, 100, 100, 1000)
    assert full.scaling_chains == (10, 100, 1000, 10_000) and full.loop_iterations == 1000
    assert full.stored == 100_000


def test_ratios_say_how_many_times_slower():
    def cell(mode, median, better="lower"):
        return report.Cell("W", mode, "u", [median], better, "", False, None, None, None)

    assert report.slowdown(cell("http", 4.0), cell("embedded", 2.0)) == 2.0
    assert report.slowdown(cell("http", 100.0, "higher"), cell("embedded", 400.0, "higher")) == 4.0
