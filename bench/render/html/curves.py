"""Plot-ready data: speed-up curves and cold-start overheads (per workload and over all of them)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench.analysis.records import Instance, Record, SpeedupPoint, instance, strategy_label, usable


@dataclass(frozen=True)
class CurvePoint(SpeedupPoint):
    """A point of a speed-up curve, with the efficiency its second plot shows."""

    efficiency: float | None


@dataclass(frozen=True)
class Series:
    """One line of a speed-up plot: a strategy in one mode with one workers-per-core rule."""

    strategy: str
    mode: str
    workers_rule: str  # "" when workers = cores
    points: tuple[CurvePoint, ...]

    @property
    def label(self) -> str:
        rule = f", {self.workers_rule}" if self.workers_rule else ""
        return f"{self.strategy} ({self.mode}{rule})"


@dataclass(frozen=True)
class Overhead:
    """Cold minus warm median: what starting the pool inside the timed region costs."""

    strategy: str
    cores: int
    workers: int
    cold_s: float
    warm_s: float

    @property
    def overhead_s(self) -> float:
        return self.cold_s - self.warm_s


def workers_rule(workers: int, cores: int) -> str:
    """Oversubscription described so points of the same rule join into one line."""
    if workers == cores:
        return ""
    if workers % cores == 0:
        return f"{workers // cores} workers per core"
    return f"{workers} workers"


def _point(record: Record) -> CurvePoint:
    return CurvePoint.of_record(record, efficiency=record.get("efficiency"))


def series(inst: Instance, rows: list[Record]) -> list[Series]:
    """Every strategy x mode x workers rule of one workload instance, points by cores."""
    grouped: dict[tuple[str, str, str], list[CurvePoint]] = {}
    for record in rows:
        if instance(record) != inst or not usable(record):
            continue
        key = (strategy_label(record), str(record["mode"]), workers_rule(int(record["workers"]), int(record["cores"])))
        grouped.setdefault(key, []).append(_point(record))
    return [Series(s, m, w, tuple(sorted(points, key=lambda p: (p.cores, p.workers))))
            for (s, m, w), points in sorted(grouped.items(), key=lambda item: (item[0][0], item[0][2], item[0][1]))]


def overheads(inst: Instance, rows: list[Record]) -> list[Overhead]:
    """Cold and warm medians of the same strategy, cores and workers, where both succeeded."""
    by_mode: dict[tuple[str, int, int], dict[str, float]] = {}
    for record in rows:
        if instance(record) != inst or record["strategy"] == "serial" or not record.get("ok"):
            continue
        if record.get("median_s") is None:
            continue
        key = (strategy_label(record), int(record["cores"]), int(record["workers"]))
        by_mode.setdefault(key, {})[str(record["mode"])] = float(record["median_s"])
    return [Overhead(s, c, w, modes["cold"], modes["warm"])
            for (s, c, w), modes in sorted(by_mode.items()) if {"cold", "warm"} <= modes.keys()]


def headline_overheads(items: list[Overhead]) -> list[Overhead]:
    """Per strategy, one number for the figure: one worker per core at the most cores measured."""
    def rank(item: Overhead) -> tuple[bool, int, int]:
        return item.workers == item.cores, item.cores, -item.workers

    chosen: dict[str, Overhead] = {}
    for item in items:
        current = chosen.get(item.strategy)
        if current is None or rank(item) > rank(current):
            chosen[item.strategy] = item
    return list(chosen.values())


@dataclass(frozen=True)
class Startup:
    """One strategy's start-up over every workload: the median and range of cold - warm."""

    strategy: str
    cores: int
    workers: int
    median_s: float
    low_s: float
    high_s: float
    workloads: int


def startup(rows: list[Record]) -> list[Startup]:
    """Per strategy, cold minus warm at the most cores with one worker per core, over all workloads.

    Start-up is the pool's cost, not the work's: one chart with its spread over the
    workloads says what a chart per workload repeated.
    """
    by_strategy: dict[str, list[Overhead]] = {}
    for inst in dict.fromkeys(instance(r) for r in rows):
        for item in headline_overheads(overheads(inst, rows)):
            by_strategy.setdefault(item.strategy, []).append(item)
    found = []
    for strategy, items in by_strategy.items():
        values = sorted(o.overhead_s for o in items)
        top = items[0]
        found.append(Startup(strategy, top.cores, top.workers, statistics.median(values), values[0], values[-1],
                             len(values)))
    return sorted(found, key=lambda s: -s.median_s)
