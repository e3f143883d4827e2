"""`python -m benchmarks [--size full|small|tiny]`: every workload in every mode, side by side; prints the table and
writes benchmarks/REPORT.md (machine, versions, min / median / max of the repeated runs, targets, profiles).

Each (mode, workload) runs in its own process, killed with everything it started if it outlives the size's hard
timeout. The HTTP modes talk only to a `conductor-nb server` on 127.0.0.1 that the harness starts and stops.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

from . import report
from .harness import MODES
from .sizes import SIZES, Size
from .workloads import NEEDS_SEARCH_DB, WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REPORT = ROOT / "benchmarks" / "REPORT.md"
TUNING = ROOT / "benchmarks" / "TUNING.md"  # what was tuned and what remains: kept by hand, copied into the report
# embedded, under cProfile, for the engine's owner: (workload, extra harness arguments)
PROFILED = (("W1", []), ("W2", []), ("W4", []), ("W5", ["--part", "chain"]), ("W5", ["--part", "loop"]))


def child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDUCTOR_")}  # never a real server
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_child(args: list[str], timeout_s: float, log_dir: Path, label: str) -> dict:
    """Run the harness with `args`; its JSON line, or an error. On timeout its whole process group is killed."""
    log_path = log_dir / f"{label.replace(' ', '_')}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "benchmarks.harness", *args], cwd=ROOT, env=child_env(),
                                   stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
        try:
            out, _ = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return {"error": f"killed after {timeout_s:g} s (hard timeout)"}
        finally:
            _kill_leftovers(process.pid)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if process.returncode != 0 or not lines:
        tail = log_path.read_text()[-1500:]
        return {"error": f"exit {process.returncode}, no result; log tail: {tail}"}
    return json.loads(lines[-1])


def _kill_leftovers(pgid: int) -> None:
    """Anything the child left running (a server, SDK worker processes) goes with it."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def progress_line(result: dict) -> str:
    where = f"{result.get('workload')} {result.get('mode')}"
    if "error" in result:
        return f"{where}: ERROR {result['error'][:300]}"
    parts = []
    for m in result.get("metrics", []):
        if m["samples"]:
            median = statistics.median(m["samples"])
            parts.append(f"{m['key']} {'≥' if m['partial'] else ''}{report.fmt(median)} {m['unit']}")
    return f"{where}: {', '.join(parts)} ({result.get('seconds')} s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default=os.environ.get("SIZE") or "full", choices=tuple(SIZES))
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {','.join(MODES)}")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated, of W0..W7")
    parser.add_argument("--report", default=str(DEFAULT_REPORT), help="where to write the report (markdown)")
    parser.add_argument("--json", help="also write every raw result here")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile runs of embedded W1 W2 W4 W5")
    args = parser.parse_args(argv)
    size: Size = SIZES[args.size]
    modes = [m for m in MODES if m in args.modes.split(",")]
    workloads = [w for w in WORKLOADS if w in args.workloads.split(",")]
    notes = []
    if "sdk" in modes and importlib.util.find_spec("conductor") is None:
        modes.remove("sdk")
        notes.append("The official SDK is not installed (`pip install -e '.[test]'`): its mode was skipped.")

    began = time.perf_counter()
    started_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_before = os.getloadavg()
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="conductor_nb_bench_run_") as tmp:
        tmp_path = Path(tmp)
        search_db = None
        if NEEDS_SEARCH_DB & set(workloads) and set(modes) - {"floor"}:
            search_db = str(tmp_path / "search.db")
            print(f"seeding {size.stored:,} executions for W6 ...", file=sys.stderr, flush=True)
            seeded = run_child(["seed", "--db", search_db, "--size", size.name], size.hard_timeout_s * 2, tmp_path,
                               "seed")
            if "error" in seeded:
                print(f"seeding failed: {seeded['error']}", file=sys.stderr)
                search_db = None
            else:
                notes.append(f"W6's {seeded['stored']:,} executions were stored through the embedded engine's "
                             f"start_workflow in {seeded['seconds']:.1f} s ({seeded['ms_per_start']:.2f} ms each).")
        for workload in workloads:
            for mode in modes:
                child = [mode, workload, "--size", size.name]
                if workload in NEEDS_SEARCH_DB:
                    if mode != "floor" and search_db is None:
                        results.append({"mode": mode, "workload": workload, "error": "no seeded database"})
                        continue
                    if search_db:
                        child += ["--search-db", search_db]
                result = run_child(child, size.hard_timeout_s, tmp_path, f"{workload}_{mode}")
                result.setdefault("mode", mode)
                result.setdefault("workload", workload)
                results.append(result)
                print(progress_line(result), file=sys.stderr, flush=True)
        if not args.no_profile and "embedded" in modes:
            for workload, extra in ((w, x) for w, x in PROFILED if w in workloads):
                result = run_child(["embedded", workload, "--size", size.name, "--profile", *extra],
                                   size.hard_timeout_s, tmp_path, f"{workload}_profile{'_'.join(extra)}")
                result.setdefault("mode", "embedded")
                result.setdefault("workload", workload)
                if "error" in result:
                    print(f"profile {workload}: ERROR {result['error'][:300]}", file=sys.stderr, flush=True)
                    results.append(result)
                else:
                    print(f"profile {workload}: done ({result.get('seconds')} s)", file=sys.stderr, flush=True)
                    results.append(result)
    elapsed = time.perf_counter() - began

    parsed = report.Results(results)
    table = report.main_table(parsed)
    verdicts = report.verdicts(parsed)
    print(table)
    print()
    for v in verdicts:
        print(f"{'MET   ' if v.met else 'MISSED' if v.met is False else 'n/a   '} {v.target}: {v.measured}")
    for workload, mode, error in parsed.errors:
        print(f"ERROR  {workload} {mode}: {error[:500]}")
    print(f"\n{size.name} run in {elapsed:.0f} s; report: {args.report}")

    text = render(parsed, table, verdicts, size, started_at, elapsed, load_before, os.getloadavg(), notes)
    Path(args.report).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 1 if parsed.errors else 0


def render(results: report.Results, table: str, verdicts: list, size: Size, started_at: str, elapsed: float,
           load_before: tuple, load_after: tuple, notes: list[str]) -> str:
    env = "\n".join(f"- **{name}**: {value}" for name, value in report.environment(ROOT))
    targets = "\n".join(
        f"| {v.target} | {v.measured} | {'met' if v.met else 'missed' if v.met is False else 'not measured'} |"
        for v in verdicts)
    errors = "\n".join(f"- {w} {m}: {e[:500]}" for w, m, e in results.errors) or "none"
    profiles = report.profile_sections(results) or "Not run (`--no-profile`).\n"
    notes_text = "\n".join(f"- {n}" for n in notes)
    tuning = TUNING.read_text().strip() if TUNING.exists() else "(benchmarks/TUNING.md is missing)"
    return f"""# Benchmarks: the standard workloads, side by side

Generated by `make bench` (`python -m benchmarks --size {size.name}`) on {started_at}, in {elapsed:.0f} s.
How to read it, and what each workload does: [docs/benchmarks.md](../docs/benchmarks.md).

{env}
- **load average** (1, 5, 15 min): {_load(load_before)} before, {_load(load_after)} after — the machine is shared,
  so the spread between min and max matters as much as the median
- **machine speed**: {_speed(results.machine_spread())}

## Medians and ratios

Each cell is the median of the repeated runs (their min and max are below). Ratios say how many times slower the
first mode is than the second (for W4, a rate, how many times fewer workflows per second). "≥" marks a run cut
short by its time cap: the real cost is at least that; a ratio between two such runs is marked "≈".

{table}

## Targets (embedded, on this machine)

"machine" is how long the fixed pure-Python loop took when that workload ran (this run's fastest and slowest are
in the header): the same code measures slower when that number is higher.

| target | measured | |
| --- | --- | --- |
{targets}

{tuning}

## Every mode: min / median / max

Load is the machine's 1-minute load average when the run began (2 cores: above 2, something else competed for
them); machine ms is how long the fixed pure-Python loop took then (lower: a faster machine at that moment). Peak RSS is the process running the workload (for W0 and W7, the largest fresh process), plus the server's
in the HTTP modes and the SDK's largest worker process.

{report.detail_table(results)}

## Notes

{notes_text}
- Workers: embedded and conductor_nb HTTP use conductor_nb's `TaskHandler` with one `Worker` thread (the
  user-facing path); the official SDK uses its own `TaskHandler` with one worker process, its defaults.
- Errors in this run: {errors}

## Where the time goes (embedded, cProfile on every thread)

One run of each (W5: the second-longest chain, and the loop, apart) under cProfile on the main thread, the worker thread and
the engine's threads, timed by each thread's CPU clock: blocked time (locks, conditions, the GIL, long polls) is
left out, so these say where the CPU went. The profiler's own cost inflates every number several times over;
compare the rows with each other, not with the table above.

{profiles}"""


def _load(load: tuple) -> str:
    return ", ".join(f"{x:.2f}" for x in load)


def _speed(spread: Optional[tuple[float, float]]) -> str:
    if spread is None:
        return "not measured"
    fast, slow = spread
    return (f"a fixed pure-Python loop (harness.machine_ms) took {report.fmt(fast)}–{report.fmt(slow)} ms at the "
            f"start of this\n  run's processes: the same work ran ×{slow / fast:.2f} slower at the slowest moment "
            "than at the fastest. Each row\n  below says how fast the machine was when it ran (\"machine ms\")")


if __name__ == "__main__":
    sys.exit(main())
