"""loky's reusable executor used directly, without joblib on top (extra: pip install loky).

loky starts workers with its own "loky" method (fork then exec, so spawn-like
and safe with threads); its reusable executor refuses "fork", so this strategy
stays off the --start-methods axis and records "loky", like joblib.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from bench.strategies.base import StrategyBase, pool_chunksize


class Loky(StrategyBase):
    name = "loky"
    summary = "loky.get_reusable_executor().map with Pool's chunk size heuristic (extra)"
    dispatch_rule = "pool-chunks"
    uses_processes = True
    needs_pickle = True
    requires = ("loky",)
    pickler = "cloudpickle"

    @classmethod
    def honours_start_method(cls, scheduler: str | None = None) -> bool:
        return False

    def start(self) -> None:
        from loky import get_reusable_executor

        # reuse=False: a cold cycle must pay start-up, never inherit a pool
        self._executor = get_reusable_executor(max_workers=self.workers, context="loky", reuse=False)

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        self.check_picklable(fn, tasks)
        chunksize = pool_chunksize(len(tasks), self.workers)
        return list(self._executor.map(fn, tasks, chunksize=chunksize))

    def close(self) -> None:
        # kill_workers: the reusable executor would otherwise keep them for the next caller
        self._executor.shutdown(wait=True, kill_workers=True)

    def describe(self) -> dict[str, Any]:
        return {"start_method": "loky", "chunking": "Pool.map heuristic"}
