"""The report as plain data, computed from stored results only (pure: no files, no plotting).

``build(results, base)`` gathers everything the page shows, in the page's order: the
verdict and how sure it is, failed and skipped items, one figure per workload and where its
time went, the one start-up chart, the machine, the comparison with a base file, how to
reproduce the run, and the short table (the CSV holds every column).  ``bench.render.html.plots`` and
``bench.render.html.document`` turn it into a page.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from bench.analysis import fits, stats, verdict
from bench.analysis.explain import WorkloadWhy, explain
from bench.analysis.fits import GroupFit
from bench.analysis.records import Instance, Record, instance, instances, labels, records
from bench.analysis.table import SHORT_COLUMNS, tidy
from bench.render.html import bounds, curves, reproduce, sure, why
from bench.render.html.ceilingview import CeilingsView
from bench.render.html.ceilingview import view as ceilings_view
from bench.render.html.comparison import ComparisonView, comparison
from bench.render.html.curves import Overhead
from bench.render.html.driftview import DriftView, drift_view
from bench.storage import ResultSet


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
    #: the machine's ceiling at the verdict's best case (None: none applies or no calibration)
    ceiling: float | None = None

    @property
    def curves(self) -> bool:
        """Curves only with enough core counts to show a shape."""
        return len(self.cores) >= why.CURVE_MIN_CORES

    @property
    def shown_fits(self) -> tuple[GroupFit, ...]:
        return tuple(f for f in self.fits if why.identified(f))



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
    measured_p: tuple[int, ...]
    usl_fitted: bool
    comparison: ComparisonView | None
    machine: tuple[tuple[str, Any], ...]
    versions: tuple[tuple[str, Any], ...]
    config: tuple[tuple[str, Any], ...]
    #: case settings every case shares (one line), and the names of those that differ by case (in the CSV)
    same_settings: tuple[tuple[str, str], ...]
    varying_settings: tuple[str, ...]
    columns: tuple[str, ...]
    rows: tuple[Record, ...] = field(repr=False)
    csv: str = field(repr=False)
    #: "Against the machine": calibrated ceilings and each workload's best against them
    ceilings: CeilingsView | None = None
    #: "Machine speed during the run": the reference cycles over time, the ceiling before and after
    drift: DriftView | None = None
    #: per verdict row, what its best case rests on (None where there is no best case)
    sure: tuple[sure.Sure | None, ...] = ()
    reproduce: reproduce.Reproduce | None = None
    #: `pyperf check` on this file: (unstable, too few processes, all benchmarks)
    pyperf_check: tuple[int, int, int] = (0, 0, 0)
    #: start-up (cold - warm) per strategy over every workload: the one start-up chart
    startup: tuple[curves.Startup, ...] = ()
    #: how the cases stopped: (stopped on their budget, all with a stop reason, median pairs)
    stops: tuple[int, int, float | None] = (0, 0, None)
    #: the machine's topology where the run recorded it (SMT siblings, NUMA nodes...)
    topology: tuple[tuple[str, Any], ...] = ()

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
    """One line per kind and reason: a budget that cut 101 cases is one line naming a few, not 101 lines."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for item in results.skipped:
        kind = next((k for k in ("workload", "strategy", "case") if k in item), "item")
        grouped.setdefault((kind, str(item.get("reason", ""))), []).append(str(item.get(kind, "?")))
    items = []
    for (kind, reason), names in grouped.items():
        if len(names) == 1:
            items.append(SkippedItem(kind, names[0], reason))
            continue
        shown = ", ".join(names[:SKIPPED_NAMED]) + (f" and {len(names) - SKIPPED_NAMED} more"
                                                    if len(names) > SKIPPED_NAMED else "")
        items.append(SkippedItem(f"{len(names)} {kind}s", shown, reason))
    return items


#: names shown per group of skipped items (the results file and `bench table` hold them all)
SKIPPED_NAMED = 3


def _workload_view(index: int, inst: Instance, label: str, rows: list[Record], fitted: list[GroupFit],
                   explained: WorkloadWhy | None, row: verdict.VerdictRow | None) -> WorkloadView:
    mine = [r for r in rows if instance(r) == inst]
    own_fits = [f for f in fitted if instance(f.key) == inst]
    chosen = (row.best.strategy, row.best.mode) if row and row.best and row.best.faster_than_serial else None
    return WorkloadView(anchor=f"workload-{index}", label=label, params=inst.params,
                        cores=tuple(sorted({int(r["cores"]) for r in mine})),
                        series=tuple(curves.series(inst, rows)), overheads=tuple(curves.overheads(inst, rows)),
                        fits=tuple(own_fits), dots=tuple(why.dots(inst, rows, chosen)),
                        splits=tuple(why.time_splits(explained)) if explained else (),
                        explained=explained, ceiling=_ceiling(row, rows))


def _ceiling(row: verdict.VerdictRow | None, rows: list[Record]) -> float | None:
    best = sure.best_record(row, rows) if row else None
    return float(best["ceiling"]) if best and best.get("ceiling") else None


def with_reasons(rows: list[verdict.VerdictRow], explained: dict[Instance, WorkloadWhy],
                 found_sure: list[sure.Sure | None]) -> list[verdict.VerdictRow]:
    """Each verdict's reading followed by why its best case is not faster (loss, task-size bound);
    a case at its own ideal gets that instead of a loss that its ideal already accounts for."""
    found = []
    for row, rests in zip(rows, found_sure):
        extra = why.verdict_why(explained.get(row.instance), row.best.strategy, row.best.mode,
                                row.best.workers) if row.best else ""
        found.append(replace(row, why=sure.near_ideal_words(rests) or extra))
    return found


def stops(rows: list[Record]) -> tuple[int, int, float | None]:
    """How the parallel cases stopped: (on their time budget, with any stop reason, median pairs)."""
    parallel = [r for r in rows if r["strategy"] != "serial" and r.get("stop_reason")]
    budget = sum("budget" in str(r["stop_reason"]) for r in parallel)
    pairs = sorted(int(r.get("n_pairs") or 0) for r in parallel)
    return budget, len(parallel), (float(pairs[len(pairs) // 2]) if pairs else None)


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


def short_columns(frame: pd.DataFrame) -> list[str]:
    """The page's table: `bench table`'s short columns that say something here (the heading
    names the parameters; an error column with no error and a disturbed column with no disturbed case
    are left out), narrow enough for a laptop."""
    empty = {c for c in ("error",) if c in frame.columns and not frame[c].fillna("").astype(str).str.strip().any()}
    empty |= {c for c in ("disturbed",) if c in frame.columns and not frame[c].fillna(False).astype(bool).any()}
    return [c for c in SHORT_COLUMNS if c in frame.columns and c != "params" and c not in empty]


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
    by_key = {result.case.key: result for result in results.cases}
    plain = verdict.verdicts(found, names, rows)
    rests = [sure.sure(v, rows, by_key) for v in plain]
    verdicts = with_reasons(plain, explained, rests)
    same, varying = reproduce.same_for_all(results)
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
        measured_p=tuple(sorted({p.p for f in fitted for p in f.points})),
        usl_fitted=any(isinstance(f.usl, stats.USLFit) for f in fitted),
        comparison=compared,
        machine=_pairs({k: v for k, v in meta.items() if not k.startswith("version_")}),
        versions=_pairs({k.removeprefix("version_"): v for k, v in meta.items() if k.startswith("version_")}),
        config=_pairs(results.config), same_settings=same, varying_settings=varying,
        columns=tuple(short_columns(frame)), rows=tuple(rows[:bounds.MAX_ROWS]),
        csv=frame.head(bounds.MAX_ROWS).to_csv(index=False), ceilings=ceilings_view(results, frame),
        drift=drift_view(results), notes=tuple(notes), sure=tuple(rests),
        reproduce=reproduce.reproduce(results, source), pyperf_check=sure.pyperf_check_counts(results.cases),
        startup=tuple(curves.startup(rows)), stops=stops(rows),
        topology=_pairs({k: v for k, v in meta.items() if "topology" in k or "numa" in k or "smt" in k}),
    )
