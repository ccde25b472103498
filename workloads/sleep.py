"""``sleep``: tasks that only wait, the pure io-latency case.

Sleeping releases the GIL and uses no CPU, so every strategy (threads
included) should approach the analytic ideal ``ceil(n / workers) * seconds``;
the distance from it is the strategy's own overhead.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Sequence

from bench.model import Param, Params, WorkloadBase
from workloads._common import resolve

PARAMS = (
    Param("n", int, 8, 16, "number of tasks", minimum=1),
    # 30 ms keeps the ideal at 4 workers (2 rounds = 60 ms) far above ~1 ms of
    # dispatch overhead, so "within 5% of ideal" is reachable.
    Param("seconds", float, 0.01, 0.1, "sleep per task, in seconds", minimum=0.0),
)


def sleep_task(task: tuple[int, float]) -> int:
    """Sleep ``task[1]`` seconds and return the task index ``task[0]``."""
    index, seconds = task
    time.sleep(seconds)
    return index


class SleepWorkload(WorkloadBase):
    """Sleeping tasks with an analytic ideal time."""

    name = "sleep"
    summary = "n tasks that each sleep a fixed time (io-latency; ideal = ceil(n/workers)*seconds)"
    bound = "io-latency"
    params = PARAMS

    @property
    def task(self) -> Callable[[Any], Any]:
        return sleep_task

    def make_tasks(self, params: Params) -> Sequence[tuple[int, float]]:
        values = resolve(self.params, params)
        return [(index, values["seconds"]) for index in range(values["n"])]

    def ideal_seconds(self, params: Params, workers: int) -> float | None:
        """Rounds of sleeps times the sleep: workers can't split one sleep."""
        values = resolve(self.params, params)
        return math.ceil(values["n"] / max(1, workers)) * values["seconds"]


WORKLOAD = SleepWorkload()
