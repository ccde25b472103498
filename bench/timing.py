"""The measuring loop.  The clock is a parameter so tests can pass a fake one.

A *cycle* is what one value times: in warm mode ``strategy.map`` alone, in cold
mode ``start + map + close``.  Warm-ups run the same cycle and are kept apart,
never mixed into the values.  Results are checked after each cycle, outside the
timed region, so a fast wrong answer is caught on the first value.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

Clock = Callable[[], float]
Checker = Callable[[list[Any]], str | None]


@dataclass(frozen=True)
class TimingPlan:
    warmups: int
    values: int
    min_values: int = 3
    budget_seconds: float = float("inf")  # stop after min_values once this much was spent


@dataclass(frozen=True)
class Timings:
    values: tuple[float, ...]
    warmups: tuple[float, ...]
    error: str = ""
    last_results: list[Any] | None = None


class CaseFailed(Exception):
    """A cycle's results were wrong; the message says how."""


def time_cycle(cycle: Callable[[], list[Any]], clock: Clock) -> tuple[float, list[Any]]:
    start = clock()
    results = cycle()
    return clock() - start, results


def measure(
    cycle: Callable[[], list[Any]],
    plan: TimingPlan,
    check: Checker = lambda results: None,
    clock: Clock = time.perf_counter,
) -> Timings:
    """Run warm-ups then values; stop at the first wrong result (CaseFailed)."""
    warmups: list[float] = []
    values: list[float] = []
    results: list[Any] = []
    spent = 0.0
    for index in range(plan.warmups + plan.values):
        elapsed, results = time_cycle(cycle, clock)
        problem = check(results)
        if problem:
            raise CaseFailed(problem)
        spent += elapsed
        (warmups if index < plan.warmups else values).append(elapsed)
        if len(values) >= plan.min_values and spent >= plan.budget_seconds:
            break
    return Timings(tuple(values), tuple(warmups), last_results=results)
