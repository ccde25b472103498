"""The dask.array experiment: ``da.random.random((rows, cols), chunks=(chunk, cols)).mean(axis=0).compute()``.

    .venv/bin/python -m examples.dask_array [--rows 16000] [--chunk 2000]
    .venv/bin/bench run --workloads dask-array --strategies serial,threads,dask-threads,dask-processes \\
        --cores 1,2 --modes warm --set dask-array.chunk=2000

The tutorial times the graph once on dask's default (threaded) scheduler. The
harness's ``dask-array`` workload makes each chunk a task (generated from its
own seed, reduced to a partial) and combines the partials in its reduce step,
so serial numpy over the same chunks is the reference and every scheduler is a
strategy; results are compared to 10 significant digits.
"""
from __future__ import annotations

import dask.array as da
import numpy as np

from examples._common import measure_workloads, naive_line, parse, parser, positive_int, timed


def tutorial(rows: int, cols: int, chunk: int, scheduler: str) -> np.ndarray:
    """The tutorial's line, on one of dask's schedulers ("synchronous" is dask's serial one)."""
    x = da.random.random((rows, cols), chunks=(chunk, cols))
    return np.asarray(x.mean(axis=0).compute(scheduler=scheduler))


def naive(rows: int, cols: int, chunk: int) -> str:
    serial = timed(lambda: tutorial(rows, cols, chunk, "synchronous"))
    parallel = timed(lambda: tutorial(rows, cols, chunk, "threads"))
    return naive_line(serial, parallel, "dask threads")


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=positive_int, default=16_000)
    p.add_argument("--cols", type=positive_int, default=1000)
    p.add_argument("--chunk", type=positive_int, default=2000, help="rows per chunk (one task each)")
    args = parse(p, argv)
    print(naive(args.rows, args.cols, args.chunk))
    sets = [f"dask-array.rows={args.rows}", f"dask-array.cols={args.cols}", f"dask-array.chunk={args.chunk}"]
    measure_workloads(args, ["dask-array"], ["serial", "threads", "dask-threads", "dask-processes"], sets)


if __name__ == "__main__":
    main()
