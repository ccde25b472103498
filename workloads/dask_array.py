"""``dask-array``: the dask tutorial's ``da.random.random(shape, chunks).mean(axis=0).compute()``.

The array is never built whole: each task is one chunk of rows, generated in
the task from its own seed (``default_rng([seed, index])``, the same numbers in
any process) and reduced there to a partial (count, column mean, column sum of
squared deviations); ``reduce`` combines the partials in chunk order (Chan's
pairwise formula) inside the timed cycle.  The serial strategy is therefore
serial numpy over the same chunks, and the dask strategies (``dask-threads``,
``dask-processes``, ``dask-distributed``, ``dask-delayed-*``) schedule the
chunks as dask.array's graph would.  numpy releases the GIL while it fills and
sums a chunk, so threads can scale; the chunk count, not the worker count,
sets the task-size bound (``bench explain``: 8 chunks on 3 workers, x2.67).

Equality: the reduced column vector is compared to ``DIGITS`` significant
digits (``bench.measure.equality.Rounded``).  The harness's arms combine the
same partials in the same order, so they agree bit for bit; the tolerance is
for what differs legitimately, e.g. numpy's own ``x.mean(axis=0)`` over the
whole array sums in another order and differs in the 14th-16th digit.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from bench.measure.equality import Rounded
from bench.model import BenchError, Param, Params, WorkloadBase
from workloads._common import resolve

#: significant digits the reduced result is compared to (relative tolerance ~1e-10)
DIGITS = 10
REDUCTIONS = ("mean", "sum", "std")

PARAMS = (
    # 16000 x 1000 doubles in chunks of 2000 rows: 8 chunks of 16 MB, ~0.15-0.3 s serial here
    Param("rows", int, 16_000, 80_000, "rows of the random array (the axis reduced over)", minimum=1),
    Param("cols", int, 1000, 1000, "columns of the random array (the length of the result)", minimum=1),
    Param("chunk", int, 2000, 5000, "rows per chunk: one task per chunk", minimum=1),
    Param("reduction", str, "mean", "mean", f"the reduction along axis 0: {', '.join(REDUCTIONS)}"),
    Param("seed", int, 0, 0, "seed of the random array", minimum=0),
)

ChunkTask = tuple[int, int, int, int]  # seed, chunk index, rows in the chunk, cols
Partial = tuple[int, np.ndarray, np.ndarray]  # rows, column means, column sums of squared deviations


def chunk_partial(task: ChunkTask) -> Partial:
    """One chunk: generate it and reduce it to (n, mean, M2) per column (numpy, releases the GIL)."""
    seed, index, rows, cols = task
    block = np.random.default_rng([seed, index]).random((rows, cols))
    mean = block.mean(axis=0)
    block -= mean
    return rows, mean, np.einsum("ij,ij->j", block, block)


def combine(partials: Sequence[Partial]) -> Partial:
    """Chan et al.'s pairwise update, in chunk order: exact for counts, stable for means and variances."""
    n, mean, m2 = partials[0]
    for n_b, mean_b, m2_b in partials[1:]:
        total = n + n_b
        delta = mean_b - mean
        mean = mean + delta * (n_b / total)
        m2 = m2 + m2_b + delta * delta * (n * n_b / total)
        n = total
    return n, mean, m2


def finish(partial: Partial, reduction: str) -> np.ndarray:
    """The reduction's answer from the combined partial."""
    n, mean, m2 = partial
    if reduction == "sum":
        return mean * n
    if reduction == "std":
        return np.sqrt(m2 / n)
    return mean


class DaskArrayWorkload(WorkloadBase):
    """A random array reduced along axis 0, one task per chunk of rows."""

    name = "dask-array"
    summary = ("rows x cols random array reduced along axis 0 (mean/sum/std), one task per chunk of rows; "
               "numpy releases the GIL; compared to 10 significant digits")
    bound = "cpu"
    params = PARAMS

    @property
    def task(self) -> Callable[[Any], Any]:
        return chunk_partial

    def make_tasks(self, params: Params) -> Sequence[ChunkTask]:
        v = resolve(self.params, params)
        if v["reduction"] not in REDUCTIONS:
            raise BenchError(f"dask-array.reduction must be one of {', '.join(REDUCTIONS)}, got {v['reduction']!r}")
        rows, chunk, cols, seed = int(v["rows"]), int(v["chunk"]), int(v["cols"]), int(v["seed"])
        return [(seed, index, min(chunk, rows - start), cols) for index, start in enumerate(range(0, rows, chunk))]

    def reduce(self, params: Params, results: list[Any]) -> list[Any]:
        reduction = str(resolve(self.params, params)["reduction"])
        return [Rounded(finish(combine(results), reduction), DIGITS)]

    def summarize(self, params: Params, results: Sequence[Any]) -> dict[str, float]:
        tasks = self.make_tasks(params)
        return {"chunks": float(len(tasks))}


WORKLOAD = DaskArrayWorkload()
