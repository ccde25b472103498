"""The report's "Reproduce" box and its one line of settings, as plain data (pure).

asv shows the commit every number came from; a reader of this page also needs the two
commands that made it, the interpreter, whether the tree had uncommitted changes, and how
long the run took.  Settings recorded with every case are one line when they are the same
for all (thread limits, start method...); what differs from case to case (stop reasons,
stamps, per-task times) is data, and stays in the results file and its CSV.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench.storage import ResultSet

#: case metadata shown nowhere on the page: per-case measurements, not settings
_MEASUREMENTS = {"load_avg_1min", "value_starts", "task_seconds", "case_process_s", "rounds", "stop_reason",
                 "warmups_skipped", "process_values", "process_warmups", "process_reference_warmups", "n_tasks"}


@dataclass(frozen=True)
class Reproduce:
    run_command: str
    report_command: str
    commit: str
    dirty: bool | None  # None: not recorded
    interpreter: str
    duration_s: float | None
    date: str


def _duration(results: ResultSet) -> float | None:
    """From the run's start to the last measured cycle's stamp (its last value added)."""
    ends = [max(r.metadata["value_starts"]) + (r.values[-1] if r.values else 0.0)
            for r in results.cases if isinstance(r.metadata.get("value_starts"), list) and r.metadata["value_starts"]]
    try:
        start = datetime.fromisoformat(str(results.metadata.get("date"))).timestamp()
    except ValueError:
        return None
    return max(ends) - start if ends and max(ends) > start else None


def reproduce(results: ResultSet, source: str) -> Reproduce:
    meta = results.metadata
    argv = str(results.config.get("argv") or "").strip()
    commit = str(meta.get("git_commit") or "not recorded")
    dirty = commit.endswith("-dirty") if commit not in ("unknown", "not recorded") else None
    return Reproduce(run_command=f"python -m bench {argv}" if argv else f"python -m bench run -o {source}",
                     report_command=f"python -m bench report {source}", commit=commit.removesuffix("-dirty"),
                     dirty=dirty, interpreter=str(meta.get("python_executable") or "not recorded"),
                     duration_s=_duration(results), date=str(meta.get("date") or ""))


def same_for_all(results: ResultSet) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(settings every case shares, with their value; names of those that differ by case)."""
    seen: dict[str, Counter[str]] = {}
    for result in results.cases:
        for key, value in result.metadata.items():
            if key not in _MEASUREMENTS:
                seen.setdefault(key, Counter())[str(value) if value not in ("", None) else "unset"] += 1
    total = len(results.cases)
    same = tuple((key.removeprefix("env_"), next(iter(values))) for key, values in sorted(seen.items())
                 if len(values) == 1 and sum(values.values()) == total)
    varying = tuple(sorted(key for key, values in seen.items() if len(values) > 1 or sum(values.values()) != total))
    return same, varying


def duration_words(seconds: Any) -> str:
    """'8 min 12 s', '41 s'."""
    if seconds is None:
        return "not recorded"
    minutes, rest = divmod(int(round(float(seconds))), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
