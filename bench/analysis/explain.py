"""Why the speed-up is not higher, per workload: the accounting and the task-size bound in words.

Pure: stored results in, plain data out (``bench explain`` prints it, the report draws it).
Each workload instance is explained at its largest measured core count (the verdict's),
one entry per successful parallel case there, fastest first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.analysis import accounting, disturbance, taskbound
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
    found = readings(good, startup, bound, p, speedup, str(record.get("bound") or ""))
    return CaseWhy.of_record(record, strategy=strategy_label(record), mode=str(record["mode"]), accounting=good,
                             note=note, startup_s=startup, bound=bound,
                             readings=(*disturbance.explain_words(record), *found,
                                       *filter(None, [record.get("not_parallelism_note")])))


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
