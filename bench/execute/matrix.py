"""Building the matrix of cases from what the user asked for.  Pure: no I/O."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

from bench.model import MODES, BenchError, Case, Param, ParamValue, Workload

_SET_PATTERN = re.compile(r"^([A-Za-z_][\w-]*)\.([A-Za-z_]\w*)=(.+)$")


@dataclass(frozen=True)
class MatrixSpec:
    workloads: Sequence[str]
    strategies: Sequence[str]
    cores: Sequence[int]
    workers: Sequence[int] = ()  # empty: the default per workload and core count
    modes: Sequence[str] = MODES
    start_methods: Sequence[str | None] = (None,)
    pythons: Sequence[str | None] = (None,)
    overrides: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    profile: str = "quick"


def parse_sets(items: Sequence[str]) -> dict[str, dict[str, str]]:
    """'fib.k=25' -> {'fib': {'k': '25'}}; malformed items raise BenchError."""
    parsed: dict[str, dict[str, str]] = {}
    for item in items:
        match = _SET_PATTERN.match(item.strip())
        if not match:
            raise BenchError(f"--set wants WORKLOAD.PARAM=VALUE, got {item!r}")
        workload, param, value = match.groups()
        parsed.setdefault(workload, {})[param] = value.strip()
    return parsed


def parse_int_list(text: str, what: str) -> list[int]:
    """'1,2,4' -> [1, 2, 4]; each must be a positive integer."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise BenchError(f"{what} wants comma-separated positive integers, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise BenchError(f"{what} wants comma-separated positive integers, got {text!r}")
    return sorted(set(values))


def parse_name_list(text: str) -> list[str]:
    """'a, b,a' -> ['a', 'b']: a name given twice is one case, not two with the same key."""
    return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def default_cores(available: int) -> list[int]:
    """1, 2, 4, ... up to the CPUs available, plus that number itself."""
    cores, n = [], 1
    while n <= available:
        cores.append(n)
        n *= 2
    if cores[-1] != available:
        cores.append(available)
    return cores


def default_workers(workload: Workload, cores: int) -> list[int]:
    """One worker per core; I/O-latency work is also tried oversubscribed (2 per core)."""
    return [cores, 2 * cores] if workload.bound == "io-latency" else [cores]


def resolve_params(workload: Workload, profile: str,
                   overrides: Mapping[str, str]) -> tuple[tuple[str, ParamValue], ...]:
    by_name: dict[str, Param] = {p.name: p for p in workload.params}
    unknown = sorted(set(overrides) - set(by_name))
    if unknown:
        known = ", ".join(by_name) or "(none)"
        raise BenchError(f"workload {workload.name!r} has no parameter {unknown[0]!r}; known: {known}")
    values = {name: p.default(profile) for name, p in by_name.items()}
    for name, text in overrides.items():
        values[name] = by_name[name].parse(text)
    return tuple(sorted(values.items()))


def build_cases(spec: MatrixSpec, workloads: Mapping[str, Workload], uses_processes: Mapping[str, bool]) -> list[Case]:
    """Every case in run order: per core count and workload, serial first."""
    unknown = sorted(set(spec.overrides) - set(spec.workloads))
    if unknown:
        raise BenchError(f"--set names workload {unknown[0]!r}, which is not in this run")
    cases: list[Case] = []
    for python in spec.pythons:
        for cores in spec.cores:
            for name in spec.workloads:
                cases += _cases_for(spec, workloads[name], cores, python, uses_processes)
    # the same case twice (two spellings of one interpreter, a resumed file's repeated
    # names) would be measured twice and stored under one key: keep the first
    return list(dict.fromkeys(cases))


def _cases_for(spec: MatrixSpec, workload: Workload, cores: int, python: str | None,
               uses_processes: Mapping[str, bool]) -> list[Case]:
    params = resolve_params(workload, spec.profile, spec.overrides.get(workload.name, {}))
    serial = Case(workload=workload.name, params=params, strategy="serial", cores=cores, workers=1, mode="warm",
                  python=python)
    cases = [serial]
    for strategy in spec.strategies:
        if strategy == "serial":
            continue
        methods = spec.start_methods if uses_processes[strategy] else (None,)
        for workers in spec.workers or default_workers(workload, cores):
            for method in methods:
                for mode in spec.modes:
                    cases.append(replace(serial, strategy=strategy, workers=workers, mode=mode,
                                         start_method=method))
    return cases
