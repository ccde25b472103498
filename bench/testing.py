"""Helpers for tests (structlog's idea): build results without running anything."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from bench.model import Case, CaseResult
from bench.storage import ResultSet


def make_case(workload: str = "fib", strategy: str = "threads", cores: int = 2, workers: int | None = None,
              mode: str = "warm", params: dict[str, Any] | None = None, **extra: Any) -> Case:
    return Case(workload=workload, params=tuple(sorted((params or {"n": 4}).items())), strategy=strategy,
                cores=cores, workers=cores if workers is None else workers, mode=mode, **extra)


def make_result(values: Sequence[float], ok: bool = True, error: str = "", warmups: Sequence[float] = (0.2,),
                metrics: dict[str, float] | None = None, **case_fields: Any) -> CaseResult:
    return CaseResult(case=make_case(**case_fields), values=tuple(values), warmups=tuple(warmups), ok=ok,
                      error=error, metrics=metrics or {}, metadata={"affinity": "0,1"})


def make_results(results: Iterable[CaseResult], complete: bool = True) -> ResultSet:
    return ResultSet(metadata={"python_version": "3.11.7", "cpu_count": 2}, config={"profile": "quick"},
                     cases=list(results), complete=complete)


def scaled(values: Sequence[float], factor: float) -> list[float]:
    return [v * factor for v in values]
