"""Disturbed cases in the tidy table, ``bench explain`` and the verdict: another tenant's share, in words.

Pure: reads what the case process stored (``bench.measure.foreign_load``) and judges it
with ``bench.machine.foreign``.  A verdict whose candidate cases include a disturbed one
does not rest on it: the disturbed case's speed-up measured the neighbour, and the
undisturbed ones cannot say whether it would have won, so the verdict reads "not decided:
machine busy" with the words of the worst case.
"""
from __future__ import annotations

from typing import Any

from bench.analysis.records import Record
from bench.machine import foreign
from bench.model import CaseResult

COLUMNS = ["foreign_cpu_share", "ref_foreign_cpu_share", "disturbed", "disturbed_note", "remeasured"]
NOT_DECIDED = "Not decided: machine busy"


def columns(result: CaseResult) -> dict[str, Any]:
    """The case's foreign shares, whether it is disturbed, that in words, and how often it was redone."""
    load = foreign.of_case(result.metrics, result.metadata)
    return {"foreign_cpu_share": load.case_share, "ref_foreign_cpu_share": load.reference_share,
            "disturbed": load.disturbed, "disturbed_note": foreign.words(load),
            "remeasured": len(result.metadata.get("earlier_attempts") or [])}


def is_disturbed(record: Record) -> bool:
    return record.get("disturbed") is True


def busy_reading(rows: list[Record]) -> str:
    """"Not decided: machine busy (processes warm, 2 workers: another process used ...)." or ''."""
    found = [r for r in rows if is_disturbed(r)]
    if not found:
        return ""
    worst = max(found, key=lambda r: max(r.get("foreign_cpu_share") or 0.0, r.get("ref_foreign_cpu_share") or 0.0))
    more = f"; {len(found) - 1} more case(s) disturbed" if len(found) > 1 else ""
    return (f"{NOT_DECIDED} ({worst['strategy']} {worst['mode']}, {worst['workers']} workers: "
            f"{worst.get('disturbed_note') or 'another process used its cores'}{more}).")


def explain_words(record: Record) -> tuple[str, ...]:
    """The disturbed case's sentence for `bench explain` (first: it overrides every other reading)."""
    if not is_disturbed(record):
        return ()
    again = int(record.get("remeasured") or 0)
    tried = f", still after {again} re-measure(s) when the machine seemed quiet" if again else ""
    note = record.get("disturbed_note") or "another process used its cores during this case"
    return (f"Disturbed: {note}{tried}; this speed-up measured the neighbour as much as the code, "
            "and the verdict does not rest on it.",)


def count(results: list[CaseResult]) -> int:
    """How many cases are still disturbed: for `bench run`'s summary."""
    return sum(1 for r in results if r.ok and foreign.of_case(r.metrics, r.metadata).disturbed)


def summary(results: list[CaseResult]) -> str:
    """", 2 disturbed (another process took their cores: see bench explain), 5 re-measured" or ''."""
    again = sum(1 for r in results if r.metadata.get("earlier_attempts"))
    found = count(results)
    text = f", {found} disturbed (another process used their cores: see bench explain)" if found else ""
    return text + (f", {again} re-measured because another process used their cores" if again else "")
