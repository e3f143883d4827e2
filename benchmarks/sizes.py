"""How big each workload is and how long it may run, per SIZE: `full` is the issue's sizes, `small` a quick look,
`tiny` the smoke test's. Every loop is bounded both in count (the sizes) and in time (the budgets)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    name: str
    cold_runs: int  # W0: fresh processes per mode
    hello_runs: int  # W1: workflows per repeat
    hello_repeats: int
    chain: int  # W2: tasks in the chain
    fork: int  # W3: branches of the fork
    wide_repeats: int  # W2, W3: workflows timed (after one warm-up)
    burst: int  # W4: workflows started back-to-back
    burst_repeats: int
    scaling_chains: tuple[int, ...]  # W5: chain lengths
    loop_iterations: int  # W5: DO_WHILE iterations
    scaling_cap_s: float  # W5: one workflow runs at most this long; past it the per-task cost is read off the
    #                       tasks done so far (a lower bound when the cost grows) and the workflow is terminated
    stored: int  # W6: executions in the database searched
    search_repeats: int  # W6: queries timed
    import_runs: int  # W7: fresh processes timing `import conductor_nb`
    budget_s: float  # soft limit for one workload in one mode: no new repeat starts past it
    hard_timeout_s: float  # a (mode, workload) process still running past this is killed and reported

    def chain_repeats(self, n: int) -> int:
        """Short chains repeat more: their per-task numbers are small and noisy."""
        return 5 if n <= 100 else 1


SIZES = {
    "full": Size("full", cold_runs=5, hello_runs=500, hello_repeats=3, chain=100, fork=100, wide_repeats=5,
                 burst=1000, burst_repeats=3, scaling_chains=(10, 100, 1000, 10_000), loop_iterations=1000,
                 scaling_cap_s=30.0, stored=100_000, search_repeats=20, import_runs=10, budget_s=60.0,
                 hard_timeout_s=300.0),
    "small": Size("small", cold_runs=3, hello_runs=100, hello_repeats=3, chain=20, fork=20, wide_repeats=3,
                  burst=200, burst_repeats=2, scaling_chains=(10, 100, 1000), loop_iterations=100,
                  scaling_cap_s=8.0, stored=10_000, search_repeats=10, import_runs=5, budget_s=20.0,
                  hard_timeout_s=120.0),
    "tiny": Size("tiny", cold_runs=1, hello_runs=3, hello_repeats=1, chain=3, fork=3, wide_repeats=1,
                 burst=5, burst_repeats=1, scaling_chains=(2, 5), loop_iterations=3, scaling_cap_s=5.0,
                 stored=200, search_repeats=2, import_runs=1, budget_s=5.0, hard_timeout_s=90.0),
}
