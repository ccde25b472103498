"""Scaling models fitted per (workload, strategy, mode): the table behind `bench fit` and the report.

Pure: takes the tidy table (``bench.analysis.table.tidy``) and returns data.  Each group's points are
its successful cases at every core count and worker count, placed at parallelism
``p = min(workers, cores)`` with the table's speed-up and its bootstrap interval.  Serial's own
point (p=1, S=1) is implied: it is added when the group has no measured p=1 point, because
both models pass through it whatever their parameters and it is what makes a single
core count (p=2) enough to identify Amdahl's f.

Where a model cannot be fitted the value is missing and ``note`` says why in words: on a
2-core machine p is only ever 1 or 2, so Amdahl's f is identifiable and the USL is not.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Hashable, Mapping

import pandas as pd

from bench.analysis import stats

#: the columns that identify one fitted group, in the order they are printed
GROUP_COLUMNS = ["workload", "params", "strategy", "start_method", "python", "mode"]
COLUMNS = ["workload", "params", "strategy", "start_method", "python", "mode", "n_points", "max_p",
           "serial_fraction", "serial_fraction_ci_low", "serial_fraction_ci_high", "max_speedup",
           "usl_sigma", "usl_sigma_ci_low", "usl_sigma_ci_high", "usl_kappa", "usl_kappa_ci_low",
           "usl_kappa_ci_high", "peak_workers", "peak_speedup", "peak_extrapolated", "karp_flatt",
           "note"]
#: rms misfit of log speed-up above which a fitted model is called a poor description (~10 %)
POOR_FIT = 0.1
#: a speed-up this far above p is beyond linear scaling (oversubscribed waiting, cache effects), not noise
SUPERLINEAR = 1.05


@dataclass(frozen=True)
class NotFitted:
    """A model deliberately not fitted although there were enough points; ``reason`` says why."""

    reason: str


Amdahl = stats.AmdahlFit | stats.TooFewPoints
USL = stats.USLFit | stats.TooFewPoints | NotFitted


@dataclass(frozen=True)
class Point:
    """One measured (or implied) speed-up at parallelism p."""

    cores: int
    workers: int
    p: int
    speedup: float
    ci_low: float
    ci_high: float
    implied: bool = False


@dataclass(frozen=True)
class KarpFlatt:
    """Karp-Flatt serial fraction of one measured point with p > 1."""

    cores: int
    workers: int
    p: int
    value: float


@dataclass(frozen=True)
class GroupFit:
    """Everything fitted for one (workload, params, strategy, start method, python, mode)."""

    key: dict[str, Any]
    points: tuple[Point, ...]
    amdahl: Amdahl
    usl: USL
    karp_flatt: tuple[KarpFlatt, ...]
    notes: tuple[str, ...]

    @property
    def distinct_p(self) -> list[int]:
        return sorted({point.p for point in self.points})


# ---------------------------------------------------------------- points


def _usable(frame: pd.DataFrame) -> pd.DataFrame:
    """Successful parallel cases with a speed-up and its interval."""
    if frame.empty:
        return frame
    ok = frame["ok"].astype(bool) & (frame["strategy"] != "serial")
    for column in ("speedup", "speedup_ci_low", "speedup_ci_high"):
        ok &= pd.to_numeric(frame[column], errors="coerce").gt(0)
    return frame[ok]


def _measured(row: Mapping[Hashable, Any]) -> Point:
    """One row of the tidy table (a usable case: its interval is known) as a point."""
    cores, workers = int(row["cores"]), int(row["workers"])
    return Point(cores=cores, workers=workers, p=stats.parallelism(workers, cores), speedup=float(row["speedup"]),
                 ci_low=float(row["speedup_ci_low"]), ci_high=float(row["speedup_ci_high"]))


def _points(rows: pd.DataFrame) -> tuple[Point, ...]:
    measured = [_measured(row) for row in rows.to_dict("records")]
    measured.sort(key=lambda point: (point.p, point.cores, point.workers))
    if any(point.p == 1 for point in measured):
        return tuple(measured)
    return (Point(cores=1, workers=1, p=1, speedup=1.0, ci_low=1.0, ci_high=1.0, implied=True), *measured)


def _karp_flatt(points: tuple[Point, ...]) -> tuple[KarpFlatt, ...]:
    found = []
    for point in points:
        value = stats.karp_flatt(point.speedup, point.p)
        if value is not None:
            found.append(KarpFlatt(point.cores, point.workers, point.p, value))
    return tuple(found)


# ---------------------------------------------------------------- fitting


def _no_gain(points: tuple[Point, ...]) -> bool:
    return all(point.speedup <= 1.0 for point in points if point.p > 1)


def _superlinear(points: tuple[Point, ...]) -> list[int]:
    return sorted({point.p for point in points if point.speedup > point.p * SUPERLINEAR})


def _usl_unidentifiable(points: tuple[Point, ...]) -> NotFitted | None:
    """Data the USL cannot describe whatever its parameters: no curve to fit, so no fit.

    Also what keeps the report fast: the USL's bootstrap refits crawl on such data (seconds
    to minutes per group), only to end at a bound that says nothing.
    """
    if _no_gain(points):
        return NotFitted("there is no gain over serial to model")
    if _superlinear(points):
        return NotFitted("it never exceeds linear scaling, and some speed-ups here are above p")
    return None


def _fit(points: tuple[Point, ...], seed: int) -> tuple[Amdahl, USL]:
    p = [point.p for point in points]
    speedups = [point.speedup for point in points]
    low = [point.ci_low for point in points]
    high = [point.ci_high for point in points]
    amdahl = stats.fit_amdahl(p, speedups, low, high, seed=seed)
    usl: USL | None = _usl_unidentifiable(points) if len(set(p)) >= 3 else None
    if usl is None:
        usl = stats.fit_usl(p, speedups, seed=seed, speedup_ci_low=low, speedup_ci_high=high)
    return amdahl, usl


def _notes(points: tuple[Point, ...], amdahl: Any, usl: Any) -> tuple[str, ...]:
    """Why a value is missing, or what to keep in mind when reading one."""
    notes = []
    if isinstance(amdahl, stats.TooFewPoints):
        notes.append(f"Amdahl not fitted: {amdahl.reason}")
    elif _no_gain(points):
        notes.append("no gain over serial at any p > 1: f = 1 only says that parallelism did not help")
    elif amdahl.rms_log_residual > POOR_FIT and not _superlinear(points):
        notes.append(f"Amdahl fits poorly (points are typically off by a factor "
                     f"{_factor(math.exp(amdahl.rms_log_residual))}): the loss is overhead that a fixed "
                     "serial fraction does not describe")
    if not isinstance(usl, stats.USLFit):
        notes.append(f"USL not fitted: {usl.reason}")
    elif usl.peak_workers is None:
        notes.append("USL: coherency kappa = 0, so no peak: speed-up rises towards 1/sigma")
    elif usl.extrapolated:
        notes.append(f"USL peak at {usl.peak_workers} workers is an extrapolation beyond the measured "
                     f"p <= {usl.max_measured_p:g}")
    above = _superlinear(points)
    if above:
        shown = ", ".join(str(p) for p in above)
        notes.append(f"speed-up above p at p={shown} (oversubscribed waiting or cache effects): "
                     "Amdahl's f is pinned at 0 there")
    return tuple(notes)


def _factor(value: float) -> str:
    return f"{value:.2g}" if value < 100 else f"{value:,.0f}"


def fit_group(key: dict[str, Any], rows: pd.DataFrame, seed: int = 0) -> GroupFit:
    points = _points(rows)
    amdahl, usl = _fit(points, seed)
    return GroupFit(key=key, points=points, amdahl=amdahl, usl=usl, karp_flatt=_karp_flatt(points),
                    notes=_notes(points, amdahl, usl))


def fit_groups(frame: pd.DataFrame, seed: int = 0) -> list[GroupFit]:
    """One fit per (workload, params, strategy, start method, python, mode), in table order."""
    usable = _usable(frame)
    if usable.empty:
        return []
    groups = usable.groupby(GROUP_COLUMNS, sort=False, dropna=False)
    return [fit_group(dict(zip(GROUP_COLUMNS, key)), rows, seed) for key, rows in groups]


# ---------------------------------------------------------------- the flat table


def _amdahl_columns(fit: Amdahl) -> dict[str, float | None]:
    if isinstance(fit, stats.TooFewPoints):
        return {"serial_fraction": None, "serial_fraction_ci_low": None, "serial_fraction_ci_high": None,
                "max_speedup": None}
    return {"serial_fraction": fit.serial_fraction, "serial_fraction_ci_low": fit.ci_low,
            "serial_fraction_ci_high": fit.ci_high, "max_speedup": fit.max_speedup}


def _usl_columns(fit: USL) -> dict[str, Any]:
    names = ["usl_sigma", "usl_sigma_ci_low", "usl_sigma_ci_high", "usl_kappa", "usl_kappa_ci_low",
             "usl_kappa_ci_high", "peak_workers", "peak_speedup", "peak_extrapolated"]
    if not isinstance(fit, stats.USLFit):
        return dict.fromkeys(names)
    values = [fit.sigma, fit.sigma_ci_low, fit.sigma_ci_high, fit.kappa, fit.kappa_ci_low,
              fit.kappa_ci_high, fit.peak_workers, fit.peak_speedup, fit.extrapolated]
    return dict(zip(names, values))


def karp_flatt_text(values: tuple[KarpFlatt, ...]) -> str:
    """'p=2: 0.061; p=2 (4 workers): -0.4' - one cell for CSV and markdown."""
    parts = []
    for value in values:
        extra = f" ({value.workers} workers)" if value.workers != value.p else ""
        parts.append(f"p={value.p}{extra}: {value.value:.3g}")
    return "; ".join(parts)


def fit_row(fit: GroupFit) -> dict[str, Any]:
    return {**fit.key, "n_points": len(fit.points), "max_p": max(fit.distinct_p),
            **_amdahl_columns(fit.amdahl), **_usl_columns(fit.usl),
            "karp_flatt": karp_flatt_text(fit.karp_flatt), "note": "; ".join(fit.notes)}


def fit_table(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The flat table of ``fit_groups``: one row per group, missing values as None."""
    rows = [fit_row(fit) for fit in fit_groups(frame, seed)]
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    return pd.DataFrame(rows, columns=COLUMNS)


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
