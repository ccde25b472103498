"""concurrent.futures.ProcessPoolExecutor."""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Sequence

from bench.strategies.base import StrategyBase, mp_context, pool_chunksize


class ProcessPool(StrategyBase):
    name = "process-pool"
    summary = "concurrent.futures.ProcessPoolExecutor.map with Pool's chunk size heuristic"
    dispatch_rule = "pool-chunks"
    uses_processes = True
    needs_pickle = True

    def start(self) -> None:
        self._executor = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=mp_context(self.options.start_method)
        )

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        self.check_picklable(fn, tasks)  # an unpicklable task fails the map, then hangs shutdown(wait=True)
        chunksize = pool_chunksize(len(tasks), self.workers)
        return list(self._executor.map(fn, tasks, chunksize=chunksize))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
