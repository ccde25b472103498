"""The report as plain data, computed from stored results only (pure: no files, no plotting).

``build(results, base)`` gathers everything the page shows, in the page's order: the
verdict, failed and skipped items, per-workload curves, the heatmap, the scaling models,
the comparison with a base file, metadata and the raw table.  ``bench.render.html.plots`` and
``bench.render.html.document`` turn it into a page.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from bench.analysis import fits, stats, verdict
from bench.analysis.explain import WorkloadWhy, explain
from bench.analysis.fits import GroupFit
from bench.analysis.records import Instance, Record, instance, instances, labels, records
from bench.analysis.table import tidy
from bench.render.html import bounds, curves, why
from bench.render.html.ceilingview import CeilingsView
from bench.render.html.ceilingview import view as ceilings_view
from bench.render.html.comparison import ComparisonView, comparison
from bench.render.html.curves import Overhead
from bench.render.html.driftview import DriftView, drift_view
from bench.storage import ResultSet

#: case metadata that differs by design from case to case and says nothing about settings
_VOLATILE_CASE_METADATA = {"load_avg_1min"}


@dataclass(frozen=True)
class FailedCase:
    workload: str
    params: str
    strategy: str
    cores: int
    workers: int
    mode: str
    error: str


@dataclass(frozen=True)
class SkippedItem:
    kind: str  # "workload" or "strategy"
    name: str
    reason: str


@dataclass(frozen=True)
class WorkloadView:
    anchor: str
    label: str
    params: str
    cores: tuple[int, ...]
    series: tuple[curves.Series, ...]
    overheads: tuple[Overhead, ...]  # every strategy x cores x workers measured cold and warm
    fits: tuple[GroupFit, ...]
    #: few core counts: a dot per strategy and mode instead of curves
    dots: tuple[why.Dot, ...] = ()
    #: where the time went at the largest core count, one bar per strategy
    splits: tuple[why.TimeSplit, ...] = ()
    #: the accounting behind the bars, and why there is none
    explained: WorkloadWhy | None = None

    @property
    def curves(self) -> bool:
        """Curves only with enough core counts to show a shape."""
        return len(self.cores) >= why.CURVE_MIN_CORES

    @property
    def shown_fits(self) -> tuple[GroupFit, ...]:
        return tuple(f for f in self.fits if why.identified(f))

    @property
    def headline_overheads(self) -> list[Overhead]:
        return curves.headline_overheads(list(self.overheads))


@dataclass(frozen=True)
class RunSummary:
    date: str
    host: str
    cpu: str
    cpus: str
    python: str
    profile: str
    cores: tuple[int, ...]
    n_cases: int
    n_failed: int
    n_skipped: int
    complete: bool


@dataclass(frozen=True)
class Report:
    source: str
    base_source: str | None
    summary: RunSummary
    verdicts: tuple[verdict.VerdictRow, ...]
    failed: tuple[FailedCase, ...]
    skipped: tuple[SkippedItem, ...]
    workloads: tuple[WorkloadView, ...]
    heatmap: curves.Heatmap
    measured_p: tuple[int, ...]
    usl_fitted: bool
    comparison: ComparisonView | None
    machine: tuple[tuple[str, Any], ...]
    versions: tuple[tuple[str, Any], ...]
    config: tuple[tuple[str, Any], ...]
    case_settings: tuple[tuple[str, str], ...]
    columns: tuple[str, ...]
    rows: tuple[Record, ...] = field(repr=False)
    csv: str = field(repr=False)
    #: "Against the machine": calibrated ceilings and each workload's best against them
    ceilings: CeilingsView | None = None
    #: "Machine speed during the run": the reference cycles over time, the ceiling before and after
    drift: DriftView | None = None

    @property
    def unidentified(self) -> str:
        """One line for every scaling model the measured p cannot identify ('' when none)."""
        every = [f for w in self.workloads for f in w.fits]
        return why.unidentified_line([f for f in every if not why.identified(f)], len(every), self.measured_p)
    #: what was cut to keep the page bounded (bench.render.html.bounds), said on the page and on stderr
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------- pieces


def keyed_records(results: ResultSet, frame: pd.DataFrame) -> list[Record]:
    """Tidy records with each case's key added (tidy keeps the order of ``results.cases``)."""
    rows = records(frame)
    for record, result in zip(rows, results.cases):
        record["key"] = result.case.key
    return rows


def failed_cases(rows: list[Record]) -> list[FailedCase]:
    return [FailedCase(str(r["workload"]), str(r.get("params") or ""), str(r["strategy"]), int(r["cores"]),
                       int(r["workers"]), str(r["mode"]), str(r.get("error") or "failed"))
            for r in rows if not r.get("ok")]


def skipped_items(results: ResultSet) -> list[SkippedItem]:
    items = []
    for item in results.skipped:
        kind = next((k for k in ("workload", "strategy") if k in item), "item")
        items.append(SkippedItem(kind, str(item.get(kind, "?")), str(item.get("reason", ""))))
    return items


def _workload_view(index: int, inst: Instance, label: str, rows: list[Record], fitted: list[GroupFit],
                   explained: WorkloadWhy | None, row: verdict.VerdictRow | None) -> WorkloadView:
    mine = [r for r in rows if instance(r) == inst]
    own_fits = [f for f in fitted if instance(f.key) == inst]
    chosen = (row.best.strategy, row.best.mode) if row and row.best and row.best.faster_than_serial else None
    serial = _serial_median(mine, row.cores if row else None)
    return WorkloadView(anchor=f"workload-{index}", label=label, params=inst.params,
                        cores=tuple(sorted({int(r["cores"]) for r in mine})),
                        series=tuple(curves.series(inst, rows)), overheads=tuple(curves.overheads(inst, rows)),
                        fits=tuple(own_fits), dots=tuple(why.dots(inst, rows, chosen)),
                        splits=tuple(why.time_splits(explained, serial)) if explained else (),
                        explained=explained)


def _serial_median(rows: list[Record], cores: int | None) -> float | None:
    """The serial case's median at the verdict's core count: the time the bars are measured against."""
    found = [r.get("median_s") for r in rows if r["strategy"] == "serial" and r.get("ok") and int(r["cores"]) == cores]
    return float(found[0]) if found and found[0] is not None else None


def with_reasons(rows: list[verdict.VerdictRow], explained: dict[Instance, WorkloadWhy]) -> list[verdict.VerdictRow]:
    """Each verdict's reading followed by why its best case is not faster (loss, task-size bound)."""
    found = []
    for row in rows:
        extra = why.verdict_why(explained.get(row.instance), row.best.strategy, row.best.mode,
                                row.best.workers) if row.best else ""
        found.append(replace(row, why=extra))
    return found


def case_settings(results: ResultSet) -> list[tuple[str, str]]:
    """Each per-case setting (thread-limit variables first) with its values and how many cases had each."""
    seen: dict[str, Counter[str]] = {}
    for result in results.cases:
        for key, value in result.metadata.items():
            if key not in _VOLATILE_CASE_METADATA:
                seen.setdefault(key, Counter())[str(value) if value not in ("", None) else "(unset)"] += 1
    total = len(results.cases)
    ordered = sorted(seen, key=lambda k: (not k.startswith("env_"), k))
    return [(key.removeprefix("env_"), _counted(seen[key], total)) for key in ordered]


def _counted(values: Counter[str], total: int) -> str:
    if len(values) == 1 and sum(values.values()) == total:
        return f"{next(iter(values))} (all cases)"
    return ", ".join(f"{value} ({count} cases)" for value, count in values.most_common())


def _summary(results: ResultSet, rows: list[Record]) -> RunSummary:
    meta = results.metadata
    python = " ".join(str(meta[k]) for k in ("python_implementation", "python_version") if k in meta)
    if "python_gil" in meta:
        python += f", GIL {meta['python_gil']}"
    cpus = f"{meta.get('cpu_count', '?')} logical CPUs"
    if meta.get("cpu_affinity"):
        cpus += f" (affinity {meta['cpu_affinity']})"
    if meta.get("cpu_topology"):  # bench.machine.topology: what "k cores" shared
        cpus += f"; {meta['cpu_topology']}"
    shared = sorted({(int(r["cores"]), str(r["cpu_placement"])) for r in rows
                     if r.get("cpu_placement") not in (None, "", "cores")})
    if shared:
        cpus += "; " + ", ".join(f"{k} cores: {mark}" for k, mark in shared)
    return RunSummary(date=str(meta.get("date", "")), host=str(meta.get("hostname", "")),
                   cpu=str(meta.get("cpu_model", "")), cpus=cpus, python=python,
                   profile=str(results.config.get("profile", "")),
                   cores=tuple(sorted({int(r["cores"]) for r in rows})), n_cases=len(rows),
                   n_failed=sum(not r.get("ok") for r in rows), n_skipped=len(results.skipped),
                   complete=results.complete)


def _pairs(mapping: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((str(k), v) for k, v in mapping.items() if v not in (None, "", [], {})))


# ---------------------------------------------------------------- the whole report


def build(results: ResultSet, base: ResultSet | None = None, *, source: str = "results",
          base_source: str | None = None, seed: int = 0) -> Report:
    """Everything the page shows, from stored results only, with long strings and huge tables cut (see bounds)."""
    results, notes = bounds.bounded(results)
    if base is not None:
        base, _ = bounds.bounded(base)
    frame = tidy(results)
    rows = keyed_records(results, frame)
    found = instances(rows)
    names = labels(found)
    fitted = fits.fit_groups(frame, seed)
    explained = {w.instance: w for w in explain(results, frame=frame)}
    verdicts = with_reasons(verdict.verdicts(found, names, rows), explained)
    compared = None
    if base is not None:
        compared = comparison(base, results, keyed_records(base, tidy(base)), rows)
    meta = results.metadata
    return Report(
        source=source, base_source=base_source, summary=_summary(results, rows),
        verdicts=tuple(verdicts), failed=tuple(failed_cases(rows)),
        skipped=tuple(skipped_items(results)),
        workloads=tuple(_workload_view(i, inst, names[inst], rows, fitted, explained.get(inst), v)
                        for i, (inst, v) in enumerate(zip(found, verdicts))),
        heatmap=curves.heatmap(found, names, rows),
        measured_p=tuple(sorted({p.p for f in fitted for p in f.points})),
        usl_fitted=any(isinstance(f.usl, stats.USLFit) for f in fitted),
        comparison=compared,
        machine=_pairs({k: v for k, v in meta.items() if not k.startswith("version_")}),
        versions=_pairs({k.removeprefix("version_"): v for k, v in meta.items() if k.startswith("version_")}),
        config=_pairs(results.config), case_settings=tuple(case_settings(results)),
        columns=tuple(frame.columns), rows=tuple(rows[:bounds.MAX_ROWS]),
        csv=frame.head(bounds.MAX_ROWS).to_csv(index=False), ceilings=ceilings_view(results, frame),
        drift=drift_view(results), notes=tuple(notes),
    )
