"""joblib.Parallel on its default loky backend (and threading / auto-batching extras).

``joblib`` batches tasks like every other chunked strategy here (about four
batches per worker, :func:`pool_chunksize`), so strategies differ by
mechanism, not by batch policy.  joblib's own ``batch_size="auto"`` is kept as
the extra ``joblib-auto``: it dispatches single tasks, times them, and then
sends what is left in big batches, which on a few short tasks can leave one
worker with most of the work (seen: x1.3 against x1.8 on 8 fib tasks, 2 cores).
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar, Sequence

from bench.strategies.base import StrategyBase, pool_chunksize


class Joblib(StrategyBase):
    name = "joblib"
    summary = "joblib.Parallel(backend='loky'), batches of Pool.map's chunk size"
    uses_processes = True
    needs_pickle = True
    pickler = "cloudpickle"
    backend: ClassVar[str] = "loky"
    preload = ("joblib",)
    #: "chunk": pool_chunksize(tasks, workers); "auto": joblib's adaptive batching
    batching: ClassVar[str] = "chunk"
    #: not fixed chunks even with an integer batch_size: joblib takes batch_size x n_jobs tasks
    #: at a time and re-splits them, down to single tasks at the tail (measured: 10 sleeps in
    #: "chunks of 2" on 2 workers gave x1.85, above the x1.67 that fixed chunks of 2 allow)
    dispatch_rule = "adaptive"

    @classmethod
    def honours_start_method(cls, scheduler: str | None = None) -> bool:
        # loky starts its workers its own way ("loky": fork+exec, spawn-like);
        # crossing it with fork/spawn/forkserver would only repeat one case
        return False

    def start(self) -> None:
        from joblib import Parallel

        # the context manager keeps one executor for every call: that is warm mode
        self._parallel = Parallel(n_jobs=self.workers, backend=self.backend)
        self._parallel.__enter__()

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        from joblib import delayed

        self.check_picklable(fn, tasks)
        # batch_size is Parallel's constructor argument, read at each call
        self._parallel.batch_size = (pool_chunksize(len(tasks), self.workers)
                                     if self.batching == "chunk" else "auto")
        return list(self._parallel(delayed(fn)(task) for task in tasks))

    def close(self) -> None:
        self._parallel.__exit__(None, None, None)
        if self.uses_processes and not self.sequential():
            # loky keeps a reusable executor alive after Parallel exits; a cold
            # case must pay start-up again and no worker may outlive the run
            from joblib.externals.loky import get_reusable_executor

            get_reusable_executor().shutdown(wait=True, kill_workers=True)

    def pickles(self) -> bool:
        return self.needs_pickle and not self.sequential()

    def sequential(self) -> bool:
        """joblib's own shortcut, which its users get too: n_jobs=1 runs in the calling process."""
        return self.workers == 1

    def describe(self) -> dict[str, Any]:
        if self.sequential():  # label what ran: no loky, no worker process
            return {"backend": "sequential", "start_method": "sequential", "batching": self.batching,
                    "note": "n_jobs=1 runs sequentially in the calling process (no loky workers)"}
        return {"backend": self.backend, "start_method": "loky", "batching": self.batching}


class JoblibThreads(Joblib):
    name = "joblib-threads"
    summary = "joblib.Parallel(backend='threading')"
    uses_processes = False
    needs_pickle = False
    backend = "threading"

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend, "batching": self.batching}


class JoblibAuto(Joblib):
    name = "joblib-auto"
    summary = "joblib.Parallel(backend='loky', batch_size='auto'): joblib's default batching"
    batching = "auto"
    dispatch_rule = "adaptive"
