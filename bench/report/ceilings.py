"""The report's "Against the machine" section as plain data (pure; the arithmetic is bench.ceiling)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from bench import ceiling
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
    spawn = ceiling.summarise(calibration).get("spawn", {}) if machine else {}
    return CeilingsView(machine=machine, workloads=tuple(ceiling.report_lines(results, frame)),
                        spawn=tuple((_SPAWN_LABELS.get(name, name), s) for name, s in spawn.items()),
                        note=_note(calibration))
