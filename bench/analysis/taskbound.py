"""The task-size bound: the best speed-up a strategy's own dispatch allows, from per-task times.

However good a pool is, 3 equal tasks on 2 workers take 2 rounds (x1.5), and a task that is
38 % of all work caps any worker count at x2.6.  Given each task's serial seconds (timed
once each, :func:`task_seconds`), the chunk sizes the strategy really sends
(``Strategy.dispatch``) and w workers, this computes the speed-up that dispatch would reach
on an ideal machine (no overhead, a free core per worker).

The model is *list scheduling in dispatch order*: chunks are queued in order and each goes to
the next free worker.  That is what every strategy here does (Pool.map's task queue,
ProcessPoolExecutor's call queue, joblib's and dask's dispatch of ready batches, a
ThreadPoolExecutor's work queue), so the bound is the one the measured run can reach.
LPT (largest first) is computed too, only to say whether reordering the tasks would help.
"""
from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

Clock = Callable[[], float]

#: a schedule is "the limit" when the measured speed-up reaches this share of its bound
REACHED_SHARE = 0.85
#: a bound lifts "noticeably" when the alternative is this much higher
LIFT = 1.05


def task_seconds(fn: Callable[[Any], Any], tasks: Sequence[Any],
                 clock: Clock = time.perf_counter) -> list[float]:
    """Each task timed once, alone and in order (the serial case's extra, unmeasured cycle)."""
    found = []
    for task in tasks:
        start = clock()
        fn(task)
        found.append(clock() - start)
    return found


def chunk_seconds(times: Sequence[float], sizes: Sequence[int]) -> list[float]:
    """Seconds of each chunk: consecutive runs of tasks, ``sizes`` long each."""
    chunks, start = [], 0
    for size in sizes:
        chunks.append(sum(times[start:start + size]))
        start += size
    return chunks


def makespan(chunks: Sequence[float], workers: int) -> float:
    """Finish time of list scheduling in order: each chunk to the worker free first."""
    free = [0.0] * max(1, workers)
    for seconds in chunks:
        heapq.heapreplace(free, free[0] + seconds)
    return max(free)


def schedule_speedup(times: Sequence[float], sizes: Sequence[int], workers: int) -> float | None:
    """Serial seconds over the makespan of these chunks on ``workers``; None without work."""
    total = sum(times)
    span = makespan(chunk_seconds(times, sizes), workers)
    return total / span if total > 0 and span > 0 else None


@dataclass(frozen=True)
class TaskBound:
    """What task sizes allow one case: its own dispatch, and what would lift it."""

    speedup: float  # the case's dispatch, in order
    per_task: float  # chunks of 1, in order
    largest_first: float  # chunks of 1, largest first (LPT)
    largest_share: float  # the largest task's share of all work
    n_tasks: int
    workers: int
    chunk: int  # the largest chunk size of the dispatch


def task_bound(times: Sequence[float], sizes: Sequence[int] | None, workers: int) -> TaskBound | None:
    """The bound of a dispatch (None when sizes are unknown, e.g. adaptive batching, or no work)."""
    total = sum(times)
    if sizes is None or total <= 0 or sum(sizes) != len(times) or workers < 1:
        return None
    ones = [1] * len(times)
    return TaskBound(speedup=schedule_speedup(times, sizes, workers) or 1.0,
                     per_task=schedule_speedup(times, ones, workers) or 1.0,
                     largest_first=schedule_speedup(sorted(times, reverse=True), ones, workers) or 1.0,
                     largest_share=max(times) / total, n_tasks=len(times), workers=workers,
                     chunk=max(sizes, default=1))


def is_limit(bound: TaskBound, p: int, measured: float | None) -> bool:
    """Whether task sizes, not the strategy, stop this case: the bound is below p and reached."""
    return bound.speedup < p / LIFT and measured is not None and measured >= REACHED_SHARE * bound.speedup


def lifts(bound: TaskBound, p: int) -> list[str]:
    """What would raise the bound, most effective first, in words."""
    found = []
    if bound.chunk > 1 and bound.per_task > bound.speedup * LIFT:
        found.append(f"chunks of 1 would allow x{bound.per_task:.1f}")
    if 1 / bound.largest_share < p / LIFT:
        found.append(f"one task is {bound.largest_share:.0%} of all work: split it")
    elif bound.largest_first > bound.per_task * LIFT:
        found.append(f"handing out the largest tasks first would allow x{bound.largest_first:.1f}")
    if not found:
        found.append(f"{bound.n_tasks} tasks do not spread evenly over {bound.workers} workers: "
                     "more, smaller tasks would")
    return found


def reading(bound: TaskBound, p: int, measured: float | None) -> str:
    """One sentence: the bound, whether it is the limit, and what would lift it."""
    if is_limit(bound, p, measured):
        return (f"Task sizes, not the strategy, are the limit: this dispatch allows at most x{bound.speedup:.2f} "
                f"on {bound.workers} workers; " + "; ".join(lifts(bound, p)) + ".")
    return f"Task sizes allow x{bound.speedup:.2f} with this dispatch on {bound.workers} workers."


# ------------------------------------------------------------------ from stored results


def stored_task_seconds(serial_metadata: Any) -> list[float] | None:
    """The serial case's per-task seconds (metadata ``task_seconds``), None in older files."""
    times = (serial_metadata or {}).get("task_seconds")
    if not isinstance(times, (list, tuple)) or not times:
        return None
    try:
        return [float(t) for t in times]
    except (TypeError, ValueError):
        return None


def case_dispatch(strategy: str, metadata: Any, n_tasks: int, workers: int) -> list[int] | None:
    """Chunk sizes of a stored case: its recorded ``dispatch_sizes``, else its strategy's rule."""
    recorded = (metadata or {}).get("dispatch_sizes")
    if isinstance(recorded, (list, tuple)) and sum(int(s) for s in recorded) == n_tasks:
        return [int(s) for s in recorded]
    from bench import registry
    from bench.model import BenchError

    try:
        return registry.get_strategy(strategy).dispatch(n_tasks, workers)
    except (BenchError, AttributeError, ImportError):
        return None  # a plugin strategy that is not loaded here
