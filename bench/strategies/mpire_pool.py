"""mpire.WorkerPool (extra: pip install mpire).

keep_alive=True keeps the workers between map calls, which is what warm mode
measures (mpire's default restarts them on every map).  Each task is wrapped
in a 1-tuple because mpire unpacks tuple and dict items into arguments, and
array results are kept apart (mpire concatenates them by default).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from bench.strategies.base import StrategyBase, effective_start_method, pool_chunksize


class Mpire(StrategyBase):
    name = "mpire"
    summary = "mpire.WorkerPool(keep_alive=True).map with Pool's chunk size heuristic (extra)"
    dispatch_rule = "pool-chunks"
    uses_processes = True
    needs_pickle = True
    requires = ("mpire",)
    pickler = "cloudpickle"  # under fork the function is inherited, not pickled: check leniently

    def start(self) -> None:
        from mpire import WorkerPool

        method = effective_start_method(self.options.start_method)
        self._pool = WorkerPool(n_jobs=self.workers, start_method=method, keep_alive=True, daemon=True)

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        self.check_picklable(fn, tasks)
        chunk_size = pool_chunksize(len(tasks), self.workers)
        # concatenate_numpy_output=False: mpire would otherwise glue array results into one array
        return self._pool.map(fn, [(task,) for task in tasks], chunk_size=chunk_size,
                              progress_bar=False, concatenate_numpy_output=False)

    def close(self) -> None:
        self._pool.stop_and_join()
        self._pool.terminate()

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "chunking": "Pool.map heuristic"}
