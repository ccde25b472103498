"""The report's "Against the machine" section as plain data (pure; the arithmetic is bench.machine.ceiling)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import pandas as pd

from bench.analysis.table import tidy
from bench.machine import ceiling
from bench.model import parallelism
from bench.storage import ResultSet

_SPAWN_LABELS = {"thread": "thread", "process_spawn": "process (spawn)", "process_fork": "process (fork)",
                 "process_forkserver": "process (forkserver)"}


@dataclass(frozen=True)
class CeilingsView:
    machine: tuple[dict[str, Any], ...]  # per calibrated core count (ceiling.machine_lines)
    workloads: tuple[dict[str, Any], ...]  # per workload instance (ceiling.report_lines)
    spawn: tuple[tuple[str, dict[str, float]], ...]  # label -> median_s, ci_low_s, ci_high_s, min_s, max_s, n
    note: str  # how the calibration was taken, or why there is none


def _note(calibration: dict[str, Any]) -> str:
    if not calibration:
        return "This run has no calibration (it was run with --no-calibrate): no ceilings to judge against."
    if calibration.get("error"):
        return f"The calibration failed: {calibration['error']}."
    return (f"Brief calibration at the start of the run ({calibration.get('plan', '?')}, "
            f"{calibration.get('repetitions', '?')} repetitions, {calibration.get('seconds', '?')} s, "
            f"1-minute load average {calibration.get('load_avg_1min', '?')}): other load on the machine "
            "lowers the ceilings and widens their intervals; bench calibrate measures longer.")


def view(results: ResultSet, frame: pd.DataFrame) -> CeilingsView:
    calibration = results.calibration or {}
    machine = tuple(ceiling.machine_lines(calibration))
    spawn = ceiling.calibration_summary(calibration).get("spawn", {}) if machine else {}
    return CeilingsView(machine=machine, workloads=tuple(report_lines(results, frame)),
                        spawn=tuple((_SPAWN_LABELS.get(name, name), s) for name, s in spawn.items()),
                        note=_note(calibration))


def report_lines(results: Any, frame: Any = None) -> list[dict[str, Any]]:
    """Per workload instance, at its largest core count: which ceiling applies, how close the best gets.

    ``results`` is a ``storage.ResultSet``; ``frame`` its ``table.tidy`` if already computed.
    Keys: workload, params, python, bound, cores, p,
    ceiling_kind, ceiling, ceiling_ci_low, ceiling_ci_high, best_strategy, best_mode,
    best_workers, best_start_method, speedup, speedup_ci_low, speedup_ci_high,
    efficiency_vs_cores, efficiency_vs_ceiling, limit, bound_check, bound_finding, sentence.
    """
    if frame is None:
        frame = tidy(results)
    if frame.empty:
        return []
    found = ceiling.readings(results.calibration)
    lines = []
    for (workload, params, python), group in frame.groupby(["workload", "params", "python"], sort=False):
        cores = int(group["cores"].max())
        lines.append(_report_line(workload, params, python, group[group["cores"] == cores], cores, found))
    return lines


def _serial_metrics(rows: Any) -> dict[str, Any]:
    serial = rows[(rows["strategy"] == "serial") & rows["ok"]]
    if serial.empty:
        return {}
    first = serial.iloc[0]
    return {name[len("metric_"):]: first[name] for name in serial.columns if name.startswith("metric_")}


def _report_line(workload: str, params: str, python: str, rows: Any, cores: int,
                 found: Sequence[tuple[float | None, ceiling.Machine]]) -> dict[str, Any]:
    bound = rows["bound"].dropna().iloc[0] if rows["bound"].notna().any() else None
    check = ceiling.bound_check_from_metrics(bound, _serial_metrics(rows))
    line: dict[str, Any] = {"workload": workload, "params": params, "python": python, "bound": bound,
                            "cores": cores, "bound_check": check.status, "bound_finding": check.finding}
    parallel = rows[(rows["strategy"] != "serial") & rows["ok"] & rows["speedup"].notna()]
    if parallel.empty:
        return {**line, "limit": "unknown", "sentence": f"No successful parallel case on {cores} cores."}
    best = parallel.loc[parallel["speedup"].idxmax()]
    when = best.get("measured_at")
    machine = ceiling.nearest(found, float(when) if when is not None and when == when else None)
    p = parallelism(max(1, int(best["workers"])), max(1, cores))
    applies = ceiling.for_bound(machine, bound, p)
    speedup_ci = (float(best["speedup_ci_low"]), float(best["speedup_ci_high"]))
    ideal = best.get("ideal_speedup")
    verdict = ceiling.judge(str(best["strategy"]), float(best["speedup"]), speedup_ci, p, applies,
                            float(ideal) if ideal is not None and ideal == ideal else None,
                            ceiling.no_ceiling_reason(bound, machine, p))
    if bound == "memory":
        cross = ceiling.memory_scaling_finding(speedup_ci, ceiling.at(machine.get("bandwidth", {}), p, "bandwidth"),
                                               ceiling.at(machine.get("cpu", {}), p, "cpu"))
        if cross:
            line["bound_check"], line["bound_finding"] = cross
    return {**line, "p": p, **_ceiling_fields(applies), "best_strategy": str(best["strategy"]),
            "best_mode": str(best["mode"]), "best_workers": int(best["workers"]),
            "best_start_method": str(best["start_method"]), "speedup": float(best["speedup"]),
            "speedup_ci_low": speedup_ci[0], "speedup_ci_high": speedup_ci[1],
            "efficiency_vs_cores": verdict.efficiency_vs_cores,
            "efficiency_vs_ceiling": verdict.efficiency_vs_ceiling, "limit": verdict.limit,
            "sentence": " ".join(filter(None, [verdict.sentence, _note_sentence(best)]))}


def _note_sentence(best: Any) -> str:
    note = best.get("ceiling_note")
    return f"Efficiency vs ceiling is {note}." if isinstance(note, str) and note else ""


def _ceiling_fields(found_ceiling: ceiling.Ceiling | None) -> dict[str, Any]:
    if found_ceiling is None:
        return {"ceiling_kind": None, "ceiling": None, "ceiling_ci_low": None, "ceiling_ci_high": None}
    return {"ceiling_kind": found_ceiling.kind, "ceiling": found_ceiling.value,
            "ceiling_ci_low": found_ceiling.ci_low, "ceiling_ci_high": found_ceiling.ci_high}
