"""Plot-ready data: speed-up curves, cold-start overheads and the workload x strategy heatmap."""
from __future__ import annotations

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


@dataclass(frozen=True)
class Heatmap:
    cores: int | None
    rows: tuple[str, ...]  # workload labels
    columns: tuple[str, ...]  # strategy labels
    values: tuple[tuple[float | None, ...], ...]  # best speed-up, None when not measured
    details: tuple[tuple[str, ...], ...]  # "warm, 4 workers"


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


def _best_cell(rows: list[Record]) -> tuple[float | None, str]:
    if not rows:
        return None, ""
    best = max(rows, key=lambda r: (r["speedup"], -int(r["workers"])))
    return float(best["speedup"]), f"{best['mode']}, {best['workers']} workers"


def heatmap(instances: list[Instance], labels: dict[Instance, str], rows: list[Record]) -> Heatmap:
    """Best speed-up per workload and strategy at the largest core count measured."""
    good = [r for r in rows if usable(r)]
    if not good:
        return Heatmap(None, (), (), (), ())
    cores = max(int(r["cores"]) for r in good)
    top = [r for r in good if int(r["cores"]) == cores]
    strategies = tuple(dict.fromkeys(strategy_label(r) for r in good))
    shown = [inst for inst in instances if any(instance(r) == inst for r in good)]
    values, details = [], []
    for inst in shown:
        cells = [_best_cell([r for r in top if instance(r) == inst and strategy_label(r) == s]) for s in strategies]
        values.append(tuple(v for v, _ in cells))
        details.append(tuple(d for _, d in cells))
    return Heatmap(cores, tuple(labels[i] for i in shown), strategies, tuple(values), tuple(details))
