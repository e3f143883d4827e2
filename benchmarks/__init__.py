"""The standard workloads (W0-W7), measured side by side in four modes: plain Python calls (the floor), the
embedded engine, conductor_nb over HTTP to `conductor-nb server`, and the official conductor-python SDK against
the same server.

`python -m benchmarks` (or `make bench`) runs them and writes benchmarks/REPORT.md; docs/benchmarks.md explains
what each number means.
"""
