"""multiprocessing.Pool, used the two ways people use it: map and apply_async."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from bench.strategies.base import StrategyBase, mp_context, pool_chunksize


class _PoolStrategy(StrategyBase):
    uses_processes = True
    needs_pickle = True

    def start(self) -> None:
        self._pool = mp_context(self.options.start_method).Pool(self.workers)

    def close(self) -> None:
        # terminate() would skip the workers' clean exit; close+join is what users do
        self._pool.close()
        self._pool.join()


class PoolMap(_PoolStrategy):
    name = "pool-map"
    summary = "multiprocessing.Pool.map with its default chunk size"

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        return self._pool.map(fn, tasks)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "chunking": "Pool.map default"}


class PoolAsync(_PoolStrategy):
    name = "pool-async"
    summary = "multiprocessing.Pool.apply_async, one submission per task, results gathered in order"

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        pending = [self._pool.apply_async(fn, (task,)) for task in tasks]
        return [result.get() for result in pending]


class PoolMapAsync(_PoolStrategy):
    name = "pool-map-async"
    summary = "multiprocessing.Pool.map_async with Pool's chunk size heuristic"

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        chunksize = pool_chunksize(len(tasks), self.workers)
        return self._pool.map_async(fn, tasks, chunksize=chunksize).get()
