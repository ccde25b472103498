"""A workload and a strategy that follow the protocols without inheriting bench's base classes,
and omit every optional member (README, "Writing a workload")."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


def triple(x: int) -> int:
    return 3 * x


class Triples:
    name, bound = "triples", "cpu"
    task = staticmethod(triple)

    def make_tasks(self, params):
        return list(range(20))


class TwoThreads:
    name = "two-threads"

    def __init__(self, options):
        self.size = options.workers

    def map(self, fn, tasks):
        with ThreadPoolExecutor(self.size) as pool:
            return list(pool.map(fn, tasks))


WORKLOAD = Triples()
STRATEGIES = [TwoThreads]
