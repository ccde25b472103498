"""The machine's speed over a run, read from the serial reference cycles (pure functions).

Every parallel case measures a serial reference cycle in each round, and the
serial cases measure the same loop, so over a run the reference cycles of one
workload instance (workload, parameters, interpreter) time the *same work* again
and again: their changes are the machine's.  Each cycle's speed is the
instance's median reference time over that cycle's time (1.0 = the instance's
usual speed, 0.8 = 20 % slower), stamped with when it ran.

Paired speed-ups cancel drift slower than one pair, but absolute times (and
``bench compare --metric time`` between runs) do not, and a reader should know
that the machine moved.  ``movement`` is the spread of the per-case median
speeds (5th to 95th percentile) of the CPU-bound instances whose cycles last
``MIN_CYCLE_S`` or more (sleep times the timer, not the CPU); a spread above ``DRIFT_WARN`` gets a warning in words.
The brief calibration before and after the matrix adds the single-core speed
and the CPU ceiling at each core count at both ends of the run.
"""
from __future__ import annotations

import datetime as _dt
import statistics
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from bench.model import CaseResult

#: a run whose machine speed moved more than this (relative) gets a warning
DRIFT_WARN = 0.10
#: reference cycles shorter than this say more about the case than the machine: a millisecond loop is
#: slowed by the pool's own result threads beside it and by the timer (square's read 0.7-1.2 in one quiet run)
MIN_CYCLE_S = 0.005


@dataclass(frozen=True)
class SpeedPoint:
    """One reference (or serial) cycle: when it started (epoch s), its relative speed, its instance."""

    when: float
    speed: float
    instance: str
    case: str


@dataclass(frozen=True)
class Drift:
    points: tuple[SpeedPoint, ...]
    movement: float | None  # (p95 / p5 of per-case median speeds) - 1, over CPU-bound instances
    slowest: SpeedPoint | None
    fastest: SpeedPoint | None
    calibration: tuple[str, ...]  # phrases: how the calibrated machine moved from start to end



def _reference_cycles(result: CaseResult) -> Sequence[float]:
    return result.values if result.case.is_serial else result.reference


def _stamped(results: Iterable[CaseResult]) -> list[tuple[CaseResult, Sequence[float], Sequence[float]]]:
    found = []
    for result in results:
        cycles, starts = _reference_cycles(result), result.metadata.get("value_starts") or []
        if result.ok and cycles and len(starts) == len(cycles):
            found.append((result, cycles, starts))
    return found


def speed_points(results: Iterable[CaseResult]) -> list[SpeedPoint]:
    """Every stamped reference cycle as a relative speed, in time order."""
    stamped = _stamped(results)
    by_instance: dict[str, list[float]] = {}
    for result, cycles, _ in stamped:
        by_instance.setdefault(result.case.instance, []).extend(cycles)
    typical = {label: statistics.median(cycles) for label, cycles in by_instance.items()}
    points = [SpeedPoint(float(when), typical[result.case.instance] / seconds, result.case.instance,
                         result.case.key)
              for result, cycles, starts in stamped for seconds, when in zip(cycles, starts) if seconds > 0]
    return sorted(points, key=lambda point: point.when)


def timed_instances(results: Iterable[CaseResult]) -> set[str]:
    """CPU-bound instances whose cycles are long enough to time the machine (sleep times the timer)."""
    cycles: dict[str, list[float]] = {}
    for r in results:
        if r.metadata.get("bound") == "cpu":
            cycles.setdefault(r.case.instance, []).extend(_reference_cycles(r))
    return {name for name, found in cycles.items() if found and statistics.median(found) >= MIN_CYCLE_S}


def case_medians(points: Sequence[SpeedPoint]) -> list[SpeedPoint]:
    """One point per case: its median speed at its median time (a case's own pairs are noisy)."""
    by_case: dict[str, list[SpeedPoint]] = {}
    for point in points:
        by_case.setdefault(point.case, []).append(point)
    return [SpeedPoint(statistics.median(p.when for p in group), statistics.median(p.speed for p in group),
                       group[0].instance, case) for case, group in by_case.items()]


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def drift(results: Sequence[CaseResult], calibration: Mapping[str, Any] | None = None) -> Drift:
    """The run's speed record, how far it moved, and what the calibrations at both ends say."""
    points = speed_points(results)
    cpu = timed_instances(results)
    medians = case_medians([p for p in points if p.instance in cpu] or points)
    if len(medians) < 3:
        return Drift(tuple(points), None, None, None, calibration_moves(calibration or {}))
    low, high = _quantile([m.speed for m in medians], 0.05), _quantile([m.speed for m in medians], 0.95)
    slowest = min(medians, key=lambda m: abs(m.speed - low))
    fastest = min(medians, key=lambda m: abs(m.speed - high))
    return Drift(tuple(points), high / low - 1.0, slowest, fastest, calibration_moves(calibration or {}))


def machine_speeds(calibration: Mapping[str, Any]) -> dict[str, float]:
    """What a calibration says of the machine: single-core loop speed and CPU ceilings.

    ``single_core`` is loop iterations per second on one core (median of the
    repetitions); ``ceiling_K`` is the measured CPU speed-up ceiling at K cores.
    Empty when the run was not calibrated (--no-calibrate).
    """
    speeds: dict[str, float] = {}
    iterations = calibration.get("cpu_loop_iterations")
    single = [max(rep) for rep in calibration.get("raw", {}).get("cpu", {}).get("1", []) if rep]
    if isinstance(iterations, (int, float)) and single:
        speeds["single_core"] = iterations / sorted(single)[len(single) // 2]
    for k, entry in calibration.get("summary", {}).get("cpu", {}).items():
        if str(k) != "1" and isinstance(entry, dict) and isinstance(entry.get("value"), (int, float)):
            speeds[f"ceiling_{k}"] = float(entry["value"])
    return speeds


def speed_changes(before: Mapping[str, float], after: Mapping[str, float], threshold: float) -> list[str]:
    """Phrases for each machine speed that moved by more than ``threshold`` between two calibrations."""
    phrases = []
    for name in sorted(set(before) & set(after)):
        old, now = before[name], after[name]
        if old > 0 and now > 0 and max(old / now, now / old) > 1 + threshold:
            if name == "single_core":
                phrases.append(f"single-core speed {100 * (now / old - 1):+.0f}%")
            else:
                phrases.append(f"CPU ceiling at {name.split('_', 1)[1]} cores x{old:.2f} -> x{now:.2f}")
    return phrases


def calibration_moves(calibration: Mapping[str, Any], threshold: float = DRIFT_WARN) -> tuple[str, ...]:
    """How the machine moved between the calibration before the matrix and the one after it."""
    end = calibration.get("end")
    if not isinstance(end, Mapping):
        return ()
    return tuple(speed_changes(machine_speeds(calibration), machine_speeds(end), threshold))


def calibration_time(calibration: Mapping[str, Any]) -> float | None:
    """When a calibration ran (epoch s), from its ISO date; None when unknown."""
    try:
        return _dt.datetime.fromisoformat(str(calibration["date"])).timestamp()
    except (KeyError, ValueError):
        return None


def _clock(when: float) -> str:
    return _dt.datetime.fromtimestamp(when, _dt.timezone.utc).strftime("%H:%M:%S")


def warning(found: Drift, threshold: float = DRIFT_WARN) -> str | None:
    """The warning in words when the machine's speed moved more than ``threshold``; else None."""
    parts = []
    if found.movement is not None and found.movement > threshold and found.slowest and found.fastest:
        parts.append(f"the machine's speed moved by {100 * found.movement:.0f}% during the run (the same serial "
                     f"work ran at x{found.slowest.speed:.2f} of its usual speed at {_clock(found.slowest.when)} "
                     f"UTC and x{found.fastest.speed:.2f} at {_clock(found.fastest.when)})")
    if found.calibration:
        parts.append("between the calibrations before and after the matrix: " + "; ".join(found.calibration))
    if not parts:
        return None
    return ("; ".join(parts) + ". Speed-ups are measured in pairs and cancel drift slower than one pair; "
            "absolute times and comparisons of times between runs do not")
