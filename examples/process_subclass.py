"""The Process-subclass demo: one ``multiprocessing.Process`` subclass per worker, each given a slice.

A strategy plug-in that follows the protocol without inheriting bench's base
classes (only ``name`` and ``map`` are required; see README "Writing a workload").

    .venv/bin/python -m examples.process_subclass [--k 29]
    FIB_K=29 .venv/bin/bench run --strategy-module examples.process_subclass \\
        --strategies process-subclass,pool-map --task examples.fib:fib --inputs examples.fib:make_inputs \\
        --cores 1,2 --modes cold
"""
from __future__ import annotations

import multiprocessing
from typing import Any, Callable, Sequence

from examples._common import measure, naive_line, parse, parser, positive_int, timed
from examples.fib import fib, make_inputs


class SliceWorker(multiprocessing.Process):
    """The seed's demo: a Process subclass whose run() maps fn over its own slice."""

    def __init__(self, fn: Callable[[Any], Any], index: int, items: Sequence[Any], out: Any) -> None:
        super().__init__(daemon=True)
        self.fn, self.index, self.items, self.out = fn, index, list(items), out

    def run(self) -> None:
        self.out.put((self.index, [self.fn(item) for item in self.items]))


def contiguous_slices(items: Sequence[Any], workers: int) -> list[list[Any]]:
    """Equal-count contiguous slices: what the demo did (and why it balances badly on fib)."""
    size = -(-len(items) // workers)
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def map_with_subclasses(fn: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list[Any]:
    out = multiprocessing.Queue()
    procs = [SliceWorker(fn, i, chunk, out) for i, chunk in enumerate(contiguous_slices(items, workers))]
    for proc in procs:
        proc.start()
    parts = dict(out.get() for _ in procs)
    for proc in procs:
        proc.join()
    return [result for index in sorted(parts) for result in parts[index]]


class ProcessSubclass:
    """Strategy ``process-subclass``: no base class, only what the protocol needs."""

    name = "process-subclass"
    summary = "one multiprocessing.Process subclass per worker, contiguous slices"
    uses_processes = True

    def __init__(self, options: Any) -> None:
        self.workers = options.workers

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        return map_with_subclasses(fn, tasks, self.workers)


STRATEGIES = [ProcessSubclass]


def naive(inputs: list[int]) -> str:
    serial = timed(lambda: [fib(n) for n in inputs])
    parallel = timed(lambda: map_with_subclasses(fib, inputs, 2))
    return naive_line(serial, parallel, "2 Process subclasses")


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--k", type=positive_int, default=29, help="fib over range(0, k)")
    args = parse(p, argv)
    inputs = make_inputs(args.k)
    print(naive(inputs))
    measure(fib, inputs, args, strategies="process-subclass,pool-map", modes="cold",
            strategy_modules=["examples.process_subclass"])


if __name__ == "__main__":
    main()
