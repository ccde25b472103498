"""A workload whose result is what its process sees: environment and CPU mask."""
from __future__ import annotations

import os

from bench.model import Param, WorkloadBase


def probe_task(index: int) -> str:
    return f"{index}:{os.environ.get('BENCH_PROBE', '-')}"


class EnvProbe(WorkloadBase):
    name = "envprobe"
    summary = "returns BENCH_PROBE from each task's environment"
    bound = "io-latency"
    params = (Param("n", int, 4, 4, "number of tasks", minimum=1),)
    parallel_env = {"BENCH_PROBE": "seen", "OMP_THREAD_LIMIT": "3"}

    @property
    def task(self):
        return probe_task

    def make_tasks(self, params):
        return list(range(int(dict(params).get("n", 4))))

    def summarize(self, params, results):
        return {"saw_probe": float(all(r.endswith(":seen") for r in results))}


WORKLOADS = [EnvProbe()]
