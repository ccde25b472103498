"""The dask.delayed experiment: a loop of ``dask.delayed(fib)(n)`` computed at once (default k=29).

    .venv/bin/python -m examples.dask_delayed [--k 29]
    FIB_K=29 .venv/bin/bench run --task examples.fib:fib --inputs examples.fib:make_inputs \\
        --strategies dask-delayed-threads,dask-delayed-processes,pool-async --cores 1,2 --modes warm
"""
from __future__ import annotations

from examples._common import naive_line, timed
from examples.fib import fib, fib_main


def tutorial(inputs: list[int], scheduler: str) -> list[int]:
    """The tutorial's loop: one delayed call per input, one dask.compute."""
    import dask

    return list(dask.compute(*[dask.delayed(fib)(n) for n in inputs], scheduler=scheduler))


def naive(inputs: list[int]) -> str:
    serial = timed(lambda: [fib(n) for n in inputs])
    parallel = timed(lambda: tutorial(inputs, "processes"))
    return naive_line(serial, parallel, "dask.delayed on processes")


def main(argv: list[str] | None = None) -> None:
    fib_main(argv, __doc__, naive, "dask-delayed-threads,dask-delayed-processes,pool-async", modes="warm")


if __name__ == "__main__":
    main()
