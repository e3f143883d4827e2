"""One workload in one mode, in a fresh process: `python -m benchmarks.harness MODE WORKLOAD --size S`.

Prints one JSON line: the metrics (or the error), the process's peak RSS and, in the HTTP modes, the server's.
A fresh process per (mode, workload) keeps peak RSS per workload, keeps the official SDK (which sets the
multiprocessing start method when imported) away from everything else, and lets the runner bound it in time.

`seed` instead stores W6's executions in a database. `--profile` runs the workload under cProfile, on every
thread, and adds the top functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import json
import os
import pstats
import resource
import shutil
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Iterator

from .server import Server
from .sizes import SIZES
from .workloads import NEEDS_DRIVER, WORKLOADS, Setup, scratch_dir, seed

MODES = ("floor", "embedded", "http", "sdk")
PROFILE_ROWS = 25
CALIBRATION_LOOP = 200_000  # multiply-adds timed at the start of every (mode, workload) process


def machine_ms() -> float:
    """How long a fixed pure-Python loop takes just now (best of 3, ms): the shared machine's speed moves by tens
    of percent from minute to minute, and this says how fast it was when the workload ran."""
    best = float("inf")
    for _ in range(3):
        began, total = time.perf_counter(), 0
        for i in range(CALIBRATION_LOOP):
            total += i * i
        best = min(best, (time.perf_counter() - began) * 1000)
    return round(best, 1)


@contextlib.contextmanager
def open_setup(mode: str, workdir: Path, with_driver: bool, search_db: str | None) -> Iterator[tuple[Setup, dict]]:
    """The mode's driver (and server), on a fresh database or a copy of W6's seeded one; `extra` collects the
    server's peak RSS before it stops."""
    extra: dict = {}
    db = workdir / f"{mode}.db"
    if search_db:
        shutil.copyfile(search_db, db)
    if mode == "floor":
        yield Setup(mode, workdir), extra
    elif mode == "embedded":
        driver = None
        if with_driver:
            from conductor_nb import Configuration

            from .nb_driver import NbDriver

            driver = NbDriver(Configuration(db_path=str(db)))
        try:
            yield Setup(mode, workdir, driver), extra
        finally:
            if driver is not None:
                driver.close()
    else:
        with Server(str(db)) as server:
            driver = None
            if with_driver and mode == "http":
                from conductor_nb import Configuration

                from .nb_driver import NbDriver

                driver = NbDriver(Configuration(server_api_url=server.url))
            elif with_driver:
                from .sdk_driver import SdkDriver

                driver = SdkDriver(server.url, str(workdir / "sdk-progress"))
            try:
                yield Setup(mode, workdir, driver, server.url), extra
            finally:
                if driver is not None:
                    driver.close()
                extra["server_rss_mb"] = server.peak_rss_mb()


class ThreadProfiles:
    """cProfile on the calling thread and on every thread started meanwhile (workers, engine threads), timed by
    each thread's CPU clock: time a thread spends blocked (on a lock, a condition, the GIL, a sleep) is not
    counted, so the numbers say where the CPU went rather than where a thread waited."""

    def __init__(self):
        self.main = cProfile.Profile(time.thread_time)
        self.finished: list[cProfile.Profile] = []
        self._original_run = threading.Thread.run

    def __enter__(self) -> ThreadProfiles:
        profiles, original = self.finished, self._original_run

        def profiled_run(thread: threading.Thread) -> None:
            profile = cProfile.Profile(time.thread_time)
            profile.enable()
            try:
                original(thread)
            finally:
                profile.disable()
                profiles.append(profile)

        threading.Thread.run = profiled_run
        self.main.enable()
        return self

    def __exit__(self, *exc) -> None:
        self.main.disable()
        threading.Thread.run = self._original_run

    def top(self, rows: int = PROFILE_ROWS) -> dict:
        stats = pstats.Stats(self.main)
        for profile in self.finished:  # threads still alive (engine pools) are left out
            stats.add(profile)
        entries, cpu = [], 0.0
        for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():
            cpu += own
            where = _short(filename, line, name)
            if where is None:
                continue
            entries.append({"function": where, "calls": calls, "own_s": round(own, 4),
                            "cumulative_s": round(cumulative, 4)})
        return {
            "threads": 1 + len(self.finished),
            "cpu_s": round(cpu, 3),
            "cumulative": sorted(entries, key=lambda e: -e["cumulative_s"])[:rows],
            "own": sorted(entries, key=lambda e: -e["own_s"])[:rows],
        }


def _short(filename: str, line: int, name: str) -> str | None:
    """A readable name for conductor_nb's functions and the library and C calls they make; None for the
    harness's and threading's own frames."""
    if filename == "~":  # a built-in (sqlite3, json, ...)
        return name
    path = filename.replace("\\", "/")
    if "/conductor_nb/" in path:
        return f"{path.split('/conductor_nb/', 1)[1]}:{line}({name})"
    if "/benchmarks/" in path or "threading.py" in path:
        return None
    return f"{path.rsplit('/', 1)[-1]}:{line}({name})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.harness")
    parser.add_argument("mode", choices=(*MODES, "seed"))
    parser.add_argument("workload", nargs="?", choices=tuple(WORKLOADS))
    parser.add_argument("--size", default="full", choices=tuple(SIZES))
    parser.add_argument("--search-db", help="W6: the seeded database (copied, never changed)")
    parser.add_argument("--db", help="seed: the database to fill")
    parser.add_argument("--profile", action="store_true", help="run once under cProfile and add the hotspots")
    parser.add_argument("--part", choices=("chain", "loop"),
                        help="W5 only: just the second-longest chain, or just the loop (for a profile of each)")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    if args.mode == "seed":
        print(json.dumps(seed(args.db, size.stored)), flush=True)
        return 0
    if args.profile:  # one repeat is enough for a profile, and a W5 run capped at 15 s shows where the time goes
        size = dataclasses.replace(size, hello_repeats=1, wide_repeats=1, burst_repeats=1,
                                   scaling_cap_s=min(size.scaling_cap_s, 15.0))
    if args.part == "chain":  # the second-longest chain: long enough to show what grows, short enough to finish
        size = dataclasses.replace(size, scaling_chains=size.scaling_chains[-2:-1] or size.scaling_chains,
                                   loop_iterations=0)
    elif args.part == "loop":
        size = dataclasses.replace(size, scaling_chains=())

    workdir = scratch_dir()
    report: dict = {"mode": args.mode, "workload": args.workload, "size": size.name,
                    "load": round(os.getloadavg()[0], 2),  # the machine is shared: how busy it was
                    "machine_ms": machine_ms()}  # ... and how fast
    began = time.perf_counter()
    try:
        with open_setup(args.mode, workdir, args.workload in NEEDS_DRIVER, args.search_db) as (setup, extra):
            if args.profile:
                with ThreadProfiles() as profiles:
                    metrics = WORKLOADS[args.workload](setup, size)
            else:
                metrics = WORKLOADS[args.workload](setup, size)
            children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        report["metrics"] = [m.to_dict() for m in metrics]
        report.update(extra)
        if args.profile:
            report["profile"] = profiles.top()
            report["profile"]["label"] = " and ".join(m.key for m in metrics)
    except Exception as e:  # reported, not raised: the runner shows it in the table
        report["error"] = f"{type(e).__name__}: {e}"
        report["traceback"] = traceback.format_exc()[-4000:]
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report["seconds"] = round(time.perf_counter() - began, 2)
    report["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report["children_rss_mb"] = children  # the largest child: fresh processes (W0, W7), the SDK's workers
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
