"""A run's time budget: parsing `--budget`, and the accounts a budgeted run keeps.  Pure (the clock is injected).

`bench run --budget D` must end within D, calibration included, on a fast day or a
slow one.  Estimates from a probe are off by the day's speed, so the run keeps
accounts as it goes: what each case was estimated to cost and what it did cost.
Their ratio (the day's *pace*) scales the estimates of the cases still to come,
so a slow day is seen after a few cases and the minimums fall back before the
time is gone, not after.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable

from bench.model import BenchError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float | None:
    """'90s', '3m', '1h', '150' (seconds) -> seconds; 'none' -> None (no budget). Bad text: BenchError."""
    if text.strip().lower() in ("none", "off", "inf"):
        return None
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise BenchError(f"--budget wants a duration like 90s, 3m, 1h or none, got {text!r}")
    seconds = float(match.group(1)) * _UNIT[match.group(2)]
    if not (math.isfinite(seconds) and seconds > 0):
        raise BenchError(f"--budget must be above 0, got {text!r}")
    return seconds


#: the pace is kept between these: one odd case must not make the run give up or overspend
PACE_LIMITS = (0.5, 4.0)


@dataclass
class Budget:
    """The run's clock against its deadline, and the day's pace (actual / estimated cost so far)."""

    total_s: float
    clock: Callable[[], float]
    started: float = math.nan
    estimated_s: float = 0.0
    actual_s: float = 0.0
    cut: list[str] = field(default_factory=list)  # what the budget cut, in words, in order

    def __post_init__(self) -> None:
        if math.isnan(self.started):
            self.started = self.clock()

    def elapsed(self) -> float:
        return self.clock() - self.started

    def remaining(self) -> float:
        return self.total_s - self.elapsed()

    def record(self, estimated_s: float, actual_s: float) -> None:
        """One piece of work done: what it was estimated to cost and what it cost."""
        if estimated_s > 0 and actual_s >= 0:
            self.estimated_s += estimated_s
            self.actual_s += actual_s

    @property
    def pace(self) -> float:
        """Actual over estimated seconds so far (1 before anything was done), within PACE_LIMITS."""
        if self.estimated_s <= 0:
            return 1.0
        low, high = PACE_LIMITS
        return min(high, max(low, self.actual_s / self.estimated_s))

    def scaled(self, estimated_s: float) -> float:
        """An estimate at today's pace."""
        return estimated_s * self.pace

    def affords(self, estimated_s: float, reserve_s: float = 0.0) -> bool:
        """Whether work estimated at ``estimated_s`` ends before the deadline, keeping ``reserve_s``."""
        return self.scaled(estimated_s) <= self.remaining() - reserve_s
