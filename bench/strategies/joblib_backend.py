"""joblib.Parallel on its default loky backend (and the threading backend as an extra)."""
from __future__ import annotations

from typing import Any, Callable, ClassVar, Sequence

from bench.strategies.base import StrategyBase


class Joblib(StrategyBase):
    name = "joblib"
    summary = "joblib.Parallel(backend='loky') with automatic batching"
    uses_processes = True
    needs_pickle = True
    backend: ClassVar[str] = "loky"

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

        return list(self._parallel(delayed(fn)(task) for task in tasks))

    def close(self) -> None:
        self._parallel.__exit__(None, None, None)
        if self.uses_processes:
            # loky keeps a reusable executor alive after Parallel exits; a cold
            # case must pay start-up again and no worker may outlive the run
            from joblib.externals.loky import get_reusable_executor

            get_reusable_executor().shutdown(wait=True, kill_workers=True)

    def describe(self) -> dict[str, Any]:
        described = {"backend": self.backend, "start_method": "loky"}
        if self.workers == 1:  # joblib's own shortcut, which its users get too
            described["note"] = "n_jobs=1 runs sequentially in the calling process"
        return described


class JoblibThreads(Joblib):
    name = "joblib-threads"
    summary = "joblib.Parallel(backend='threading')"
    uses_processes = False
    needs_pickle = False
    backend = "threading"

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend}
