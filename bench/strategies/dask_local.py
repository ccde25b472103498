"""dask's local schedulers, given a pool we own so that warm mode is real.

Tasks go through dask.bag with about four partitions per worker (dask's own
advice for bags), so dask pays per partition, not per tiny task.
"""
from __future__ import annotations

from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Callable, ClassVar, Sequence

from bench.strategies.base import StrategyBase, bag_partitions, mp_context


def _scheduler_get(name: str) -> Callable[..., Any]:
    """dask's local scheduler function for "threads" or "processes".

    Passed as a callable, not by name: given a name, dask imports
    ``distributed`` (~1 s per process) to look for an active Client first.
    The scheduler that runs is the same one.
    """
    if name == "processes":
        import dask.multiprocessing

        return dask.multiprocessing.get
    import dask.threaded

    return dask.threaded.get


class _DaskLocal(StrategyBase):
    scheduler: ClassVar[str] = ""
    dispatch_rule = "partitions"

    def _make_pool(self) -> Executor:
        raise NotImplementedError

    def start(self) -> None:
        self._pool = self._make_pool()

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        import dask.bag

        self.check_picklable(fn, tasks)  # a no-op for threads
        partitions = bag_partitions(len(tasks), self.workers)
        bag = dask.bag.from_sequence(list(tasks), npartitions=partitions).map(fn)
        return bag.compute(scheduler=_scheduler_get(self.scheduler), pool=self._pool, num_workers=self.workers,
                           **self._compute_options())

    def _compute_options(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskThreads(_DaskLocal):
    name = "dask-threads"
    summary = "dask.bag on the threaded scheduler"
    scheduler = "threads"
    preload = ("dask.bag", "dask.threaded")

    def _make_pool(self) -> Executor:
        return ThreadPoolExecutor(max_workers=self.workers)


class DaskProcesses(_DaskLocal):
    name = "dask-processes"
    summary = "dask.bag on the multiprocessing scheduler (cloudpickle)"
    scheduler = "processes"
    preload = ("dask.bag", "dask.multiprocessing")
    uses_processes = True
    needs_pickle = True
    pickler = "cloudpickle"

    def _compute_options(self) -> dict[str, Any]:
        # dask's multiprocessing scheduler batches ready tasks 6 at a time by
        # default ("chunksize"), so 2 tasks on 2 workers ran in one process:
        # serial speed.  One partition per submission, ~4 per worker, is the
        # equivalent of Pool.map's heuristic the other strategies use.
        return {"chunksize": 1}

    def _make_pool(self) -> Executor:
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=mp_context(self.options.start_method)
        )
