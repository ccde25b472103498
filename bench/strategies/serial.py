"""The baseline: a plain loop in the case process."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from bench.strategies.base import StrategyBase


class Serial(StrategyBase):
    name = "serial"
    summary = "plain for-loop in one thread; the baseline every speed-up is measured against"

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        return [fn(task) for task in tasks]
