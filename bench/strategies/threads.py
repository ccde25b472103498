"""concurrent.futures.ThreadPoolExecutor: shares the GIL, so it helps I/O-bound work only."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

from bench.strategies.base import StrategyBase


class Threads(StrategyBase):
    name = "threads"
    summary = "concurrent.futures.ThreadPoolExecutor.map (one task per submission)"

    def start(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=self.workers)

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        return list(self._executor.map(fn, tasks))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
