"""Result files: writing them atomically, loading them with clear errors.

Format history (bump SCHEMA_VERSION and add a migration when it changes)
-------------------------------------------------------------------------
v1 (2026-11)  A valid pyperf JSON 1.0 file: one pyperf benchmark per case that
              measured at least one value, named by ``Case.key``, raw values and
              warm-ups kept, harness fields (``bench_*``) in each run's metadata
              and machine metadata common to all.  A top-level ``bench`` object
              that pyperf ignores holds what pyperf cannot: every case record
              (including failed ones with no values), skipped items with reasons,
              the run configuration, calibration and whether the run completed.
              Values live only in the pyperf part; case records point to it.
v2 (2026-12)  Paired measurement: a parallel case's serial reference cycles, measured
              in rounds with its values, are a second pyperf benchmark named
              ``KEY#reference`` (raw values and warm-ups, pyperf-loadable); the case
              record says ``has_reference``.  Case metadata gains ``stop_reason``,
              ``rounds`` and ``value_starts`` (epoch seconds of each round, the
              machine's speed over the run).  ``calibration`` may hold ``end``: the
              brief calibration repeated after the matrix.  v1 files load unchanged
              (no reference: their speed-ups divide medians measured apart).
              A case shared among fresh processes (``--processes``, default 2) adds
              ``processes`` and ``warmups_skipped`` (the arms whose warm-ups the later
              processes skipped, or ``none``), so its warm-ups may number fewer than
              processes x warm-ups; files without them were measured in one process.
              Such a case also records how its joined values split by process
              (``process_values``, ``process_warmups``, ``process_reference_warmups``),
              and its pyperf benchmark holds one pyperf run per process, as pyperf's
              own worker processes do.  Each pyperf run is dated (``date``, ``duration``)
              from its value stamps, so ``pyperf stats`` spans the run; the top-level
              metadata ``bench_reference_benchmarks`` says how many benchmarks are
              ``#reference`` arms.  Files written before load unchanged.
              Topology (2026-12, no bump: optional fields that older readers ignore):
              machine metadata gains ``topology`` (bench.machine.topology.Topology.to_dict:
              the usable CPUs as [id, core, package, node], pinning order, source
              "sysfs"/"flat: why") and ``cpu_topology`` (its one line, in pyperf's
              metadata too); case metadata gains ``cpu_placement`` (cores, siblings,
              nodes, siblings+nodes, unknown).  Files without them load unchanged:
              the topology reads as not recorded, the placement as ''.  The default
              task count of a cpu-bound workload (at least ``tasks_per_core`` per core
              of the run's largest core count) is in each case's params as before;
              ``config`` gains ``tasks_per_core`` (absent: 0, the declared defaults, so
              an older file resumes with the task counts it was measured with).
              ``config`` gains ``single_worker`` (2026-12, no bump): the run added each
              parallel case's one-worker one-core twin where its matrix lacked it
              (absent: false, so an older file resumes with the cases it had).
              ``config`` gains ``twins_on_demand`` (2026-12, no bump): a budgeted run measured
              the one-core twins after the race, for the verdict's contenders only; the
              others are in ``skipped`` (absent: false, every twin measured in order).
"""
from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, TypeGuard

from bench.model import BenchError, Case, CaseResult
from bench.output_file import write_atomically

SCHEMA_VERSION = 2
REFERENCE_SUFFIX = "#reference"
#: migrations from an older schema to the next one: version -> function(bench_section) -> section
MIGRATIONS: dict[int, Any] = {1: lambda section: {**section, "schema_version": 2}}


@dataclass
class ResultSet:
    """Everything one run produced."""

    metadata: dict[str, Any] = field(default_factory=dict)  # machine + software
    config: dict[str, Any] = field(default_factory=dict)  # how the run was asked for
    cases: list[CaseResult] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    calibration: dict[str, Any] = field(default_factory=dict)
    #: serial result fingerprints per workload instance, what parallel cases must match
    expected: dict[str, list[str]] = field(default_factory=dict)
    complete: bool = False
    #: each case's pyperf benchmarks as pyperf wrote them, so that a save per case is not a
    #: rebuild of every case so far (see ``_pyperf_parts``); never compared, printed or copied
    _pyperf_parts: dict[tuple[int, str, str], tuple[CaseResult, dict[str, Any], list[Any]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def case_keys(self) -> set[str]:
        return {result.case.key for result in self.cases}


# ---------------------------------------------------------------- writing

def _clean_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """pyperf accepts only non-empty one-line str, int or float values."""
    clean = {}
    for key, value in metadata.items():
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, str):
            value = " ".join(value.split())
            if not value:
                continue
        if isinstance(value, (int, float, str)):
            clean[key] = value
    return clean


#: per-task lists longer than this (a task's seconds, the serial results' fingerprints) are stored in
#: summary form: 2 M inputs made an 82 MB file of them
TASK_DATA_CAP = 10_000


def _task_seconds_summary(times: list[Any]) -> dict[str, Any]:
    """What a long ``task_seconds`` list is stored as: enough to say how big and how uneven the tasks were."""
    ordered = sorted(float(t) for t in times)
    return {"n": len(ordered), "total_s": sum(ordered), "max_s": ordered[-1], "median_s": ordered[len(ordered) // 2]}


def stored_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The case metadata as stored: a long ``task_seconds`` list becomes ``task_seconds_summary`` (the case
    process does it before it answers, so 2 M per-task times never cross the pipe)."""
    times = metadata.get("task_seconds")
    if not isinstance(times, list) or len(times) <= TASK_DATA_CAP:
        return dict(metadata)
    kept = {key: value for key, value in metadata.items() if key != "task_seconds"}
    return {**kept, "task_seconds_summary": _task_seconds_summary(times)}


def _stored_expected(results: ResultSet) -> dict[str, Any]:
    """Serial fingerprints; once the run is complete (no resume needs them), long lists as count + digest."""
    if not results.complete:
        return results.expected
    import hashlib

    def one(prints: Any) -> Any:
        if not isinstance(prints, list) or len(prints) <= TASK_DATA_CAP:
            return prints
        return {"n": len(prints), "digest": hashlib.sha256("".join(map(str, prints)).encode()).hexdigest()}
    return {instance: one(prints) for instance, prints in results.expected.items()}


def _case_record(result: CaseResult) -> dict[str, Any]:
    case = result.case
    return {
        "key": case.key, **case.to_dict(),
        "ok": result.ok, "error": result.error, "metrics": dict(result.metrics),
        "metadata": stored_metadata(result.metadata), "has_values": bool(result.values),
        "has_reference": bool(result.reference),
    }


def process_slices(result: CaseResult, arm: str = "case") -> list[tuple[tuple[float, ...], tuple[float, ...],
                                                                       tuple[float, ...]]]:
    """(values, warm-ups, value stamps) of one arm per case process, in the order measured.

    A case shared among fresh processes records how its joined lists split
    (``process_values``, ``process_warmups``, ``process_reference_warmups``); a file
    without them, or whose counts do not add up, is one slice, as it was measured or
    as it can only be read.
    """
    reference = arm == "reference"
    values, warmups = (result.reference, result.reference_warmups) if reference else (result.values, result.warmups)
    meta = result.metadata
    starts = tuple(meta.get("value_starts") or ())
    starts = starts if len(starts) == len(values) else ()
    counts: Any = meta.get("process_values")
    skipped: Any = meta.get("process_reference_warmups" if reference else "process_warmups")
    if not (counts_fit(counts, len(values)) and counts_fit(skipped, len(warmups)) and len(counts) == len(skipped)
            and all(counts)):
        return [(tuple(values), tuple(warmups), starts)]
    slices, v, w = [], 0, 0
    for n, k in zip(counts, skipped):
        slices.append((tuple(values[v:v + n]), tuple(warmups[w:w + k]), starts[v:v + n]))
        v, w = v + n, w + k
    return slices


def counts_fit(counts: Any, total: int) -> TypeGuard[list[int]]:
    """``counts`` is a list of whole numbers >= 0 that add up to ``total``: a recorded split by process that fits."""
    return isinstance(counts, list) and all(isinstance(n, int) and n >= 0 for n in counts) and sum(counts) == total


def _process_dates(values: tuple[float, ...], starts: tuple[float, ...]) -> dict[str, Any]:
    """When one case process measured its values (pyperf's ``date`` and ``duration`` of a run):
    without them pyperf dates every run at the run's start and `pyperf stats` says it lasted seconds."""
    if not starts:
        return {}
    when = datetime.fromtimestamp(min(starts), timezone.utc).isoformat(timespec="seconds")
    return {"date": when, "duration": max(starts) - min(starts) + values[-1]}


def _pyperf_benchmark(result: CaseResult, machine: dict[str, Any], arm: str = "case") -> Any:
    """One case arm as a pyperf benchmark: one pyperf run per case process, each dated."""
    import pyperf

    case = result.case
    name = case.key + (REFERENCE_SUFFIX if arm == "reference" else "")
    metadata = {
        **machine, **result.metadata, "name": name, "bench_workload": case.workload,
        "bench_strategy": case.strategy, "bench_cores": case.cores, "bench_workers": case.workers,
        "bench_mode": case.mode, "bench_ok": result.ok, "bench_error": result.error,
        "bench_schema_version": SCHEMA_VERSION, "bench_arm": arm, "unit": "second",
    }
    runs = [pyperf.Run(values, warmups=[(1, value) for value in warmups] or None,
                       metadata=_clean_metadata({**metadata, **_process_dates(values, starts)}),
                       collect_metadata=False)
            for values, warmups, starts in process_slices(result, arm)]
    return pyperf.Benchmark(runs)


def _pyperf_part(result: CaseResult, machine: dict[str, Any], arm: str) -> tuple[dict[str, Any], list[Any]]:
    """One case arm as pyperf itself writes it alone: (the metadata its runs share, its runs)."""
    import pyperf

    buffer = io.StringIO()
    pyperf.BenchmarkSuite([_pyperf_benchmark(result, machine, arm)]).dump(buffer, compact=True)
    alone = json.loads(buffer.getvalue())
    return alone.get("metadata", {}), alone["benchmarks"][0]["runs"]


def _pyperf_parts(results: ResultSet) -> list[tuple[dict[str, Any], list[Any]]]:
    """Every case arm with values, each built by pyperf once per run and kept on ``results``."""
    machine = json.dumps(results.metadata, sort_keys=True, default=str)
    parts = []
    for result in results.cases:
        for arm, has in (("case", result.values), ("reference", result.reference)):
            if not has:
                continue
            key = (id(result), arm, machine)  # the entry keeps ``result`` alive, so its id is not reused
            if key not in results._pyperf_parts:
                results._pyperf_parts[key] = (result, *_pyperf_part(result, results.metadata, arm))
            parts.append(results._pyperf_parts[key][1:])
    return parts


def _common(metadatas: list[dict[str, Any]]) -> dict[str, Any]:
    """The metadata every benchmark shares, which pyperf writes once at the top (its rule)."""
    common = dict(metadatas[0])
    for metadata in metadatas[1:]:
        common = {key: value for key, value in common.items() if metadata.get(key) == value}
    return common


def _pyperf_json(results: ResultSet) -> dict[str, Any]:
    """The pyperf part of the file, equal to ``pyperf.BenchmarkSuite(...).dump``'s.

    Built from parts that pyperf wrote one case at a time, then joined by pyperf's own rule
    (metadata shared by all benchmarks goes to the top): a suite built anew at every save
    cost 0.15 s a save at the quick matrix's 202 cases and grew with the square of the cases.
    """
    parts = _pyperf_parts(results)
    data: dict[str, Any] = {"version": "1.0", "benchmarks": []}
    if not parts:
        return data
    common = _common([metadata for metadata, _ in parts])
    for metadata, runs in parts:
        own = {key: value for key, value in metadata.items() if key not in common}
        data["benchmarks"].append({"runs": runs, **({"metadata": own} if own else {})})
    references = sum(metadata.get("bench_arm") == "reference" for metadata, _ in parts)
    if references:
        common["bench_reference_benchmarks"] = (
            f"{references} of the {len(parts)} benchmarks, named KEY{REFERENCE_SUFFIX}, are the serial reference "
            "cycles measured in pairs with case KEY, not cases of their own")
    if common:
        data["metadata"] = common
    return data


def to_json(results: ResultSet) -> dict[str, Any]:
    data = _pyperf_json(results)
    data["bench"] = {
        "schema_version": SCHEMA_VERSION, "complete": results.complete,
        "metadata": results.metadata, "config": results.config,
        "cases": [_case_record(r) for r in results.cases],
        "skipped": results.skipped, "calibration": results.calibration,
        "expected": _stored_expected(results),
    }
    return data


class SaveError(BenchError):
    """A results file could not be written (full disk, read-only folder): the environment, not a bug."""

    def __init__(self, path: Path, exc: OSError) -> None:
        from bench.output_file import os_error_text

        super().__init__(f"cannot write {path}: {os_error_text(exc)}")
        self.path = path


def save(results: ResultSet, path: str | Path) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one.

    An OSError becomes SaveError (exit 2, one line); the previous file is intact.
    """
    path = Path(path)
    text = json.dumps(to_json(results), sort_keys=True, separators=(",", ":")) + "\n"
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise SaveError(path, exc) from None


# ---------------------------------------------------------------- loading

def _fail(path: Path, why: str) -> BenchError:
    return BenchError(f"{path}: {why}")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot read: {type(exc).__name__}") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise _fail(path, f"not valid JSON (truncated or corrupt?): {str(exc)[:80]}") from None
    if not isinstance(data, dict):
        raise _fail(path, "not a results file (top level is not an object)")
    return data


def _migrate(path: Path, section: dict[str, Any]) -> dict[str, Any]:
    version = section.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _fail(path, "not a results file of this tool (no schema_version)")
    if version > SCHEMA_VERSION:
        raise _fail(path, f"schema version {version} is newer than this tool's {SCHEMA_VERSION}; upgrade")
    while version < SCHEMA_VERSION:
        if version not in MIGRATIONS:
            raise _fail(path, f"schema version {version} is too old and cannot be migrated")
        section = MIGRATIONS[version](section)
        version = section["schema_version"]
    return section


def _values_by_name(path: Path, data: dict[str, Any]) -> dict[str, tuple[tuple[float, ...], tuple[float, ...]]]:
    """Raw values and warm-ups of each pyperf benchmark, validated by pyperf itself."""
    import pyperf

    if not data.get("benchmarks"):
        return {}
    try:
        suite = pyperf.BenchmarkSuite.loads(json.dumps(data))
    except Exception as exc:  # pyperf raises many types on malformed input
        raise _fail(path, f"malformed pyperf data: {type(exc).__name__}: {str(exc)[:80]}") from None
    found = {}
    for bench in suite.get_benchmarks():
        values = tuple(v for run in bench.get_runs() for v in run.values)
        warmups = tuple(v for run in bench.get_runs() for _, v in (run.warmups or ()))
        found[bench.get_name()] = (values, warmups)
    return found


def _case_from_record(path: Path, record: Any, values: dict[str, Any]) -> CaseResult:
    try:
        case = Case.from_dict(record)
        measured, warmups = values.get(record["key"], ((), ()))
        if record.get("has_values") and not measured:
            raise ValueError(f"values of {record['key']!r} are missing")
        reference, reference_warmups = values.get(record["key"] + REFERENCE_SUFFIX, ((), ()))
        if record.get("has_reference") and not reference:
            raise ValueError(f"reference values of {record['key']!r} are missing")
        _check_finite(path, record["key"], measured, warmups, reference, reference_warmups,
                      tuple(v for v in dict(record.get("metrics", {})).values() if isinstance(v, float)))
        return CaseResult(case=case, values=measured, warmups=warmups, ok=bool(record["ok"]),
                          error=str(record.get("error", "")), metrics=dict(record.get("metrics", {})),
                          metadata=dict(record.get("metadata", {})), reference=reference,
                          reference_warmups=reference_warmups)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _fail(path, f"malformed case record: {type(exc).__name__}: {str(exc)[:80]}") from None


def _check_finite(path: Path, key: str, *series: tuple[float, ...]) -> None:
    """A stored time or metric of Infinity would break every statistic later: refuse it here, naming the case."""
    for values in series:
        bad = next((v for v in values if math.isinf(v)), None)
        if bad is not None:
            raise _fail(path, f"case {key} holds {bad} among its values or metrics (not a time); measure it again")


def load(path: str | Path) -> ResultSet:
    """Load a results file, or raise BenchError with a one-line reason."""
    path = Path(path)
    data = _read_json(path)
    section = data.get("bench")
    if not isinstance(section, dict):
        raise _fail(path, "not a results file of this tool (no 'bench' section)")
    section = _migrate(path, section)
    values = _values_by_name(path, data)
    records = section.get("cases", [])
    if not isinstance(records, list):
        raise _fail(path, "malformed 'cases'")
    return ResultSet(
        metadata=_as_dict(path, section.get("metadata", {}), "metadata"),
        config=_as_dict(path, section.get("config", {}), "config"),
        cases=[_case_from_record(path, record, values) for record in records],
        skipped=list(section.get("skipped", []) or []),
        calibration=_as_dict(path, section.get("calibration", {}) or {}, "calibration"),
        expected=_as_dict(path, section.get("expected", {}) or {}, "expected"),
        complete=bool(section.get("complete", False)),
    )


def _as_dict(path: Path, value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, f"malformed {what!r}")
    return value
