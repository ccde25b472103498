"""Per-task overhead: what each task costs a strategy beyond its share of the serial work.

    overhead_per_task = (case_median - serial_median / parallelism) / n_tasks

``parallelism`` is min(workers, cores), or the cluster's threads for a case run
on an existing dask cluster (``cluster_threads`` in its metadata); ``n_tasks``
is recorded by the case process.  With perfect scaling the case would take
serial/parallelism, so the rest, spread over the tasks, is what dispatch,
pickling, start-up (cold mode) and result collection cost per task.  It is an
amortised figure: a strategy with a fixed start-up cost shows a smaller one on
more tasks.  Negative means faster than the ideal share (noise, or caches).
Pure: results in, numbers out; `bench table --overhead` adds the columns.
"""
from __future__ import annotations

from typing import Any

from bench.analysis import stats
from bench.analysis.table import baselines
from bench.model import CaseResult
from bench.storage import ResultSet

COLUMNS = ("n_tasks", "parallelism", "overhead_per_task_s")


def per_task_overhead(case_median: float, serial_median: float, parallelism: int, n_tasks: int) -> float:
    if parallelism < 1 or n_tasks < 1:
        raise ValueError("parallelism and n_tasks must be >= 1")
    return (case_median - serial_median / parallelism) / n_tasks


def parallelism(result: CaseResult) -> int:
    threads = result.metadata.get("cluster_threads")
    if result.metadata.get("cluster") == "external" and threads:
        return int(threads)
    return result.case.parallelism


def overhead_row(result: CaseResult, serial: CaseResult | None) -> dict[str, Any]:
    """The three columns for one case; None where they cannot be computed (or for serial)."""
    n_tasks = result.metadata.get("n_tasks")
    row: dict[str, Any] = {"n_tasks": n_tasks, "parallelism": parallelism(result), "overhead_per_task_s": None}
    if result.case.is_serial or serial is None or not result.values or not serial.values or not n_tasks:
        return row
    row["overhead_per_task_s"] = per_task_overhead(stats.median(result.values), stats.median(serial.values),
                                                   row["parallelism"], int(n_tasks))
    return row


def overhead_rows(results: ResultSet) -> list[dict[str, Any]]:
    """One row per case, in the order of results.cases (the tidy table's order)."""
    serials = baselines(results)
    return [overhead_row(r, serials.get(r.case.baseline_key)) for r in results.cases]


def with_overhead(frame: Any, results: ResultSet) -> Any:
    """The tidy frame with the overhead columns appended (rows match results.cases)."""
    import pandas as pd

    extra = pd.DataFrame(overhead_rows(results), columns=list(COLUMNS), index=frame.index)
    return pd.concat([frame, extra], axis=1)
