"""Why the speed-up is not higher, per workload: the accounting and the task-size bound in words.

Pure: stored results in, plain data out (``bench explain`` prints it, the report draws it).
Each workload instance is explained at its largest measured core count (the verdict's),
one entry per successful parallel case there, fastest first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.analysis import accounting, taskbound
from bench.analysis.accounting import Accounting
from bench.analysis.records import (
    Instance,
    Record,
    SpeedupPoint,
    instance,
    instances,
    labels,
    parallelism,
    records,
    strategy_label,
    usable,
)
from bench.analysis.table import baselines, tidy, warm_twins
from bench.analysis.taskbound import TaskBound
from bench.storage import ResultSet

IDENTITY = (f"work + overhead + waiting + idle = p x wall within {accounting.TOLERANCE_REL:.0%} "
            f"plus {accounting.TICK_S * 1000:.0f} ms per process; start-up (cold - warm) is apart")

NO_BOUND = "No task-size bound: the serial case has no per-task times (task_seconds; results from before them)."


@dataclass(frozen=True)
class CaseWhy(SpeedupPoint):
    """One case: its speed-up, where its p x wall went, and what its task sizes allow."""

    strategy: str
    mode: str
    accounting: Accounting | None
    note: str  # why there is no accounting, or what was adjusted
    startup_s: float | None
    bound: TaskBound | None
    readings: tuple[str, ...]


@dataclass(frozen=True)
class WorkloadWhy:
    instance: Instance
    label: str
    cores: int | None
    bound_kind: str  # the workload's declared bound: cpu, io-latency ...
    cases: tuple[CaseWhy, ...]

    @property
    def missing(self) -> str:
        """Why nothing here could be accounted for ('' when something could)."""
        if any(c.accounting for c in self.cases):
            return ""
        return next((c.note for c in self.cases if c.note), "no successful parallel case")


def readings(acc: Accounting | None, startup_s: float | None, bound: TaskBound | None, p: int,
             speedup: float, bound_kind: str) -> tuple[str, ...]:
    """The dominant loss, then the task-size bound, each one sentence."""
    found = [accounting.loss_words(acc, startup_s, bound_kind)] if acc else []
    if bound is not None and bound.speedup < p / taskbound.LIFT:  # else it does not limit p cores
        found.append(taskbound.reading(bound, p, speedup))
    return tuple(text for text in found if text)


def case_why(record: Record, result: Any, serial: Any | None, warm: Any | None) -> CaseWhy:
    """One tidy record and its stored case, explained."""
    acc = accounting.of_result(result, serial)
    bound = accounting.bound_of_result(result, serial)
    startup = record.get("startup_s")
    p = parallelism(record)
    speedup = float(record["speedup"])
    good = acc if isinstance(acc, Accounting) else None
    note = acc if isinstance(acc, str) else "; ".join(acc.notes)
    return CaseWhy.of_record(record, strategy=strategy_label(record), mode=str(record["mode"]), accounting=good,
                             note=note, startup_s=startup, bound=bound,
                             readings=readings(good, startup, bound, p, speedup, str(record.get("bound") or "")))


def _workload_why(inst: Instance, label: str, rows: list[tuple[Record, Any]], context: dict[str, Any]) -> WorkloadWhy:
    mine = [(r, c) for r, c in rows if instance(r) == inst and usable(r)]
    top = max((int(r["cores"]) for r, _ in mine), default=None)
    chosen = sorted(((r, c) for r, c in mine if int(r["cores"]) == top), key=lambda rc: -float(rc[0]["speedup"]))
    serials, warm = context["serials"], context["warm"]
    cases = tuple(case_why(r, c, serials.get(c.case.baseline_key), warm.get(c.case.key)) for r, c in chosen)
    kind = next((str(r.get("bound") or "") for r, _ in mine), "")
    return WorkloadWhy(inst, label, top, kind, cases)


def explain(results: ResultSet, workload: str | None = None, frame: Any = None) -> list[WorkloadWhy]:
    """Every workload instance (or those of ``workload``), explained at its largest core count."""
    rows = list(zip(records(tidy(results) if frame is None else frame), results.cases))
    context = {"serials": baselines(results), "warm": warm_twins(results)}
    every = instances(r for r, _ in rows)
    names = labels(every)
    return [_workload_why(inst, names[inst], rows, context) for inst in every if workload in (None, inst.workload)]


# ------------------------------------------------------------------ text and markdown

HEADER = ("strategy", "mode", "workers", "speed-up", "task bound", "work s", "overhead s", "waiting s", "idle s",
          "start-up s")


def _num(value: float | None, fmt: str = ".3f") -> str:
    return "-" if value is None else format(value, fmt)


def _speedup(case: CaseWhy) -> str:
    if case.ci_low is None or case.ci_high is None:
        return f"x{case.speedup:.2f}"
    return f"x{case.speedup:.2f} [{case.ci_low:.2f}, {case.ci_high:.2f}]"


def case_cells(case: CaseWhy) -> tuple[str, ...]:
    """One row of the explanation table, as text."""
    acc = case.accounting
    parts = [_num(acc.part(name)) if acc else "-" for name in accounting.PARTS]
    return (case.strategy, case.mode, str(case.workers), _speedup(case),
            f"x{case.bound.speedup:.2f}" if case.bound else "-", *parts, _num(case.startup_s))


def _heading(why: WorkloadWhy) -> str:
    params = why.instance.params
    name = why.label if not params or params in why.label else f"{why.label} ({params})"
    if why.cores is None:
        return f"{name}: no successful parallel case"
    return f"{name} at {why.cores} cores: the p x wall core-seconds of each case"


def _case_name(why: WorkloadWhy, case: CaseWhy) -> str:
    """Strategy and mode, and the worker count where the table has more than one."""
    several = len({c.workers for c in why.cases}) > 1
    return f"{case.strategy} {case.mode}" + (f" ({case.workers} workers)" if several else "")


def _notes(why: WorkloadWhy) -> list[str]:
    """The readings of each case, then what was adjusted or missing, once each."""
    lines = [f"{_case_name(why, c)}: {' '.join(c.readings)}" for c in why.cases if c.readings]
    if why.missing:
        lines.append(f"No accounting: {why.missing}.")
    if why.cases and not any(c.bound for c in why.cases):
        lines.append(NO_BOUND)
    adjusted = dict.fromkeys(f"{_case_name(why, c)}: {c.note}" for c in why.cases if c.accounting and c.note)
    return lines + list(adjusted)


def _text_table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def render_text(whys: list[WorkloadWhy]) -> str:
    """For a terminal: one block per workload, a table, then the readings."""
    out = []
    for why in whys:
        out.append(_heading(why))
        if why.cases:
            out.extend("  " + line for line in _text_table([HEADER, *map(case_cells, why.cases)]))
        out.extend("  - " + line for line in _notes(why))
        out.append("")
    out.append(f"({IDENTITY}.)")
    return "\n".join(out) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def render_md(whys: list[WorkloadWhy]) -> str:
    """For a pull-request comment: a heading, a table and bullets per workload."""
    out = []
    for why in whys:
        out += [f"### {_md_escape(_heading(why))}", ""]
        if why.cases:
            out += ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
            out += ["| " + " | ".join(_md_escape(c) for c in case_cells(case)) + " |" for case in why.cases]
            out.append("")
        out += [f"- {_md_escape(line)}" for line in _notes(why)] + [""]
    out.append(f"_{IDENTITY}._")
    return "\n".join(out) + "\n"
