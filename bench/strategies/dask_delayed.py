"""dask.delayed: one ``dask.delayed(fn)(task)`` per task, ``dask.compute`` on a local scheduler.

The tutorials' "parallel processing functions and loops with dask delayed":
a loop of delayed calls, computed at once.  Unlike ``dask-threads`` and
``dask-processes`` (dask.bag, about four partitions per worker), every task is
its own graph node, so dask pays its per-task bookkeeping once per task; the
task-size bound schedules one task per submission.  The pools are the same
ones ``bench.strategies.dask_local`` owns (warm mode is real), and the process
scheduler is told ``chunksize=1`` so it really submits one task at a time
(its default batches six ready tasks per submission).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from bench.strategies.dask_local import DaskProcesses, DaskThreads, _DaskLocal, _scheduler_get


class _Delayed(_DaskLocal):
    """The map of one delayed call per task; mixed into the two local dask strategies."""

    dispatch_rule = "task"

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        import dask

        self.check_picklable(fn, tasks)  # a no-op for threads
        delayed_fn = dask.delayed(fn, pure=False)
        calls = [delayed_fn(task) for task in tasks]
        found = dask.compute(*calls, scheduler=_scheduler_get(self.scheduler), pool=self._pool,
                             num_workers=self.workers, **self._compute_options())
        return list(found)


class DelayedThreads(_Delayed, DaskThreads):
    name = "dask-delayed-threads"
    summary = "one dask.delayed per task, dask.compute on the threaded scheduler"
    preload = ("dask", "dask.threaded")


class DelayedProcesses(_Delayed, DaskProcesses):
    name = "dask-delayed-processes"
    summary = "one dask.delayed per task, dask.compute on the multiprocessing scheduler (cloudpickle)"
    preload = ("dask", "dask.multiprocessing")
