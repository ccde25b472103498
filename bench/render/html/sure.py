"""How sure each verdict is, as plain data: pairs, why the case stopped, absolute times, flags.

A speed-up alone reads as a fact.  The reader also needs what it rests on: how many pairs,
whether the case stopped because its interval was tight or because its time ran out, the
serial and parallel times behind the ratio, how far it is from the case's own ideal, and a
flag wherever a number looks impossible (above the machine's calibrated ceiling), rests on a
disturbed machine, or is one that `pyperf check` calls unstable.  Pure: records and stored
cases in, words out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from bench.analysis import stability, stats
from bench.analysis.records import Record, instance, strategy_label
from bench.analysis.verdict import VerdictRow
from bench.model import CaseResult
from bench.render.html.digits import significant
from bench.storage import process_slices

#: at this share of its ideal or more a case has nothing measurable left to lose
NEAR_IDEAL = 0.9


@dataclass(frozen=True)
class Flag:
    kind: str  # "ceiling", "disturbed", "unstable", "undecided": the CSS class of its tag
    text: str


@dataclass(frozen=True)
class Sure:
    """What one verdict's best case rests on."""

    n_pairs: int
    stop: str  # why it stopped: "budget", "precision", "out of the race"... ('' when not recorded)
    serial_s: float | None  # the serial time the speed-up divides (the paired reference's median)
    parallel_s: float | None
    ideal: float | None  # the case's own ideal speed-up: the analytic one, else p
    of_ideal: float | None  # speed-up / ideal
    mode_note: str  # "" or why the mode does not matter
    flags: tuple[Flag, ...]
    low_of_ideal: float | None = None  # the interval's low end / ideal


def _stop(text: Any) -> str:
    """'budget,budget' -> 'budget': one word per distinct reason, in order."""
    return ", ".join(dict.fromkeys(part.strip() for part in str(text or "").split(",") if part.strip()))


def best_record(row: VerdictRow, rows: Sequence[Record]) -> Record | None:
    """The tidy record behind a verdict's best choice."""
    best = row.best
    if best is None:
        return None
    return next((r for r in rows if instance(r) == row.instance and strategy_label(r) == best.strategy
                 and r["mode"] == best.mode and int(r["workers"]) == best.workers and int(r["cores"]) == best.cores),
                None)


def ideal_of(record: Record) -> float:
    """The case's own ideal speed-up: the workload's analytic one where it knows it, else p."""
    ideal = record.get("ideal_speedup")
    return float(ideal) if ideal else float(min(int(record["workers"]), int(record["cores"])))


def _twin(record: Record, rows: Sequence[Record]) -> Record | None:
    other = "warm" if record["mode"] == "cold" else "cold"
    return next((r for r in rows if instance(r) == instance(record) and strategy_label(r) == strategy_label(record)
                 and r["mode"] == other and r["workers"] == record["workers"] and r["cores"] == record["cores"]
                 and r.get("ok") and r.get("speedup") is not None), None)


def _overlap(a: Record, b: Record) -> bool:
    keys = ("speedup_ci_low", "speedup_ci_high")
    if any(r.get(k) is None for r in (a, b) for k in keys):
        return False
    return bool(a["speedup_ci_low"] <= b["speedup_ci_high"] and b["speedup_ci_low"] <= a["speedup_ci_high"])


def mode_note(record: Record, rows: Sequence[Record]) -> str:
    """Why the mode does not matter, when it does not: cold is warm plus start-up, so a cold case
    ahead of its warm twin, or the two within each other's intervals, says start-up is lost in noise."""
    twin = _twin(record, rows)
    if twin is None:
        return ""
    if record["mode"] == "cold" or _overlap(record, twin):
        if twin.get("speedup_ci_low") is None:
            return "The mode does not matter"
        low, high = significant(twin["speedup_ci_low"]), significant(twin["speedup_ci_high"])
        return (f"The mode does not matter: {twin['mode']} x{significant(twin['speedup'])} [{low}, {high}] "
                "is the same within noise")
    return ""


def _unstable(result: CaseResult | None) -> tuple[str, ...]:
    """pyperf check's warnings on the case's times and on its reference's."""
    if result is None:
        return ()
    found = stability.unstable([values for values, _, _ in process_slices(result)])
    if result.paired:
        found += tuple(f"reference: {w}" for w in stability.unstable(
            [values for values, _, _ in process_slices(result, "reference")]))
    return found


def flags(record: Record, result: CaseResult | None, row: VerdictRow) -> tuple[Flag, ...]:
    """Every reason to doubt this number, each in words (the columns of other issues when present)."""
    found = []
    if record.get("ceiling") and record.get("speedup") and float(record["speedup"]) > float(record["ceiling"]):
        found.append(Flag("ceiling", str(record.get("ceiling_note") or
                                         f"above the measured ceiling x{float(record['ceiling']):.3g}: "
                                         "the ceiling reading was noisy or the machine moved")))
    if record.get("disturbed"):
        share = record.get("foreign_cpu_share")
        found.append(Flag("disturbed", "disturbed: another process held a core during this case"
                          + (f" ({float(share):.0%} of the case's CPU time)" if share is not None else "")))
    warnings = _unstable(result)
    if warnings:
        more = f" and {len(warnings) - 1} more" if len(warnings) > 1 else ""
        found.append(Flag("unstable", f"unstable times (pyperf check): {warnings[0]}{more}"))
    layout = [f"{key.replace('_', ' ')}: {value}" for key, value in record.items()
              if any(word in key for word in ("smt", "numa", "topology")) and value not in (None, "", False, 0)]
    if layout:  # where the run recorded the machine's topology: cores that share a core or span nodes
        found.append(Flag("ceiling", "; ".join(layout)))
    decided = getattr(row, "decided", record.get("decided"))
    if decided is False:
        found.append(Flag("undecided", "not decided: the race between the leading strategies did not settle"))
    return tuple(found)


def sure(row: VerdictRow, rows: Sequence[Record], cases: Mapping[str, CaseResult]) -> Sure | None:
    """What the verdict's best case rests on (None without a best case)."""
    record = best_record(row, rows)
    if record is None:
        return None
    result = cases.get(str(record.get("key")))
    serial = stats.median(result.reference) if result is not None and result.paired else None
    if serial is None and record.get("median_s") and record.get("speedup"):
        serial = float(record["median_s"]) * float(record["speedup"])
    ideal = ideal_of(record)
    return Sure(n_pairs=int(record.get("n_pairs") or 0), stop=_stop(record.get("stop_reason")),
                serial_s=serial, parallel_s=record.get("median_s"), ideal=ideal,
                of_ideal=float(record["speedup"]) / ideal if ideal else None,
                low_of_ideal=(float(record["speedup_ci_low"]) / ideal
                              if ideal and record.get("speedup_ci_low") else None),
                mode_note=mode_note(record, rows), flags=flags(record, result, row))


def near_ideal_words(found: Sure | None) -> str:
    """The reading that replaces a loss breakdown when the case is surely at its ideal, its whole
    interval within 10 % of it (else ''): a loss there is the ideal's own (sleep's idle cores)."""
    if found is None or found.of_ideal is None or found.ideal is None or found.low_of_ideal is None \
            or found.low_of_ideal < NEAR_IDEAL:
        return ""
    return (f"At {found.of_ideal:.0%} of its own ideal (x{found.ideal:.3g}): nothing measurable is lost "
            "to overhead, waiting or idle cores.")


def pyperf_check_counts(cases: Sequence[CaseResult]) -> tuple[int, int, int]:
    """(benchmarks `pyperf check` calls unstable, those it says need more samples, all benchmarks)."""
    unstable = few = total = 0
    for result in cases:
        for arm, has in (("case", result.values), ("reference", result.reference)):
            if not has:
                continue
            slices = [values for values, _, _ in process_slices(result, arm)]
            total += 1
            if stability.unstable(slices):
                unstable += 1
            elif stability.too_few_processes(slices):
                few += 1
    return unstable, few, total
