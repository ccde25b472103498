"""Plot-ready data for "why not more": the dot plot of few core counts and where the time went.

With one or two core counts a line per strategy is two points joined by a guess, and sixteen
of them overlap; a dot per (strategy, mode) with its interval, grouped by family and sorted by
speed-up, reads at a glance.  The time split turns each strategy's accounting at the largest
core count into one bar of wall seconds: work, overhead, waiting and idle are the p cores'
time divided by p, start-up (cold - warm) is added after them, and the fastest time the task
sizes allow is marked on it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from bench.analysis import accounting
from bench.analysis.explain import CaseWhy, WorkloadWhy
from bench.analysis.records import Instance, Record, instance, strategy_label, usable

if TYPE_CHECKING:
    from bench.analysis.fits import GroupFit

#: fewer core counts than this get the dot plot instead of curves
CURVE_MIN_CORES = 3
FAMILY_ORDER = ("processes", "threads", "subinterpreters", "other")


def family(strategy: str) -> str:
    """processes, threads or subinterpreters, from the strategy's own capability flags."""
    from bench import registry
    from bench.model import BenchError

    try:
        cls = registry.get_strategy(strategy.split(" (")[0])
    except (BenchError, ImportError):
        return "other"
    if getattr(cls, "uses_processes", False):
        return "processes"
    return "subinterpreters" if getattr(cls, "needs_pickle", False) else "threads"


@dataclass(frozen=True)
class Dot:
    """One strategy in one mode at one core count: its best worker count there."""

    strategy: str
    mode: str
    family: str
    cores: int
    workers: int
    speedup: float
    ci_low: float | None
    ci_high: float | None
    recommended: bool
    ideal: float | None = None  # the case's own ideal speed-up (analytic, else p)
    bound: float | None = None  # the best speed-up its task sizes allow (task_bound_speedup)

    @property
    def label(self) -> str:
        return self.strategy


def _best_per_row(rows: list[Record]) -> dict[tuple[str, str, int], Record]:
    """Per (strategy, mode, cores), the record with the best speed-up (fewer workers on ties)."""
    best: dict[tuple[str, str, int], Record] = {}
    for record in rows:
        key = (strategy_label(record), str(record["mode"]), int(record["cores"]))
        current = best.get(key)
        if current is None or (record["speedup"], -record["workers"]) > (current["speedup"], -current["workers"]):
            best[key] = record
    return best


def dots(inst: Instance, rows: list[Record], recommended: tuple[str, str] | None) -> list[Dot]:
    """Every (strategy, mode) of a workload at its most cores (the verdict's), one row per strategy,
    rows ordered for the plot: families by their best speed-up, within a family by speed-up.
    Fewer cores are in the CSV: a second dot per row doubled the rows and answered no question."""
    from bench.render.html.sure import ideal_of

    mine = [r for r in rows if instance(r) == inst and usable(r)]
    top = max((int(r["cores"]) for r in mine), default=0)
    found = [Dot(strategy=s, mode=m, family=family(s), cores=c, workers=int(r["workers"]),
                 speedup=float(r["speedup"]), ci_low=r.get("speedup_ci_low"), ci_high=r.get("speedup_ci_high"),
                 recommended=s == (recommended or ("", ""))[0], ideal=ideal_of(r), bound=r.get("task_bound_speedup"))
             for (s, m, c), r in _best_per_row(mine).items() if c == top]
    return sorted(found, key=_order(found))


def _order(found: list[Dot]) -> Callable[[Dot], tuple[Any, ...]]:
    """The plot's row order: families by their best speed-up at the most cores, then rows by theirs."""
    top = max((d.cores for d in found), default=0)
    row_best = {d.label: d.speedup for d in found if d.cores == top}
    family_best: dict[str, float] = {}
    for d in found:
        family_best[d.family] = max(family_best.get(d.family, 0.0), row_best.get(d.label, 0.0))
    for d in found:
        row_best[d.label] = max(row_best.get(d.label, 0.0), d.speedup)
    return lambda d: (-family_best[d.family], d.family, -row_best.get(d.label, 0.0), d.label, d.mode != "warm")


# ---------------------------------------------------------------- where the time went


@dataclass(frozen=True)
class TimeSplit:
    """One strategy's bar: seconds of one cycle, split by where the p cores' time went."""

    strategy: str
    mode: str  # the mode whose accounting is split (warm where measured)
    p: int
    parts: tuple[tuple[str, float], ...]  # (work|overhead|waiting|idle, seconds)
    #: the fastest the task sizes allow, on the same clock as the bar: the case's own serial
    #: reference time (cycle x speed-up) / the task-size bound
    bound_s: float | None
    speedup: float
    bound_speedup: float | None

    @property
    def total_s(self) -> float:
        return sum(seconds for _, seconds in self.parts)

    @property
    def work_share(self) -> float:
        return dict(self.parts).get("work", 0.0) / self.total_s if self.total_s > 0 else 0.0

    @property
    def beats_bound(self) -> bool:
        """Faster than its task sizes allow on an ideal machine: possible only through noise, or
        through tasks that ran faster in the case than when they were timed alone."""
        return self.bound_speedup is not None and self.speedup > self.bound_speedup


def time_split(case: CaseWhy) -> TimeSplit:
    """One case's bar: each part of p x wall divided by p, which adds up to one cycle's wall time."""
    acc = case.accounting
    assert acc is not None
    parts = tuple((name, acc.part(name) / acc.p) for name in accounting.PARTS)
    wall = acc.budget_s / acc.p
    bound = case.bound.speedup if case.bound else None
    return TimeSplit(case.strategy, case.mode, case.p, parts, wall * case.speedup / bound if bound else None,
                     case.speedup, bound)


def time_splits(why: WorkloadWhy) -> list[TimeSplit]:
    """One bar per strategy at the largest core count: its warm case where it has one (start-up
    has its own chart), at its fastest worker count, fastest strategy first."""
    chosen: dict[str, CaseWhy] = {}
    for case in why.cases:  # fastest first
        if case.accounting is None:
            continue
        current = chosen.get(case.strategy)
        if current is None or (current.mode == "cold" and case.mode == "warm"):
            chosen[case.strategy] = case
    return [time_split(case) for case in chosen.values()]


# ---------------------------------------------------------------- scaling models worth a row

#: an Amdahl interval wider than this says nothing about f ("undetermined")
UNDETERMINED_WIDTH = 0.9


def identified(fit: GroupFit) -> bool:
    """Whether a fitted group says something: a USL fit, or an Amdahl f with a usable interval."""
    from bench.analysis import stats

    if isinstance(fit.usl, stats.USLFit):
        return True
    amdahl = fit.amdahl
    return isinstance(amdahl, stats.AmdahlFit) and amdahl.ci_high - amdahl.ci_low <= UNDETERMINED_WIDTH


def unidentified_line(hidden: list[GroupFit], n_all: int, measured_p: tuple[int, ...]) -> str:
    """The one line that replaces the rows of models the data cannot identify."""
    from bench.analysis import stats

    if not hidden:
        return ""
    ps = ", ".join(map(str, measured_p)) or "none"
    reasons = list(dict.fromkeys(f.amdahl.reason for f in hidden if isinstance(f.amdahl, stats.TooFewPoints)))
    why = f"{reasons[0].rstrip('.')}" if reasons else "every serial fraction between 0 and 1 fits"
    return (f"{len(hidden)} of {n_all} scaling models cannot be identified from p = {ps}: {why}. "
            "Measure at 3 or more core counts (e.g. --cores 1,2,4 on a machine with 4 or more cores) "
            "to identify them.")


def verdict_why(why: WorkloadWhy | None, strategy: str, mode: str, workers: int) -> str:
    """The readings of the verdict's chosen case: its dominant loss and its task-size bound."""
    if why is None:
        return ""
    case = next((c for c in why.cases if (c.strategy, c.mode, c.workers) == (strategy, mode, workers)), None)
    return " ".join(case.readings) if case else ""
