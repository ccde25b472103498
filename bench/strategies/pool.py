"""multiprocessing.Pool, used the two ways people use it: map and apply_async.

A Pool silently replaces a worker that dies and then waits forever for the
task it was running (a long-standing CPython behaviour).  We wait in short
slices and check the workers we started, so a dead worker fails the case at
once with its exit code instead of hanging until the case timeout.
"""
from __future__ import annotations

from multiprocessing.pool import AsyncResult
from typing import Any, Callable, Sequence

from bench.strategies.base import StrategyBase, mp_context, pool_chunksize

_POLL_SECONDS = 0.1


class PoolWorkerDied(RuntimeError):
    pass


class _PoolStrategy(StrategyBase):
    uses_processes = True
    needs_pickle = True

    def start(self) -> None:
        self._pool = mp_context(self.options.start_method).Pool(self.workers)
        # Pool._pool is private, but it is the only handle on the workers; we
        # keep our own list because Pool drops dead workers from it
        self._started = list(self._pool._pool)  # type: ignore[attr-defined]  # private, hence not in typeshed
        self._broken = False

    def _wait(self, pending: AsyncResult) -> Any:
        while not pending.ready():
            pending.wait(_POLL_SECONDS)
            dead = [w for w in self._started if w.exitcode is not None]
            if dead and not pending.ready():
                self._broken = True
                raise PoolWorkerDied(f"pool worker {dead[0].pid} died (exit code {dead[0].exitcode})")
        return pending.get()

    def close(self) -> None:
        if self._broken:  # join() would wait forever for the lost task's result
            self._pool.terminate()
        else:  # terminate() would skip the workers' clean exit; close+join is what users do
            self._pool.close()
        self._pool.join()


class PoolMap(_PoolStrategy):
    name = "pool-map"
    summary = "multiprocessing.Pool.map with its default chunk size"
    dispatch_rule = "pool-chunks"

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        self.check_picklable(fn, tasks)
        # Pool.map is map_async(...).get(); waiting on map_async ourselves lets us watch the workers
        return self._wait(self._pool.map_async(fn, tasks))

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "chunking": "Pool.map default"}


class PoolAsync(_PoolStrategy):
    name = "pool-async"
    summary = "multiprocessing.Pool.apply_async, one submission per task, results gathered in order"

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        self.check_picklable(fn, tasks)
        pending = [self._pool.apply_async(fn, (task,)) for task in tasks]
        return [self._wait(result) for result in pending]


class PoolMapAsync(_PoolStrategy):
    name = "pool-map-async"
    summary = "multiprocessing.Pool.map_async with Pool's chunk size heuristic"
    dispatch_rule = "pool-chunks"

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        self.check_picklable(fn, tasks)
        chunksize = pool_chunksize(len(tasks), self.workers)
        return self._wait(self._pool.map_async(fn, tasks, chunksize=chunksize))
