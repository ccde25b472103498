"""Keeping the report's memory and page size bounded whatever the results file holds.  Pure.

A results file is data from elsewhere: a case's error or metadata can hold a
megabyte string, and a run can hold tens of thousands of cases.  Every string
shown is cut to MAX_STRING characters, and the raw table (and its CSV
download) holds at most MAX_ROWS cases; each cut is said on the page and on
stderr, and ``bench table`` still prints everything.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from bench.model import CaseResult
from bench.storage import ResultSet

#: characters kept of any one string shown (an error, a metadata value, a configuration entry)
MAX_STRING = 400
#: rows of the raw table and of its CSV download
MAX_ROWS = 2000


def cut(value: Any, limit: int = MAX_STRING) -> Any:
    """A string longer than ``limit`` shortened, saying by how much; anything else as it is."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}... ({len(value) - limit} more characters cut)"
    return value


def _cut_all(mapping: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Every value cut (nested containers become their cut text); how many were cut."""
    kept, cuts = {}, 0
    for key, original in mapping.items():
        value = cut(_cut_container(original) if isinstance(original, (dict, list, tuple)) else original)
        kept[str(cut(key))] = value
        cuts += value is not original
    return kept, cuts


def _cut_container(value: Any) -> Any:
    """Small containers pass; one whose text is long is replaced by its cut text."""
    text = str(value)
    return cut(text) if len(text) > MAX_STRING else value


def _bounded_case(result: CaseResult) -> tuple[CaseResult, int]:
    metadata, cuts = _cut_all(dict(result.metadata))
    error = cut(result.error)
    return dataclasses.replace(result, error=error, metadata=metadata), cuts + (error is not result.error)


def bounded(results: ResultSet) -> tuple[ResultSet, list[str]]:
    """The results with every long string cut, and one note per kind of cut (empty when none)."""
    cases, cuts = [], 0
    for result in results.cases:
        kept, count = _bounded_case(result)
        cases.append(kept)
        cuts += count
    metadata, meta_cuts = _cut_all(results.metadata)
    config, config_cuts = _cut_all(results.config)
    skipped = [_cut_all(item)[0] for item in results.skipped]
    notes = []
    if cuts + meta_cuts + config_cuts:
        notes.append(f"{cuts + meta_cuts + config_cuts} strings longer than {MAX_STRING} characters were cut "
                     "(bench table prints them whole)")
    if len(cases) > MAX_ROWS:
        notes.append(f"the raw table and its CSV show the first {MAX_ROWS} of {len(cases)} cases "
                     "(bench table --format csv prints all)")
    return dataclasses.replace(results, cases=cases, metadata=metadata, config=config, skipped=skipped), notes
