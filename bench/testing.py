"""Helpers for tests (structlog's idea): build results without running anything."""
from __future__ import annotations

import random
from typing import Any, Callable, Iterable, Sequence

from bench.model import Case, CaseResult
from bench.storage import ResultSet


class FakeClock:
    """A clock that stands still until a test moves ``now``: budgets, waits and paces without real time."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_case(workload: str = "fib", strategy: str = "threads", cores: int = 2, workers: int | None = None,
              mode: str = "warm", params: dict[str, Any] | None = None, **extra: Any) -> Case:
    return Case(workload=workload, params=tuple(sorted((params or {"n": 4}).items())), strategy=strategy,
                cores=cores, workers=cores if workers is None else workers, mode=mode, **extra)


def make_result(values: Sequence[float], ok: bool = True, error: str = "", warmups: Sequence[float] = (0.2,),
                metrics: dict[str, float] | None = None, reference: Sequence[float] = (),
                metadata: dict[str, Any] | None = None, **case_fields: Any) -> CaseResult:
    """A case result; ``reference`` gives it paired serial reference values (one per value)."""
    return CaseResult(case=make_case(**case_fields), values=tuple(values), warmups=tuple(warmups), ok=ok,
                      error=error, metrics=metrics or {}, metadata={"affinity": "0,1", **(metadata or {})},
                      reference=tuple(reference))


def make_results(results: Iterable[CaseResult], complete: bool = True) -> ResultSet:
    return ResultSet(metadata={"python_version": "3.11.7", "cpu_count": 2}, config={"profile": "quick"},
                     cases=list(results), complete=complete)


def scaled(values: Sequence[float], factor: float) -> list[float]:
    return [v * factor for v in values]


def scaling_results(speedup_at: Callable[[int], float], cores: Sequence[int] = (1, 2, 4, 8),
                    strategy: str = "threads", modes: Sequence[str] = ("warm",), n: int = 7,
                    noise: float = 0.01, seed: int = 0, serial_s: float = 1.0, workload: str = "fib") -> ResultSet:
    """A run whose parallel cases follow ``speedup_at(p)`` exactly, times jittered by ``noise``.

    One serial case and one case per mode at each core count (workers = cores), so the
    fitted models have a known answer (e.g. Amdahl's f from ``stats.amdahl_speedup``).
    """
    rng = random.Random(seed)

    def jitter(centre: float) -> list[float]:
        return [centre * (1.0 + noise * rng.gauss(0.0, 1.0)) for _ in range(n)]

    cases = []
    for count in cores:
        cases.append(make_result(jitter(serial_s), workload=workload, strategy="serial", cores=count, workers=1))
        for mode in modes:
            cases.append(make_result(jitter(serial_s / speedup_at(count)), workload=workload, strategy=strategy,
                                     cores=count, mode=mode))
    return make_results(cases)


#: (strategy, mode, wall s, case CPU s, run-queue wait s) of :func:`accounted_results` at 2 cores
ACCOUNTED_CASES = (
    ("threads", "warm", 1.00, 1.02, 0.05), ("threads", "cold", 1.01, 1.03, 0.05),
    ("pool-map", "warm", 0.62, 1.10, 0.02), ("pool-map", "cold", 0.75, 1.30, 0.02),
    ("pool-async", "warm", 0.53, 1.05, 0.03), ("pool-async", "cold", 0.66, 1.25, 0.03),
)


def accounted_case(strategy: str, mode: str, wall: float, cpu: float, wait: float, cores: int = 2,
                   n: int = 5, work: float = 1.0) -> CaseResult:
    """A parallel case carrying the paired core's metrics (case arm unprefixed, reference ``ref_``)."""
    metrics = {"cpu_total_s": cpu, "cpu_self_s": 0.05, "cpu_workers_s": cpu - 0.05, "wait_total_s": wait,
               "wall_s": wall, "ref_cpu_total_s": work, "ref_wall_s": work, "ref_wait_total_s": 0.0}
    values = [wall * (1 + 0.005 * (i - n // 2)) for i in range(n)]
    return make_result(values, strategy=strategy, mode=mode, cores=cores, workers=cores,
                       params={"n": 10}, metrics=metrics)


def accounted_results(task_seconds: Sequence[float] = (0.1,) * 10, cores: int = 2) -> ResultSet:
    """A synthetic run with tree accounting and per-task times: 10 CPU tasks of 0.1 s (serial
    1.0 s), threads (GIL-bound), pool-map (chunks of 2: bound x1.67) and pool-async (per task)."""
    serial = make_result([sum(task_seconds) * (1 + 0.005 * (i - 2)) for i in range(5)], strategy="serial",
                         cores=cores, workers=1, params={"n": 10},
                         metrics={"cpu_self_s": sum(task_seconds), "cpu_children_s": 0.0,
                                  "wall_s": sum(task_seconds)},
                         metadata={"task_seconds": list(task_seconds)})
    return make_results([serial, *(accounted_case(*spec, cores=cores, work=sum(task_seconds))
                                   for spec in ACCOUNTED_CASES)])


#: (strategy, speed-up at 2 cores warm, overhead share, start-up s) of :func:`demo_results`
DEMO_STRATEGIES = (
    ("threads", 1.0, 0.02, 0.002), ("processes", 1.7, 0.08, 0.06), ("pool-map", 1.6, 0.06, 0.05),
    ("pool-async", 1.8, 0.07, 0.05), ("process-pool", 1.75, 0.08, 0.07), ("joblib", 1.5, 0.15, 0.25),
    ("dask-threads", 0.9, 0.12, 0.004), ("dask-processes", 1.3, 0.3, 0.2),
)
#: (workload, bound, serial s, CPU share of serial wall, per-task seconds)
DEMO_WORKLOADS = (
    ("fib", "cpu", 1.0, 1.0, tuple(0.618 ** (9 - k) * 0.382 for k in range(10))),
    ("sleep", "io-latency", 1.0, 0.01, (0.1,) * 10),
)


def _demo_case(workload: str, bound: str, serial: float, cpu_share: float, spec: tuple[Any, ...],
               cores: int, mode: str) -> CaseResult:
    """One case of the demo run, its accounting consistent with its speed-up."""
    strategy, speedup, overhead, startup = spec
    p = cores
    speed = max(0.3, speedup * (p / 2) ** 0.9) if p > 1 else (1.0 if strategy == "threads" else 0.93)
    speed = min(speed, 0.97 * _demo_bound(workload, strategy, cores))
    wall = serial / speed + (startup if mode == "cold" else 0.0)
    work = serial * cpu_share
    extra = overhead * serial + (0.6 * startup if mode == "cold" else 0.0)
    cpu = min(work + extra, p * wall)
    wait = min(0.03 * serial, p * wall - cpu)
    metrics = {"cpu_total_s": cpu, "cpu_self_s": 0.05 * cpu, "cpu_workers_s": 0.95 * cpu, "wait_total_s": wait,
               "wall_s": wall, "ref_cpu_total_s": work, "ref_wall_s": serial, "ref_wait_total_s": 0.0}
    values = [wall * (1 + 0.01 * ((i * 7) % 5 - 2)) for i in range(5)]
    return make_result(values, workload=workload, strategy=strategy, cores=cores, workers=cores, mode=mode,
                       params={"n": 10}, metrics=metrics,
                       metadata={"python_version": "3.11.7", "python_gil": "enabled", "bound": bound})


def _demo_bound(workload: str, strategy: str, workers: int) -> float:
    """What the demo's task sizes allow this strategy (a measured speed-up never beats it)."""
    from bench import registry
    from bench.analysis import taskbound

    tasks = next(t for name, *_, t in DEMO_WORKLOADS if name == workload)
    bound = taskbound.task_bound(tasks, registry.get_strategy(strategy).dispatch(len(tasks), workers), workers)
    return bound.speedup if bound else float(workers)


def demo_results(cores: Sequence[int] = (1, 2)) -> ResultSet:
    """A synthetic run shaped like the quick matrix (eight strategies, two workloads, cold and
    warm), carrying tree accounting and per-task times: for report screenshots and tests."""
    cases = []
    for workload, bound, serial, share, tasks in DEMO_WORKLOADS:
        scale = serial / sum(tasks)
        for count in cores:
            cases.append(make_result([serial * (1 + 0.01 * (i - 2)) for i in range(5)], workload=workload,
                                     strategy="serial", cores=count, workers=1, params={"n": 10},
                                     metrics={"cpu_self_s": serial * share, "cpu_children_s": 0.0, "wall_s": serial},
                                     metadata={"task_seconds": [t * scale for t in tasks], "python_version": "3.11.7",
                                               "python_gil": "enabled", "bound": bound}))
            cases += [_demo_case(workload, bound, serial, share, spec, count, mode)
                      for spec in DEMO_STRATEGIES for mode in ("warm", "cold")]
    return ResultSet(metadata={"python_version": "3.11.7", "python_implementation": "CPython", "cpu_count": 2,
                               "cpu_model": "Demo CPU", "python_gil": "enabled"},
                     config={"profile": "quick"}, cases=cases, complete=True)


def foreign_metrics(case_share: float, reference_share: float = 0.0, capacity_s: float = 2.0) -> dict[str, float]:
    """The per-cycle foreign-load metrics of a case whose arms lost these shares of their CPUs to others."""
    return {"foreign_cpu_s": case_share * capacity_s, "foreign_capacity_s": capacity_s,
            "ref_foreign_cpu_s": reference_share * capacity_s, "ref_foreign_capacity_s": capacity_s}
