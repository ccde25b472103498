"""dask.distributed: a LocalCluster sized to the case, or an existing cluster (--scheduler).

Local (default): ``LocalCluster(n_workers=workers, threads_per_worker=1,
processes=True)``, no dashboard, quiet logs.  Its nannies start the worker
processes with dask's ``distributed.worker.multiprocessing-method`` (``spawn``
by default), which the case's start method overrides; every process inherits
the case's CPU affinity, so "cores=2" still means two CPUs.

External (``bench run --scheduler tcp://HOST:PORT``): a Client connects to a
cluster that someone else started and measures against it; the cluster's
workers and threads are recorded in the case metadata, and the case's
cores/workers do not size it (run such cases with matching --cores/--workers).

Warm mode starts the cluster (or connects) before the timed region; cold mode
includes start-up and shutdown (for an external cluster: connecting and
disconnecting only).  Tasks travel in batches of Pool.map's chunk size (about
four per worker) with ``client.map(..., pure=False)`` and come back through
``client.gather`` in submission order: like every other chunked strategy here,
so strategies differ by mechanism and not by batch size (one future per tiny
task would mostly measure the scheduler's ~1 ms per-task bookkeeping).

Each batch's results come back in one opaque ``BatchResults`` object, not as a
list: distributed is very slow to hand back a task result that is a long list.
Measured here (dask 2026.8, 10,000 ints in 8 batches on 2 workers): the
workers finish in ~0.1 s, gathering the eight lists takes 2-3 s more, while the
same values in one object come back in 0.05-0.1 s in all.  That is a pitfall
of returning lists, not the cost of the mechanism, so it stays out of the
measurement (and users batching on dask should know it).
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Sequence

from bench.model import StrategyOptions
from bench.strategies.base import StrategyBase, pool_chunksize

_METHOD_KEY = "distributed.worker.multiprocessing-method"
_CONNECT_TIMEOUT = "30s"


class BatchResults:
    """One batch's results, opaque to distributed (see the module docstring)."""

    __slots__ = ("values",)

    def __init__(self, values: list[Any]) -> None:
        self.values = values

    def __reduce__(self) -> tuple[Any, ...]:
        return (BatchResults, (self.values,))


def run_batch(batch: Sequence[Any], fn: Callable[[Any], Any]) -> BatchResults:
    """Runs on a dask worker: one batch of tasks, results in order."""
    return BatchResults([fn(task) for task in batch])


def batches(tasks: Sequence[Any], workers: int) -> list[list[Any]]:
    size = pool_chunksize(len(tasks), workers)
    return [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]


class DaskDistributed(StrategyBase):
    name = "dask-distributed"
    summary = "dask.distributed Client on a LocalCluster (one process per worker) or on --scheduler"
    dispatch_rule = "pool-chunks"
    uses_processes = True
    needs_pickle = True
    pickler = "cloudpickle"
    requires = ("distributed",)
    preload = ("dask.distributed",)

    def __init__(self, options: StrategyOptions) -> None:
        super().__init__(options)
        self._cluster: Any = None
        self._client: Any = None
        self._described: dict[str, Any] = {}

    @classmethod
    def honours_start_method(cls, scheduler: str | None = None) -> bool:
        # an external cluster's workers are already running: nothing to start
        return scheduler is None

    def start(self) -> None:
        from distributed import Client

        logging.getLogger("distributed").setLevel(logging.ERROR)
        if self.options.scheduler:
            self._client = Client(self.options.scheduler, timeout=_CONNECT_TIMEOUT)
            self._described = self._external_info()
        else:
            self._cluster = self._local_cluster()
            self._client = Client(self._cluster)
            self._described = self._local_info()

    def _local_cluster(self) -> Any:
        import dask
        from distributed import LocalCluster

        if self.options.start_method:
            dask.config.set({_METHOD_KEY: self.options.start_method})
        # No dashboard; the scheduler still serves a small HTTP API (health,
        # metrics): on a random loopback port, so cases never fight over 8787
        return LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                            host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR,
                            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})

    def _local_info(self) -> dict[str, Any]:
        import dask

        return {"cluster": "local", "cluster_workers": self.workers, "cluster_threads": self.workers,
                "start_method": dask.config.get(_METHOD_KEY)}

    def _external_info(self) -> dict[str, Any]:
        workers = self._client.scheduler_info(n_workers=-1).get("workers", {})
        return {"cluster": "external", "scheduler": self.options.scheduler,
                "cluster_workers": len(workers),
                "cluster_threads": sum(int(w.get("nthreads", 0)) for w in workers.values())}

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        self.check_picklable(fn, tasks)
        futures = self._client.map(run_batch, batches(tasks, self._parallelism()), fn=fn, pure=False)
        return [result for batch in self._client.gather(futures) for result in batch.values]

    def _parallelism(self) -> int:
        return max(1, int(self._described.get("cluster_threads") or self.workers))

    def close(self) -> None:
        # client first, then the cluster: LocalCluster.close() stops the
        # nannies, and each nanny kills its worker process before exiting
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        try:
            if client is not None:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()

    def describe(self) -> dict[str, Any]:
        return {**self._described, "batching": "Pool.map chunk size, one future per batch"}
