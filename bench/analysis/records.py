"""The tidy table as plain records, and the labels the report groups them by.

A *workload instance* is a workload with its parameters (and interpreter, when several were
measured): speed-ups only compare within one.  A *strategy label* adds the start method when
one was forced, since fork and spawn pools are different answers.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Self

import pandas as pd

from bench import model

Record = dict[str, Any]


def _clean(value: Any) -> Any:
    """NaN and pandas' missing markers become None; numpy scalars become Python ones."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def records(frame: pd.DataFrame) -> list[Record]:
    return [{str(k): _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


@dataclass(frozen=True, order=True)
class Instance:
    """One workload with fixed parameters (and interpreter)."""

    workload: str
    params: str
    python: str

    @property
    def label(self) -> str:
        return f"{self.workload} [{self.python}]" if self.python else self.workload


def instance(record: Record) -> Instance:
    return Instance(str(record["workload"]), str(record.get("params") or ""), str(record.get("python") or ""))


def labels(found: list[Instance]) -> dict[Instance, str]:
    """The workload name; the interpreter only when several were measured, the parameters
    only when one workload ran with several (a heading that repeats the only interpreter
    says nothing)."""
    several = len({i.python for i in found}) > 1
    names = Counter((i.workload, i.python) for i in found)
    def one(i: Instance) -> str:
        base = i.label if several else i.workload
        return f"{base} ({i.params})" if names[(i.workload, i.python)] > 1 else base
    return {i: one(i) for i in found}


def strategy_label(record: Record) -> str:
    method = record.get("start_method")
    return f"{record['strategy']} ({method})" if method else str(record["strategy"])


def instances(rows: Iterable[Record]) -> list[Instance]:
    """In first-seen order, which is the run's order."""
    return list(dict.fromkeys(instance(r) for r in rows))


def usable(record: Record) -> bool:
    """A successful parallel case with a speed-up to show."""
    return bool(record.get("ok")) and record["strategy"] != "serial" and record.get("speedup") is not None


def parallelism(record: Record) -> int:
    return model.parallelism(int(record["workers"]), int(record["cores"]))


@dataclass(frozen=True)
class SpeedupPoint:
    """A case's speed-up where it ran: its cores, workers, the p they allow, the ratio and its interval.

    The one copy of these fields and of how a tidy record fills them; the report's curve points
    and explain's cases extend it with what each adds.
    """

    cores: int
    workers: int
    p: int
    speedup: float
    ci_low: float | None
    ci_high: float | None

    @classmethod
    def of_record(cls, record: Record, **extra: Any) -> Self:
        """The point of a usable tidy record; ``extra`` fills a subclass's own fields."""
        return cls(cores=int(record["cores"]), workers=int(record["workers"]), p=parallelism(record),
                   speedup=float(record["speedup"]), ci_low=record.get("speedup_ci_low"),
                   ci_high=record.get("speedup_ci_high"), **extra)
