"""Building the matrix of cases from what the user asked for.  Pure: no I/O."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

from bench.machine.topology import Topology
from bench.model import MODES, BenchError, Case, Param, ParamValue, Workload

_SET_PATTERN = re.compile(r"^([A-Za-z_][\w-]*)\.([A-Za-z_]\w*)=(.+)$")
#: at most this many default core counts: every point costs a full set of cases
MAX_CORE_POINTS = 6
#: CPU-bound workloads get at least this many tasks per core at the run's largest core count by default,
#: so the task count is not what caps the speed-up (the task-size bound stays the check)
TASKS_PER_CORE = 4


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
    #: a cpu-bound workload's default task count is at least this many per core of max(cores); 0: as declared
    #: (a results file from before the rule, resumed, keeps the task counts it was measured with)
    tasks_per_core: int = TASKS_PER_CORE
    #: add, where the matrix lacks it, each parallel case's twin: the same strategy and mode with one worker on
    #: one core (and its serial baseline), which ``single_worker_speedup`` reads (`bench run`; not `bench ab`)
    single_worker: bool = False


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


def default_cores(available: int, physical: int | None = None, max_points: int = MAX_CORE_POINTS) -> list[int]:
    """1, 2, 4, ... up to the CPUs available, that number itself, and ``physical`` (the physical cores where
    SMT makes the CPUs more), at most ``max_points``: 1, 2, the physical cores and the CPUs are kept, and the
    powers of two between are thinned evenly."""
    powers, n = [], 1
    while n <= available:
        powers.append(n)
        n *= 2
    keep = {1, min(2, available), available}
    if physical and physical < available:
        keep.add(physical)
    between = [k for k in powers if k not in keep]
    slots = max(0, max_points - len(keep))
    if len(between) > slots:
        step = (len(between) + 1) / (slots + 1)  # evenly spaced on the doublings, rounded half up
        between = [between[int((i + 1) * step + 0.5) - 1] for i in range(slots)]
    return sorted(keep | set(between))


def machine_cores(topology: Topology) -> list[int]:
    """The default core counts of a machine (this one's or ``topology.synthetic``'s)."""
    return default_cores(len(topology.cpus), topology.physical_cores if topology.smt else None)


def default_task_count(default: int, max_cores: int, per_core: int = TASKS_PER_CORE) -> int:
    """A CPU-bound workload's default task count for a run whose largest core count is ``max_cores``."""
    return max(default, per_core * max_cores)


def default_workers(workload: Workload, cores: int) -> list[int]:
    """One worker per core; I/O-latency work is also tried oversubscribed (2 per core)."""
    return [cores, 2 * cores] if workload.bound == "io-latency" else [cores]


def resolve_params(workload: Workload, profile: str, overrides: Mapping[str, str], max_cores: int = 1,
                   tasks_per_core: int = TASKS_PER_CORE) -> tuple[tuple[str, ParamValue], ...]:
    """The workload's parameters: profile defaults, its task count grown for ``max_cores``, then --set."""
    by_name: dict[str, Param] = {p.name: p for p in workload.params}
    unknown = sorted(set(overrides) - set(by_name))
    if unknown:
        known = ", ".join(by_name) or "(none)"
        raise BenchError(f"workload {workload.name!r} has no parameter {unknown[0]!r}; known: {known}")
    values = {name: p.default(profile) for name, p in by_name.items()}
    scaled = getattr(workload, "task_count_param", None)
    if scaled in values and workload.bound == "cpu":
        values[scaled] = default_task_count(int(values[scaled]), max_cores, tasks_per_core)
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
    if spec.single_worker:
        cases = _with_twins(cases)
    # the same case twice (two spellings of one interpreter, a resumed file's repeated
    # names) would be measured twice and stored under one key: keep the first
    return list(dict.fromkeys(cases))


def _with_twins(cases: list[Case]) -> list[Case]:
    """``cases`` with their missing twins: right after their one-core serial case where the matrix has it,
    else first (with their own serial case before them), as one-core cases run first."""
    pending: dict[tuple[object, ...], list[Case]] = {}
    for twin in single_worker_twins(cases):
        pending.setdefault((twin.python, twin.workload, twin.params), []).append(twin)
    placed: list[Case] = []
    for case in cases:
        placed.append(case)
        if case.is_serial and case.cores == 1:
            placed += pending.pop((case.python, case.workload, case.params), [])
    return [twin for twins in pending.values() for twin in twins] + placed


def single_worker_twins(cases: Sequence[Case]) -> list[Case]:
    """The one-worker one-core cases the parallel ones lack (each with its serial baseline), in run order.

    ``--cores 2`` alone, or ``--workers 2``, measures no case that says how much of a speed-up is not
    parallelism (bench.analysis.single_worker); these cases do, and run first, as one-core cases do.
    """
    have = set(cases)
    twins: list[Case] = []
    for case in cases:
        twin = case.single_worker
        if case.is_serial or twin == case:
            continue
        twins += [c for c in (twin.serial_baseline, twin) if c not in have]
    return list(dict.fromkeys(twins))


def _cases_for(spec: MatrixSpec, workload: Workload, cores: int, python: str | None,
               uses_processes: Mapping[str, bool]) -> list[Case]:
    params = resolve_params(workload, spec.profile, spec.overrides.get(workload.name, {}), max(spec.cores),
                            spec.tasks_per_core)
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
