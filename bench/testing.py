"""Helpers for tests (structlog's idea): build results without running anything."""
from __future__ import annotations

import random
from typing import Any, Callable, Iterable, Sequence

from bench.model import Case, CaseResult
from bench.storage import ResultSet


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
