"""What is not parallelism, said apart: each parallel case beside the same strategy on one worker, one core.

One worker on one core runs the same code path as the parallel case (the same dispatch, the
same worker thread or process) with no parallelism at all, so its speed-up over the serial
loop is everything that is *not* parallelism: shipping the tasks, a worker thread's own
malloc arena against the main thread's (glibc's main arena trims and re-faults freed memory,
a worker's keeps it: zlib on one thread ran x1.16 over the serial loop here), the CPU's
frequency with one busy core, caches warmed by the other arm.  So

    scaling_speedup = speedup / single_worker_speedup

is what the extra cores bought.  Its interval combines the two cases' intervals on the log
scale as independent errors (they come from different case processes).  A speed-up above p,
or a one-core case above 1, beyond its interval, gets a reading that names which part is not
parallelism and the known causes to check.  Pure: tidy rows and their stored cases in, columns out.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from bench.analysis.records import Record
from bench.model import CaseResult

COLUMNS = ["single_worker_speedup", "single_worker_ci_low", "single_worker_ci_high", "scaling_speedup",
           "scaling_ci_low", "scaling_ci_high", "not_parallelism_note"]
CAUSES = ("known causes to check: the memory allocator (glibc gives the main thread, where the serial loop runs, "
          "the main arena, which trims and re-faults freed memory, while a worker thread's own arena keeps it: "
          "compare with MALLOC_ARENA_MAX=1 or a large MALLOC_TRIM_THRESHOLD_), the CPU's frequency with one "
          "busy core against several, and caches warmed by the other arm")


def twin_key(result: CaseResult) -> str:
    """The key of the same strategy, mode and work on one worker pinned to one core."""
    return result.case.single_worker.key


def _half_log(value: Any, low: Any, high: Any) -> float | None:
    """The wider half of an interval on the log scale (None where any end is missing or not positive)."""
    ends = (value, low, high)
    if any(not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0 for v in ends):
        return None
    return max(math.log(value / low), math.log(high / value))


def scaling(row: Record, twin: Record) -> dict[str, Any]:
    """The single-worker columns of one parallel row, given its one-worker twin's row."""
    single, speedup = twin.get("speedup"), row.get("speedup")
    if not single or not speedup:
        return {}
    found = {"single_worker_speedup": single, "single_worker_ci_low": twin.get("speedup_ci_low"),
             "single_worker_ci_high": twin.get("speedup_ci_high"), "scaling_speedup": speedup / single}
    a = _half_log(speedup, row.get("speedup_ci_low"), row.get("speedup_ci_high"))
    b = _half_log(single, twin.get("speedup_ci_low"), twin.get("speedup_ci_high"))
    if a is not None and b is not None:
        spread = math.hypot(a, b)
        found.update(scaling_ci_low=found["scaling_speedup"] * math.exp(-spread),
                     scaling_ci_high=found["scaling_speedup"] * math.exp(spread))
    return found


def note(row: Record, p: int) -> str:
    """Which part of a speed-up beyond what its cores allow is not parallelism, in words ('' if none)."""
    low, speedup = row.get("speedup_ci_low"), row.get("speedup")
    if not isinstance(low, (int, float)) or not speedup or low <= p:
        return ""
    single = row.get("single_worker_speedup")
    limit = f"more than {p} core{'s' if p > 1 else ''} can give" if p > 1 else "faster than the serial loop on one core"
    if p > 1 and single:
        scaled = row.get("scaling_speedup") or speedup / single
        text = (f"x{speedup:.2f} is {limit}: one worker on one core already ran x{single:.2f} against the serial "
                f"loop, which is not parallelism; the cores bought x{scaled:.2f} (scaling_speedup)")
    elif p > 1:
        text = f"x{speedup:.2f} is {limit}: part of it is not parallelism (no one-worker case to say how much)"
    else:
        text = f"x{speedup:.2f} with one worker is {limit}: none of it is parallelism"
    return f"{text}; {CAUSES}."


def with_columns(rows: Sequence[Record], results: Sequence[CaseResult]) -> list[Record]:
    """``rows`` (tidy rows, one per result, same order) with the single-worker columns filled."""
    by_key = {r.case.key: row for r, row in zip(results, rows)}
    found = []
    for result, row in zip(results, rows):
        extra: dict[str, Any] = dict.fromkeys(COLUMNS)
        if not result.case.is_serial and row.get("ok"):
            twin = by_key.get(twin_key(result))
            if twin is not None and twin.get("ok"):
                extra.update(scaling(row, twin))
        merged = {**row, **extra}
        merged["not_parallelism_note"] = note(merged, result.case.parallelism) if row.get("ok") else ""
        found.append(merged)
    return found
