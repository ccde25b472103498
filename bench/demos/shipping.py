"""By value vs by reference: what the harness's shipping of a user's function costs.

    python -m bench.demos.shipping [--cores 1,2] [--strategies processes,pool-async]

``task`` reads a 1 MiB module-level bytes object (``TABLE``).  Run as ``python -m``, this
module is ``__main__``, so ``bench.run(task, ...)`` sends ``task`` *by value* (cloudpickle,
``TABLE`` included), as it does for a function defined in a script or a notebook cell; the
same function imported as ``bench.demos.shipping.task`` goes *by reference* (a name the
workers import, as a real program's pool sends it).  Both are measured with the same inputs
and the table prints their speed-ups side by side: with the payload sent once per worker
(``bench.function_workload.ByValue``) they agree within their intervals; sent once per task
(before), by value was x0.67 against x0.96 on one core.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

#: 1 MiB read by every task: the globals a by-value function carries
TABLE = bytes(range(256)) * 4096


def _fib(n: int) -> int:
    return n if n < 2 else _fib(n - 1) + _fib(n - 2)


def task(seed: int) -> int:
    """A few milliseconds of pure Python that reads TABLE."""
    return _fib(20) + TABLE[(seed * 7919) % len(TABLE)] + sum(TABLE[seed:: 1 << 16])


def _measure(func: Any, name: str, cores: Sequence[int], strategies: Sequence[str]) -> Any:
    import bench

    return bench.run(func, list(range(16)), strategies=["serial", *strategies], cores=list(cores), modes=["warm"],
                     name=name, calibrate=False)


def _cell(row: Any) -> str:
    return f"x{row['speedup']:.2f} [{row['speedup_ci_low']:.2f}, {row['speedup_ci_high']:.2f}]"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.demos.shipping", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cores", default="1,2")
    parser.add_argument("--strategies", default="processes,pool-async")
    args = parser.parse_args(argv)
    cores, strategies = [int(c) for c in args.cores.split(",")], args.strategies.split(",")
    from bench.demos import shipping  # the importable twin of this __main__'s task

    tables = {how: _measure(func, how, cores, strategies).table().set_index(["strategy", "cores"])
              for how, func in (("by_value", task), ("by_reference", shipping.task))}
    print("| strategy | cores | by value | by reference |\n| --- | --- | --- | --- |")
    for strategy in strategies:
        for count in cores:
            print(f"| {strategy} | {count} | {_cell(tables['by_value'].loc[(strategy, count)])} | "
                  f"{_cell(tables['by_reference'].loc[(strategy, count)])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
