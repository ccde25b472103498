"""The report's "Machine speed during the run" section: the drift record and the two ceiling readings."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from bench.machine import ceiling, drift
from bench.storage import ResultSet


@dataclass(frozen=True)
class CeilingReading:
    label: str  # "before the matrix" / "after the matrix"
    cores: int
    value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class DriftView:
    points: tuple[drift.SpeedPoint, ...]
    start: float  # epoch s of the first point: the plot's time axis starts here
    movement: float | None
    warning: str | None
    readings: tuple[CeilingReading, ...]


def _reading(label: str, calibration: Mapping[str, Any]) -> CeilingReading | None:
    cpu = ceiling.machine_ceilings(calibration).get("cpu") or {}
    if not cpu:
        return None
    top = cpu[max(cpu)]
    return CeilingReading(label, int(top.k), top.value, top.ci_low, top.ci_high)


def readings(calibration: Mapping[str, Any]) -> tuple[CeilingReading, ...]:
    found = [_reading("before", calibration)]
    if isinstance(calibration.get("end"), Mapping):
        found.append(_reading("after", calibration["end"]))
    return tuple(r for r in found if r is not None)


def drift_view(results: ResultSet) -> DriftView | None:
    """None when no case was stamped (files before schema 2)."""
    found = drift.drift(results.cases, results.calibration)
    shown = timed_points(results, found.points)
    if not shown:
        return None
    return DriftView(shown, shown[0].when, found.movement, drift.warning(found), readings(results.calibration))


def timed_points(results: ResultSet, points: tuple[drift.SpeedPoint, ...]) -> tuple[drift.SpeedPoint, ...]:
    """One point per case (its median), of the CPU-bound work whose cycles time the machine:
    the spread the text quotes, not the scatter of millisecond loops and sleeps beside it."""
    timed = drift.timed_instances(results.cases)
    return tuple(sorted(drift.case_medians([p for p in points if p.instance in timed] or list(points)),
                        key=lambda p: p.when))
