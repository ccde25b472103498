"""The Manager experiment: workers of a Pool add to a counter a Manager holds, through proxies.

    .venv/bin/python -m examples.shared_state [--n 8] [--k 500]
    .venv/bin/bench run --workloads shared-manager,shared-memory,shared-partials \\
        --strategies serial,threads,pool-map --cores 1,2 --modes warm

The tutorial shares ``manager.Value`` and ``manager.Lock`` with its workers and
times the pool once.  The harness measures the same updates three ways (the
``shared-*`` workloads): Manager proxies, a shared-memory file under a file
lock, and per-task partial counts added up at the end; each run ends in the
same exact final state, which is what is checked.
"""
from __future__ import annotations

from multiprocessing import Manager, Pool
from typing import Any

from examples._common import measure_workloads, naive_line, parse, parser, positive_int, timed


def add_up(args: tuple[Any, Any, int]) -> None:
    """The tutorial's worker: k locked increments of the shared Value."""
    counter, lock, k = args
    for _ in range(k):
        with lock:
            counter.value += 1


def tutorial(n: int, k: int) -> int:
    """n tasks of k increments on Pool(2); the final count."""
    with Manager() as manager:
        counter, lock = manager.Value("i", 0), manager.Lock()
        with Pool(2) as pool:
            pool.map(add_up, [(counter, lock, k)] * n)
        return int(counter.value)


def serial(n: int, k: int) -> int:
    total = 0
    for _ in range(n * k):
        total += 1
    return total


def naive(n: int, k: int) -> str:
    return naive_line(timed(lambda: serial(n, k)), timed(lambda: tutorial(n, k)), "Pool(2) + Manager")


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=positive_int, default=8)
    p.add_argument("--k", type=positive_int, default=500)
    args = parse(p, argv)
    print(naive(args.n, args.k))
    names = ["shared-manager", "shared-memory", "shared-partials"]
    results = measure_workloads(args, names, ["serial", "threads", "pool-map"],
                                [f"{name}.{key}={value}" for name in names for key, value in
                                 (("n", args.n), ("k", args.k))])
    table = results.table()
    for _, row in table[table["cores"] == table["cores"].max()].iterrows():
        print(f"cost per update: {row['workload']:<16} {row['strategy']:<9} "
              f"{row['median_s'] / (args.n * args.k) * 1e6:8.2f} us")


if __name__ == "__main__":
    main()
