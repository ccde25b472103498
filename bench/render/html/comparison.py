"""Against a base file: per case change in time and speed-up, with `bench compare`'s verdicts.

The statistics and the matching are ``bench.analysis.compare``'s (run once on times, once on
speed-ups), so the report and the CI gate never disagree; speed-ups shown are the tidy
table's of each file, the numbers the rest of the report uses.
"""
from __future__ import annotations

from dataclasses import dataclass

from bench.analysis.compare import CaseComparison, CompareOptions, compare
from bench.analysis.records import Record
from bench.storage import ResultSet


@dataclass(frozen=True)
class ComparisonRow:
    identity: str
    params_change: str
    status: str  # the time verdict: what `bench compare` gates on
    base_s: float | None
    new_s: float | None
    change: float | None  # new/base - 1 of median times
    ratio_ci: tuple[float, float] | None
    p_value: float | None
    base_speedup: float | None
    new_speedup: float | None
    speedup_status: str
    reason: str


@dataclass(frozen=True)
class ComparisonView:
    rows: tuple[ComparisonRow, ...]
    counts: dict[str, int]
    gate_failed: bool
    warnings: tuple[str, ...]
    threshold: float
    alpha: float


def _speedups(rows: list[Record]) -> dict[str, float | None]:
    return {str(r["key"]): r.get("speedup") for r in rows}


def _row(entry: CaseComparison, speedup_status: str, base_speedups: dict[str, float | None],
         new_speedups: dict[str, float | None]) -> ComparisonRow:
    result = entry.stats
    return ComparisonRow(
        identity=entry.identity, params_change=entry.params_change_text(), status=entry.status,
        base_s=result.median_base if result else None, new_s=result.median_new if result else None,
        change=result.change if result else None,
        ratio_ci=(result.ratio_ci_low, result.ratio_ci_high) if result else None,
        p_value=result.p_value if result else None,
        base_speedup=base_speedups.get(entry.base_key or ""), new_speedup=new_speedups.get(entry.new_key or ""),
        speedup_status=speedup_status, reason=entry.reason)


def comparison(base: ResultSet, new: ResultSet, base_rows: list[Record], new_rows: list[Record]) -> ComparisonView:
    """``base_rows``/``new_rows``: tidy records of each file with a ``key`` column (the case key)."""
    by_time = compare(base, new, CompareOptions(metric="time"))
    by_speedup = compare(base, new, CompareOptions(metric="speedup"))
    speedup_status = {(e.base_key, e.new_key): e.status for e in by_speedup.cases}
    base_speedups, new_speedups = _speedups(base_rows), _speedups(new_rows)
    rows = tuple(_row(e, speedup_status.get((e.base_key, e.new_key), ""), base_speedups, new_speedups)
                 for e in by_time.cases)
    options = by_time.options
    return ComparisonView(rows=rows, counts={k: v for k, v in by_time.summary.counts.items() if v},
                          gate_failed=by_time.summary.failed, warnings=by_time.summary.warnings,
                          threshold=options.threshold, alpha=options.alpha)
