"""The tidy table: one row per case, computed from stored results only.

Speed-up comes from the case's pairs: each round of a parallel case measured a
serial reference cycle and a case cycle one after the other in the same pinned
process, and the speed-up is the (trimmed geometric) mean of the pairs' ratios
with an interval over pairs (``bench.analysis.stats.paired_speedup``).  Files without
pairs (schema 1) fall back to the serial case's median over the case median,
same run, cores, parameters and interpreter.  Efficiency divides by the
parallelism actually available, min(workers, cores): oversubscribed I/O work
can then exceed 1, which is the honest reading.  ``efficiency_vs_ceiling``
divides the speed-up by what this machine measurably gives at that parallelism
for the workload's bound instead (``bench.machine.ceiling``, from the run's calibration).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from bench.analysis import accounting, disturbance, single_worker, stats
from bench.machine import ceiling
from bench.measure.metadata import label_from_metadata
from bench.model import CaseResult
from bench.storage import ResultSet

COLUMNS = ["workload", "params", "strategy", "cores", "cpu_placement", "workers", "mode", "start_method", "python",
           "n_values", "median_s", "mad_s", "ci_low_s", "ci_high_s", "speedup", "speedup_ci_low",
           "speedup_ci_high", "efficiency", "ideal_speedup", "bound", "ceiling", "ceiling_kind",
           "efficiency_vs_ceiling", "ceiling_note", "bound_check", "ok", "error", "n_pairs", "stop_reason",
           *accounting.COLUMNS, *disturbance.COLUMNS,
           *single_worker.COLUMNS]


def baselines(results: ResultSet) -> dict[tuple[Any, ...], CaseResult]:
    """The usable serial case of each ``Case.baseline_key``: what speed-ups divide by."""
    return {r.case.baseline_key: r for r in results.cases if r.case.is_serial and r.ok and r.values}


def _timing_columns(values: tuple[float, ...]) -> dict[str, float | None]:
    if not values:
        return {"median_s": None, "mad_s": None, "ci_low_s": None, "ci_high_s": None}
    low, high = stats.bootstrap_ci(values)
    return {"median_s": stats.median(values), "mad_s": stats.mad(values), "ci_low_s": low, "ci_high_s": high}


def _speedup_columns(result: CaseResult, serial: CaseResult | None) -> dict[str, float | None]:
    empty: dict[str, float | None] = {"speedup": None, "speedup_ci_low": None, "speedup_ci_high": None,
                                      "efficiency": None, "ideal_speedup": None}
    if serial is None or not result.values:
        return empty
    speedup, low, high = speedup_estimate(result, serial)
    parallelism = result.case.parallelism
    ideal = result.metrics.get("ideal_seconds")
    serial_ideal = serial.metrics.get("ideal_seconds")
    return {"speedup": speedup, "speedup_ci_low": low, "speedup_ci_high": high,
            "efficiency": stats.efficiency(speedup, parallelism),
            "ideal_speedup": serial_ideal / ideal if ideal and serial_ideal else None}


def speedup_estimate(result: CaseResult, serial: CaseResult) -> tuple[float, float, float]:
    """(speed-up, low, high): from the case's own pairs where it has them, else medians of two cases.

    The fallback (files before schema 2, and the serial case against itself) divides
    values measured at different moments, so its interval says nothing of drift.
    """
    if result.paired:
        paired = stats.paired_speedup(result.reference, result.values)
        return paired.speedup, paired.low, paired.high
    low, high = stats.speedup_ci(serial.values, result.values)
    return stats.speedup(serial.values, result.values), low, high


def python_labels(results: ResultSet) -> dict[str, str]:
    """Per ``Case.instance``, the interpreter label its cases recorded.

    A failed case has no metadata; without its instance's label it would form a
    second workload instance (the verdict would list the workload twice).
    """
    found: dict[str, str] = {}
    for result in results.cases:
        label = label_from_metadata(result.metadata)
        if label:
            found.setdefault(result.case.instance, label)
    return found


def row(result: CaseResult, serial: CaseResult | None, python: str = "") -> dict[str, Any]:
    """One case's columns; ``python`` is its instance's interpreter label (see ``python_labels``)."""
    case = result.case
    ok = result.ok and (serial is not None or case.is_serial)
    error = result.error or ("" if ok else "no serial baseline")
    return {
        "workload": case.workload, "params": case.params_label,
        "strategy": case.strategy, "cores": case.cores, "workers": case.workers, "mode": case.mode,
        # effective values from the case process: a None start method is the
        # platform default (recorded there), and python is "3.12.1 (GIL enabled)"
        "start_method": case.start_method or str(result.metadata.get("start_method", "")),
        "python": label_from_metadata(result.metadata) or python or case.python or "",
        "n_values": len(result.values), **_timing_columns(result.values),
        "n_pairs": len(result.reference) if result.paired else 0,
        "stop_reason": str(result.metadata.get("stop_reason", "")),
        # cores, siblings, nodes, siblings+nodes (bench.machine.topology.placement); '' before it was recorded
        "cpu_placement": str(result.metadata.get("cpu_placement", "")),
        "measured_at": ceiling.case_time(result),
        **_speedup_columns(result, serial), "ok": ok, "error": error,
        **{f"metric_{name}": value for name, value in sorted(result.metrics.items())},
    }


def _twin_key(result: CaseResult, mode: str) -> str:
    return replace(result.case, mode=mode).key


def warm_twins(results: ResultSet) -> dict[str, CaseResult]:
    """Warm cases by the key their cold twin has: start-up is cold minus warm."""
    return {_twin_key(r, "cold"): r for r in results.cases if r.case.mode == "warm"}


def tidy(results: ResultSet) -> pd.DataFrame:
    serials = baselines(results)
    warm = warm_twins(results)
    found = ceiling.readings(results.calibration)  # once: bootstraps are not free
    pythons = python_labels(results)
    rows = []
    for result in results.cases:
        serial = serials.get(result.case.baseline_key)
        base = row(result, serial, pythons.get(result.case.instance, ""))
        rows.append({**base, **ceiling.columns(result, serial, base["speedup"], found),
                     **accounting.columns(result, serial, warm.get(result.case.key)),
                     **disturbance.columns(result)})
    frame = pd.DataFrame(single_worker.with_columns(rows, results.cases))
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    extra = [c for c in frame.columns if c not in COLUMNS]
    return frame[COLUMNS + extra]


#: what `bench table` and the report's table show by default (`--columns all`: every column);
#: columns that only some files have (``disturbed``) are shown where present
SHORT_COLUMNS = ["workload", "params", "strategy", "cores", "workers", "mode", "median_s", "speedup",
                 "speedup_ci_low", "speedup_ci_high", "efficiency", "n_pairs", "stop_reason", "disturbed", "ok",
                 "error"]
