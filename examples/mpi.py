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

from examples._common import naive_line, timed
from examples.fib import fib, fib_main


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
    fib_main(argv, __doc__, naive, "mpi,pool-map", modes="cold,warm")


if __name__ == "__main__":
    main()
