"""The dask.delayed experiment: a loop of ``dask.delayed(fib)(n)`` computed at once (default k=29).

    .venv/bin/python -m examples.dask_delayed [--k 29]
    FIB_K=29 .venv/bin/bench run --task examples.fib:fib --inputs examples.fib:make_inputs \\
        --strategies dask-delayed-threads,dask-delayed-processes,pool-async --cores 1,2 --modes warm
"""
from __future__ import annotations

from examples._common import measure, naive_line, parser, timed
from examples.fib import fib, make_inputs


def tutorial(inputs: list[int], scheduler: str) -> list[int]:
    """The tutorial's loop: one delayed call per input, one dask.compute."""
    import dask

    return list(dask.compute(*[dask.delayed(fib)(n) for n in inputs], scheduler=scheduler))


def naive(inputs: list[int]) -> str:
    serial = timed(lambda: [fib(n) for n in inputs])
    parallel = timed(lambda: tutorial(inputs, "processes"))
    return naive_line(serial, parallel, "dask.delayed on processes")


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--k", type=int, default=29, help="inputs are range(0, k)")
    args = p.parse_args(argv)
    inputs = make_inputs(args.k)
    print(naive(inputs))
    measure(fib, inputs, args, strategies="dask-delayed-threads,dask-delayed-processes,pool-async", modes="warm")


if __name__ == "__main__":
    main()
