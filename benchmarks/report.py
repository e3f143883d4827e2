"""From the harness's JSON reports to the side-by-side table, the targets' verdicts and benchmarks/REPORT.md."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable, Optional

MODE_TITLES = {"floor": "floor (plain calls)", "embedded": "embedded", "http": "conductor_nb HTTP",
               "sdk": "official SDK HTTP"}
FLAT_TOLERANCE = 1.25  # W5 is flat when the longest chain costs at most this many times the shortest, per task
HTTP_TARGET_RATIO = 10  # conductor_nb's workers over HTTP against the official SDK's, W4 throughput


@dataclass
class Cell:
    """One metric in one mode."""

    key: str
    mode: str
    unit: str
    samples: list[float]
    better: str
    note: str
    partial: bool
    rss_mb: Optional[float]
    server_rss_mb: Optional[float]
    children_rss_mb: Optional[float]
    load: Optional[float] = None  # the 1-minute load average when the run began
    machine_ms: Optional[float] = None  # harness.machine_ms() when the run began: lower is a faster machine

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


class Results:
    """Every cell, and the errors, of one run."""

    def __init__(self, reports: list[dict]):
        self.reports = reports
        self.cells: dict[tuple[str, str], Cell] = {}
        self.order: list[str] = []
        self.errors: list[tuple[str, str, str]] = []  # workload, mode, error
        self.profiles: dict[str, dict] = {}
        for r in reports:
            if r.get("profile"):
                self.profiles[r["profile"].get("label") or r["workload"]] = r["profile"]
            if "error" in r:
                self.errors.append((r["workload"], r["mode"], r["error"]))
                continue
            for m in r.get("metrics", []):
                if m["key"] not in self.order:
                    self.order.append(m["key"])
                if not m["samples"] or r.get("profile"):
                    continue
                self.cells[(m["key"], r["mode"])] = Cell(
                    m["key"], r["mode"], m["unit"], m["samples"], m["better"], m["note"], m["partial"],
                    r.get("rss_mb"), r.get("server_rss_mb"), r.get("children_rss_mb"), r.get("load"),
                    r.get("machine_ms"))

    def cell(self, key: str, mode: str) -> Optional[Cell]:
        return self.cells.get((key, mode))

    def machine_spread(self) -> Optional[tuple[float, float]]:
        """The fastest and slowest machine_ms of the run's processes."""
        seen = [r["machine_ms"] for r in self.reports if r.get("machine_ms")]
        return (min(seen), max(seen)) if seen else None

    def modes(self) -> list[str]:
        present = {mode for _, mode in self.cells} | {mode for _, mode, _ in self.errors}
        return [m for m in MODE_TITLES if m in present]


def slowdown(a: Optional[Cell], b: Optional[Cell]) -> Optional[float]:
    """How many times slower `a` is than `b` (for rates: b's rate over a's)."""
    if a is None or b is None or not a.median or not b.median:
        return None
    return a.median / b.median if a.better == "lower" else b.median / a.median


def fmt(value: Optional[float]) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 0.01:
        return f"{value:.2f}"
    return f"{value:.4f}"


def fmt_cell(cell: Optional[Cell]) -> str:
    if cell is None:
        return "—"
    return ("≥ " if cell.partial and cell.better == "lower" else "") + fmt(cell.median)


def fmt_ratio(value: Optional[float], a: Optional[Cell] = None, b: Optional[Cell] = None) -> str:
    """×value; "≥" when only a's run was cut short (its cost is a lower bound), "≤" when only b's, "≈" both."""
    if value is None:
        return "—"
    a_cut, b_cut = bool(a and a.partial), bool(b and b.partial)
    mark = {(True, False): "≥ ", (False, True): "≤ ", (True, True): "≈ "}.get((a_cut, b_cut), "")
    return f"{mark}×{fmt(value)}"


# ------------------------------------------------------------------------------------------------------ targets
@dataclass
class Verdict:
    target: str
    measured: str
    met: Optional[bool]  # None: not measured in this run
    key: str  # the row it belongs to


def _machine(cell: Cell) -> str:
    """How fast the machine was when the cell's workload ran (see harness.machine_ms)."""
    return f" (machine {fmt(cell.machine_ms)} ms)" if cell.machine_ms else ""


def _below(key: str, limit: float) -> Callable[[Results], Verdict]:
    def check(results: Results) -> Verdict:
        cell = results.cell(key, "embedded")
        target = f"{key} embedded under {fmt(limit)} ms"
        if cell is None:
            return Verdict(target, "not measured", None, key)
        return Verdict(target, f"{fmt(cell.median)} ms{_machine(cell)}", cell.median < limit, key)

    return check


def _w4(results: Results) -> Verdict:
    cell = results.cell("W4", "embedded")
    if cell is None:
        return Verdict("W4 embedded over 2,000 workflows/s", "not measured", None, "W4")
    return Verdict("W4 embedded over 2,000 workflows/s", f"{fmt(cell.median)} wf/s{_machine(cell)}",
                   cell.median > 2000, "W4")


def _w5(results: Results) -> Verdict:
    chains = sorted((int(k.rsplit(" ", 1)[1]), k) for k in results.order if k.startswith("W5 chain"))
    cells = [(n, results.cell(k, "embedded")) for n, k in chains]
    cells = [(n, c) for n, c in cells if c is not None]
    target = "W5 embedded flat: the longest chain costs no more per task than the shortest"
    if len(cells) < 2:
        return Verdict(target, "not measured", None, "W5")
    (n0, first), (n1, last) = cells[0], cells[-1]
    ratio = last.median / first.median
    bound = "at least " if last.partial else ""
    return Verdict(target, f"{n1:,} tasks: {bound}{fmt(last.median)} ms/task, {bound}×{fmt(ratio)} the {n0}-task "
                           f"chain's {fmt(first.median)} (flat means ≤ ×{FLAT_TOLERANCE})",
                   ratio <= FLAT_TOLERANCE, chains[-1][1])


def _w6(results: Results) -> Verdict:
    page, frame = results.cell("W6 page", "embedded"), results.cell("W6 frame", "embedded")
    target = "W6 embedded under 50 ms per page (and as a DataFrame)"
    if page is None:
        return Verdict(target, "not measured", None, "W6 page")
    worst = max(page.median, frame.median if frame else 0)
    frame_text = f", DataFrame {fmt(frame.median)} ms" if frame else ""
    return Verdict(target, f"page {fmt(page.median)} ms{frame_text}", worst < 50, "W6 page")


def _http(results: Results) -> Verdict:
    """The issue's HTTP target: conductor_nb's workers at least 10x the official SDK's throughput (W4) against
    the same server; the other workloads' comparison is reported alongside."""
    target = (f"HTTP: conductor_nb's workers at least {HTTP_TARGET_RATIO}x the official SDK's throughput (W4) on "
              "the same server")
    ours, theirs = results.cell("W4", "http"), results.cell("W4", "sdk")
    if ours is None or theirs is None:
        return Verdict(target, "not measured", None, "W4")
    ratio = ours.median / theirs.median
    keys = [k for k in results.order if k[:2] in ("W1", "W2", "W3", "W5")]
    compared = [(k, slowdown(results.cell(k, "sdk"), results.cell(k, "http"))) for k in keys]
    compared = [(k, r) for k, r in compared if r is not None]
    lost = [k for k, r in compared if r < 1]
    others = f"; latency: faster on {len(compared) - len(lost)} of {len(compared)}" + (
        f" (slower on {', '.join(lost)})" if lost else "")
    return Verdict(target, f"{fmt(ours.median)} against {fmt(theirs.median)} wf/s: ×{fmt(ratio)}{others}",
                   ratio >= HTTP_TARGET_RATIO, "W4")


TARGETS = [_below("W1", 1), _below("W2", 30), _below("W3", 30), _w4, _w5, _w6,
           _below("W7", 150), _http]


def verdicts(results: Results) -> list[Verdict]:
    return [check(results) for check in TARGETS]


# ------------------------------------------------------------------------------------------------------ tables
def main_table(results: Results) -> str:
    modes = results.modes()
    head = ["workload", "unit", *(MODE_TITLES[m] for m in modes)]
    ratios = [("embedded", "floor", "embedded ÷ floor"), ("http", "embedded", "HTTP ÷ embedded"),
              ("sdk", "http", "SDK ÷ conductor_nb HTTP")]
    ratios = [r for r in ratios if r[0] in modes and r[1] in modes]
    head += [title for _, _, title in ratios]
    lines = [_row(head), _row(["---"] * len(head))]
    for key in results.order:
        cells = [results.cell(key, m) for m in modes]
        unit = next((c.unit for c in cells if c), "")
        row = [key, unit, *(fmt_cell(c) for c in cells)]
        for a, b, _ in ratios:
            ca, cb = results.cell(key, a), results.cell(key, b)
            row.append(fmt_ratio(slowdown(ca, cb), ca, cb))
        lines.append(_row(row))
    return "\n".join(lines)


def detail_table(results: Results) -> str:
    head = ["workload", "mode", "unit", "min", "median", "max", "runs", "load", "machine ms", "peak RSS MB",
            "notes"]
    lines = [_row(head), _row(["---"] * len(head))]
    for key in results.order:
        for mode in results.modes():
            c = results.cell(key, mode)
            if c is None:
                continue
            rss = fmt(c.rss_mb)
            if c.server_rss_mb:
                rss += f" + server {fmt(c.server_rss_mb)}"
            if c.children_rss_mb and mode == "sdk" and key[:2] not in ("W0", "W7"):
                rss += f" + workers {fmt(c.children_rss_mb)}"
            elif c.children_rss_mb and key[:2] in ("W0", "W7"):
                rss = f"{fmt(c.children_rss_mb)} (fresh process)"
            lo, hi = (min(c.samples), max(c.samples))
            lines.append(_row([key, MODE_TITLES[mode], c.unit, fmt(lo), fmt(c.median), fmt(hi), str(len(c.samples)),
                               fmt(c.load), fmt(c.machine_ms), rss, c.note.replace("|", "\\|")]))
    return "\n".join(lines)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def profile_sections(results: Results, rows: int = 15) -> str:
    out = []
    for label, profile in results.profiles.items():
        out.append(f"### {label}, embedded, under cProfile ({profile['threads']} threads, "
                   f"{profile['cpu_s']} s of CPU)\n")
        out.append("| by cumulative time | calls | cumulative s | own s |\n| --- | --- | --- | --- |")
        for e in profile["cumulative"][:rows]:
            out.append(f"| `{e['function']}` | {e['calls']:,} | {e['cumulative_s']:.3f} | {e['own_s']:.3f} |")
        out.append("\n| by own time | calls | own s | cumulative s |\n| --- | --- | --- | --- |")
        for e in profile["own"][:rows]:
            out.append(f"| `{e['function']}` | {e['calls']:,} | {e['own_s']:.3f} | {e['cumulative_s']:.3f} |")
        out.append("")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------- machine, versions
def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        with open("/proc/meminfo") as f:
            return f"{int(f.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def _git_commit(root: Path) -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10)
        return done.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def environment(root: Path) -> list[tuple[str, str]]:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        ("machine", f"{_cpu_model()}, {cores} cores usable, {_memory_gib()} memory, {platform.platform()}"),
        ("python", f"{platform.python_implementation()} {sys.version.split()[0]}"),
        ("conductor-nb", f"{_version('conductor-nb')} (commit {_git_commit(root)})"),
        ("conductor-python (official SDK)", _version("conductor-python")),
        ("SQLite", sqlite3.sqlite_version),
        ("pandas", _version("pandas")),
    ]
