"""concurrent.futures.InterpreterPoolExecutor: one subinterpreter (with its own GIL) per worker.

Python 3.14+ only.  Tasks and results are pickled between interpreters, like
processes but inside one process; extension modules that do not support
subinterpreters (numpy among them, for now) fail to import there, and such a
case fails with that reason.  Availability is decided by the interpreter that
runs the case (see bench.execute.pythons for --python).
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Sequence

from bench.strategies.base import StrategyBase


class Interpreters(StrategyBase):
    name = "interpreters"
    summary = "concurrent.futures.InterpreterPoolExecutor.map (subinterpreters; Python 3.14+)"
    needs_pickle = True

    @classmethod
    def unavailable_reason(cls) -> str | None:
        import concurrent.futures

        if not hasattr(concurrent.futures, "InterpreterPoolExecutor"):
            return (f"needs Python 3.14+ (concurrent.futures.InterpreterPoolExecutor); "
                    f"this is {sys.version.split()[0]}")
        return None

    def start(self) -> None:
        from concurrent.futures import InterpreterPoolExecutor  # type: ignore[attr-defined]  # 3.14+ (checked above)

        self._executor = InterpreterPoolExecutor(max_workers=self.workers)

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        self.check_picklable(fn, tasks)
        return list(self._executor.map(fn, tasks))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
