"""Ray on this machine only (extra: pip install ray).

``ray.init(num_cpus=workers)`` starts a private local Ray (GCS, raylet and
worker processes, no dashboard) that inherits the case's CPU affinity;
``ray.shutdown()`` stops all of it.  Tasks travel in batches of Pool.map's
chunk size, one remote call per batch, gathered in order with ``ray.get``.
Ray's workers are started by its raylet, not by multiprocessing, so the
--start-methods axis does not apply.  Start-up takes seconds: cold cases are
dominated by it, on purpose.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import Any, Callable, Sequence

from bench.strategies.base import StrategyBase, pool_chunksize


def run_batch(batch: Sequence[Any], fn: Callable[[Any], Any]) -> list[Any]:
    return [fn(task) for task in batch]


class Ray(StrategyBase):
    name = "ray"
    summary = "ray.remote over a private local Ray (num_cpus=workers), one task per batch (extra)"
    dispatch_rule = "pool-chunks"
    uses_processes = True
    needs_pickle = True
    requires = ("ray",)
    pickler = "cloudpickle"

    @classmethod
    def honours_start_method(cls, scheduler: str | None = None) -> bool:
        return False

    def start(self) -> None:
        import ray

        # Workers get the caller's sys.path, as multiprocessing's spawn does, so a
        # task function from any module the caller can import pickles by reference
        path = os.pathsep.join(p for p in sys.path if p)
        ray.init(address="local", num_cpus=self.workers, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.ERROR, configure_logging=False,
                 runtime_env={"env_vars": {"PYTHONPATH": path}})
        self._remote = ray.remote(run_batch)

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        import ray

        self.check_picklable(fn, tasks)
        size = pool_chunksize(len(tasks), self.workers)
        refs = [self._remote.remote(list(tasks[i:i + size]), fn) for i in range(0, len(tasks), size)]
        return [result for batch in ray.get(refs) for result in batch]

    def close(self) -> None:
        import ray

        ray.shutdown()

    def describe(self) -> dict[str, Any]:
        return {"start_method": "ray (raylet)", "batching": "Pool.map chunk size, one remote call per batch"}
