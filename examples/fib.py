"""The fib experiment: naive recursive fib(n) for every n in range(0, k) (default k=29).

    .venv/bin/python -m examples.fib [--k 29]
    FIB_K=29 .venv/bin/bench run --task examples.fib:fib --inputs examples.fib:make_inputs \\
        --strategies threads,pool-map,pool-async --cores 1,2 --modes warm
"""
from __future__ import annotations

from multiprocessing import Pool
from typing import Callable

from examples._common import env_number, measure, naive_line, parse, parser, positive_int, timed


def fib(n: int) -> int:
    """Pure Python, holds the GIL: threads cannot help, processes can."""
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def make_inputs(k: int | None = None) -> list[int]:
    return list(range(0, int(env_number("FIB_K", 29)) if k is None else k))


def largest_share(k: int) -> float:
    """The bound set by task sizes: the largest task's share of all the work (fib's cost ~ fib(n))."""
    costs = [fib(n + 1) for n in range(k)]
    return max(costs) / sum(costs)


def naive(inputs: list[int]) -> str:
    serial = timed(lambda: [fib(n) for n in inputs])
    with Pool(2) as pool:
        parallel = timed(lambda: pool.map(fib, inputs))
    return naive_line(serial, parallel, "Pool(2).map")


def fib_main(argv: list[str] | None, doc: str, naive: Callable[[list[int]], str], strategies: str,
             modes: str = "warm") -> None:
    """The command line of every example over fib(range(0, k)): --k, the naive timing, the task sizes,
    the harness's answer."""
    p = parser(doc.splitlines()[0])
    p.add_argument("--k", type=positive_int, default=29, help="inputs are range(0, k)")
    args = parse(p, argv)
    inputs = make_inputs(args.k)
    print(naive(inputs))
    print(f"task sizes: the largest task is {largest_share(args.k):.0%} of the work, "
          f"so no strategy can beat x{1 / largest_share(args.k):.2f}")
    measure(fib, inputs, args, strategies=strategies, modes=modes)


def main(argv: list[str] | None = None) -> None:
    fib_main(argv, __doc__, naive, "threads,pool-map,pool-async")


if __name__ == "__main__":
    main()
