"""The MPI experiment: ``MPIPoolExecutor(max_workers=2).map(fib, range(0, k))`` (an extra: `make extras`).

    .venv/bin/python -m examples.mpi [--k 29]
    FIB_K=29 .venv/bin/bench run --task examples.fib:fib --inputs examples.fib:make_inputs \\
        --strategies mpi,pool-map --cores 1,2 --modes cold,warm

mpi4py.futures is the concurrent.futures interface over MPI processes; with the
``mpich`` wheel it needs no system MPI, only mpiexec on PATH (the venv's bin).
"""
from __future__ import annotations

import os
import sys

from examples._common import measure, naive_line, parser, timed
from examples.fib import fib, make_inputs


def tutorial(inputs: list[int]) -> list[int]:
    """The tutorial's executor, started and shut down around one map."""
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    from mpi4py.futures import MPIPoolExecutor

    with MPIPoolExecutor(max_workers=2) as executor:
        return list(executor.map(fib, inputs))


def naive(inputs: list[int]) -> str:
    serial = timed(lambda: [fib(n) for n in inputs])
    return naive_line(serial, timed(lambda: tutorial(inputs)), "MPIPoolExecutor(2).map")


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--k", type=int, default=29, help="inputs are range(0, k)")
    args = p.parse_args(argv)
    inputs = make_inputs(args.k)
    print(naive(inputs))
    measure(fib, inputs, args, strategies="mpi,pool-map", modes="cold,warm")


if __name__ == "__main__":
    main()
