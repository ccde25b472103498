"""One `bench run` as a plain Python call: a typed, frozen request in, the results out.

    from bench.execute.session import RunRequest, run_matrix
    results = run_matrix(RunRequest(workloads=("sleep",), strategies=("serial", "threads"), cores=(1,),
                                    modes=("warm",), sets=("sleep.n=2", "sleep.seconds=0.01"), calibrate=False))

Why it is apart from the command line (asv's layout): ``bench.cli.run`` only turns
its arguments into a ``RunRequest`` and picks the exit code, so scripts and
tests drive a run without an argparse Namespace, and `bench ab` builds its sides
from the same request and the same matrix rules instead of re-parsing `bench run`.

The request's defaults are the command line's.  Bad input raises BenchError
(one line; the CLI prints it and exits 2).  The run prints what the command
always printed on stderr while it works (skipped names, calibration, progress);
the summary and the exit code are the caller's.
"""
from __future__ import annotations

import datetime as _dt
import math
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench import output_file, registry, storage
from bench.analysis.budget import parse_duration
from bench.execute import interrupts, resume
from bench.execute import pythons as interpreters
from bench.execute.matrix import MatrixSpec, build_cases, machine_cores, parse_sets
from bench.execute.runner import BUDGETS, PLANS, PROCESSES, Runner, RunSettings
from bench.machine import topology
from bench.measure.metadata import machine_metadata
from bench.model import MODES, PROFILES, BenchError, Case, Workload

__all__ = ["Interrupted", "ResolvedMatrix", "RunRequest", "default_output", "import_plugins", "output_path",
           "resolve_matrix", "run_config", "run_matrix", "spec_from_config", "start_method_axis",
           "workloads_of"]


def _calibrate_by_default() -> bool:
    """As `bench run`: calibrate unless BENCH_NO_CALIBRATE is set (read when the request is made, as argparse does)."""
    return not os.environ.get("BENCH_NO_CALIBRATE")


@dataclass(frozen=True)
class RunRequest:
    """Every option of `bench run`, typed, with its defaults.

    ``None`` in a name list means what the option's absence means on the command
    line (every available workload, the default strategies, 1, 2, 4, ... cores,
    the platform's start method); an empty tuple means the option named nothing,
    which is refused as the command line refuses it.
    """

    workloads: tuple[str, ...] | None = None
    strategies: tuple[str, ...] | None = None
    cores: tuple[int, ...] | None = None
    workers: tuple[int, ...] = ()  # (): one per core; 2x for I/O work
    modes: tuple[str, ...] = MODES
    start_methods: tuple[str, ...] | None = None
    sets: tuple[str, ...] = ()  # "WORKLOAD.PARAM=VALUE"; a later item wins
    profile: str = "quick"
    workload_modules: tuple[str, ...] = ()
    strategy_modules: tuple[str, ...] = ()
    pythons: tuple[str, ...] | None = None  # paths or versions like "3.12"
    scheduler: str | None = None  # tcp://HOST:PORT of a dask cluster
    thread_limits: bool = True
    output: Path | None = None  # None: results/run-DATE.json
    timeout: float = 120.0
    processes: int | None = None  # fresh case processes per parallel case (None: the profile's, runner.PROCESSES)
    resume: Path | None = None  # continue the run stored in this file (its settings win)
    force: bool = False
    progress: bool = True
    calibrate: bool = field(default_factory=_calibrate_by_default)
    strict: bool = False  # for the caller's exit code: any failed case counts
    task: str | None = None  # MODULE:FUNCTION measured as a workload
    inputs: str | None = None  # MODULE:FUNCTION, a JSON list file or a text file
    bound: str | None = None
    name: str | None = None
    #: seconds the whole run may take, calibration included (bench run --budget); None: no budget;
    #: "profile": the profile's default (runner.BUDGETS: the quick matrix fits `make bench` in 3 minutes)
    budget: float | str | None = "profile"
    #: add each parallel case's one-worker one-core twin where the matrix lacks it (single_worker_speedup);
    #: `bench run --no-single-worker` measures the matrix as asked, and `bench ab` never adds them
    single_worker: bool = True


@dataclass(frozen=True)
class ResolvedMatrix:
    """A request checked against this machine and the registry: what `bench run` and `bench ab` measure."""

    spec: MatrixSpec
    skipped: list[dict[str, str]]
    interpreters: list[interpreters.Interpreter]


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the run after what it measured was saved.

    A KeyboardInterrupt still, so a script stops as usual; it carries what the
    command line's message says (how many cases were kept, and where).
    """

    def __init__(self, kept: int, outputs: Sequence[Path]) -> None:
        super().__init__(kept, tuple(outputs))
        self.kept, self.outputs = kept, tuple(outputs)


# ------------------------------------------------------------ choosing what to run

def _choose(requested: Sequence[str] | None, defaults: list[str], lookup: Callable[[str], Any],
            kind: str) -> tuple[list[str], list[dict[str, str]]]:
    """Names to run and names skipped (with why). Explicitly requested + unavailable = error."""
    names = list(dict.fromkeys(requested)) if requested is not None else defaults
    if requested is not None and not names:
        raise BenchError(f"--{kind}s names nothing")
    chosen: list[str] = []
    skipped: list[dict[str, str]] = []
    for name in names:
        reason = lookup(name).unavailable_reason()
        if reason and requested is not None:
            raise BenchError(f"{kind} {name!r} is unavailable here: {reason}")
        if reason:
            skipped.append({kind: name, "reason": reason})
        else:
            chosen.append(name)
    return chosen, skipped


def _cores(requested: Sequence[int] | None, available: int) -> list[int]:
    if requested is None:
        return machine_cores(topology.current())
    if not requested:
        raise BenchError("--cores names nothing")
    cores = _positive(requested, "--cores")
    if cores[-1] > available:
        raise BenchError(f"--cores {cores[-1]} is more than the {available} CPUs in this process's affinity mask")
    return cores


def _positive(values: Sequence[int], what: str) -> list[int]:
    """Sorted, each once; the command line parses these already, a Python caller gets the same refusal."""
    if any(not isinstance(v, int) or v < 1 for v in values):
        raise BenchError(f"{what} wants comma-separated positive integers, got {','.join(map(str, values))!r}")
    return sorted(set(values))


def _start_methods(requested: Sequence[str] | None) -> list[str | None]:
    if requested is None:
        return [None]
    known = multiprocessing.get_all_start_methods()
    for method in requested:
        if method not in known:
            raise BenchError(f"unknown start method {method!r}; known here: {', '.join(known)}")
    return list(dict.fromkeys(requested))


def _modes(requested: Sequence[str]) -> list[str]:
    for mode in requested:
        if mode not in MODES:
            raise BenchError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
    if not requested:
        raise BenchError("--modes names nothing")
    return list(dict.fromkeys(requested))


def _profile(profile: str) -> str:
    if profile not in PROFILES:
        raise BenchError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    return profile


def resolve_matrix(request: RunRequest) -> ResolvedMatrix:
    """The matrix the request names, checked in the order `bench run` always checked it."""
    overrides = parse_sets(request.sets)
    workloads, skipped_w = _choose(request.workloads, registry.workload_names(), registry.get_workload, "workload")
    found = _interpreters(request)
    strategies, skipped_s = _choose(request.strategies, list(registry.DEFAULT_STRATEGIES),
                                    _strategy_lookup(found), "strategy")
    _check_scheduler(request.scheduler, strategies)
    spec = MatrixSpec(
        workloads=workloads, strategies=strategies,
        cores=_cores(request.cores, len(os.sched_getaffinity(0))), workers=_positive(request.workers, "--workers"),
        modes=_modes(request.modes), start_methods=_start_methods(request.start_methods),
        pythons=[i.path for i in found] or [None], overrides=overrides, profile=_profile(request.profile),
        single_worker=request.single_worker,
    )
    return ResolvedMatrix(spec=spec, skipped=skipped_w + skipped_s, interpreters=found)


def _interpreters(request: RunRequest) -> list[interpreters.Interpreter]:
    """The requested interpreters, probed; each also says which of the strategies it can run."""
    if request.pythons is None:
        return []
    names = list(request.strategies) if request.strategies is not None else list(registry.DEFAULT_STRATEGIES)
    for name in names:
        registry.get_strategy(name)  # unknown names fail here, with the known ones
    return interpreters.resolve_all(",".join(request.pythons), names)


class _Availability:
    def __init__(self, reason: str | None) -> None:
        self.reason = reason

    def unavailable_reason(self) -> str | None:
        return self.reason


def _strategy_lookup(found: list[interpreters.Interpreter]) -> Callable[[str], Any]:
    """Under --python a strategy is available when one of the interpreters can run it."""
    if not found:
        return registry.get_strategy
    return lambda name: _Availability(interpreters.availability(found, name))


def _check_scheduler(address: str | None, strategies: list[str]) -> None:
    if address is None:
        return
    if not re.match(r"^[a-z]+://\S+:\d+$", address):
        raise BenchError(f"--scheduler wants an address like tcp://HOST:PORT, got {address!r}")
    if "dask-distributed" not in strategies:
        raise BenchError("--scheduler is for strategy dask-distributed; add it to --strategies")
    _reachable(address)


def _reachable(address: str) -> None:
    """Fail now, in one line, rather than once per case after a connect timeout."""
    import socket

    host, _, port = address.split("://", 1)[1].rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise BenchError(f"--scheduler {address}: cannot connect ({exc.strerror or exc})") from None


def start_method_axis(strategies: list[str], scheduler: str | None) -> dict[str, bool]:
    """Which strategies are crossed with --start-methods (loky, ray, an external cluster: not)."""
    axis = {}
    for name in strategies:
        cls = registry.get_strategy(name)
        honours = getattr(cls, "honours_start_method", None)
        axis[name] = bool(honours(scheduler)) if honours else cls.uses_processes
    return axis


# ------------------------------------------------------------ the run's configuration (what --resume reads)

def run_config(matrix: ResolvedMatrix, request: RunRequest) -> dict[str, Any]:
    """The ``config`` section of a results file: everything --resume needs to carry on alike."""
    spec = matrix.spec
    return {"workloads": list(spec.workloads), "strategies": list(spec.strategies),
            "cores": list(spec.cores), "workers": list(spec.workers), "modes": list(spec.modes),
            "start_methods": list(spec.start_methods), "overrides": {k: dict(v) for k, v in spec.overrides.items()},
            "profile": spec.profile, "timeout": request.timeout, "tasks_per_core": spec.tasks_per_core,
            "single_worker": spec.single_worker, "twins_on_demand": twins_on_demand(request),
            "processes": processes_of(request, spec.profile),
            "workload_modules": list(request.workload_modules),
            "strategy_modules": list(request.strategy_modules),
            "pythons": list(spec.pythons), "scheduler": request.scheduler, "thread_limits": request.thread_limits,
            "python_labels": {i.path: i.label for i in matrix.interpreters},
            "python_unavailable": interpreters.unavailable_pairs(matrix.interpreters),
            "argv": " ".join(sys.argv[1:]),
            # the run's time budget; a budgeted run adds its account (planned, spent, pace, cut) at the end
            "budget": {"budget_s": budget_of(request, spec.profile)}}


def twins_on_demand(request: RunRequest) -> bool:
    """Whether a budgeted run measures the one-core one-worker twins only for the verdict's contenders: the twins
    `bench run` adds (``single_worker``) and the default core counts' one-core cases, not a ``--cores`` that names 1
    (the known-truth runs ask for their one-core cases: each is a check)."""
    return request.single_worker and (request.cores is None or 1 not in request.cores)


def spec_from_config(config: dict[str, Any]) -> MatrixSpec:
    try:
        return MatrixSpec(workloads=config["workloads"], strategies=config["strategies"], cores=config["cores"],
                          workers=config["workers"], modes=config["modes"],
                          start_methods=config["start_methods"], overrides=config["overrides"],
                          pythons=config.get("pythons", [None]), profile=config["profile"],
                          tasks_per_core=int(config.get("tasks_per_core", 0)),  # 0: a file from before the rule
                          single_worker=bool(config.get("single_worker", False)))  # absent: as it was measured
    except (KeyError, TypeError) as exc:
        raise BenchError(f"cannot resume: run configuration is incomplete ({exc})") from None


def _resumed(request: RunRequest, config: dict[str, Any]) -> RunRequest:
    """A resumed run keeps the settings it was started with, not today's defaults."""
    return replace(request, timeout=config.get("timeout", request.timeout), processes=int(config.get("processes", 1)),
                   workload_modules=tuple(config.get("workload_modules", [])),
                   strategy_modules=tuple(config.get("strategy_modules", [])),
                   scheduler=config.get("scheduler"), thread_limits=bool(config.get("thread_limits", True)))


def _with_task(request: RunRequest) -> RunRequest:
    """--task/--inputs: the function becomes one more workload, by a module entry --resume can rebuild."""
    if not (request.task or request.inputs or request.bound or request.name):
        return request
    from bench.api import task_entry

    entry, name = task_entry(request.task, request.inputs, request.name, request.bound)
    return replace(request, workload_modules=(*request.workload_modules, entry),
                   workloads=(*request.workloads, name) if request.workloads else (name,))


# ------------------------------------------------------------ running

def default_output() -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"run-{stamp}.json"


def output_path(request: RunRequest) -> Path:
    """Where the run writes: the resumed file, -o, or a new dated file (fix ``output`` to know it beforehand)."""
    if request.resume:
        return Path(request.resume)
    return Path(request.output) if request.output else default_output()


def import_plugins(workload_modules: Sequence[str], strategy_modules: Sequence[str]) -> None:
    for module in workload_modules:
        registry.import_workload_module(module)
    for module in strategy_modules:
        registry.import_strategy_module(module)


def workloads_of(spec: MatrixSpec) -> dict[str, Workload]:
    return {name: registry.get_workload(name) for name in spec.workloads}


def _prepare(request: RunRequest) -> tuple[RunRequest, MatrixSpec, storage.ResultSet]:
    """The request as it will run (a resumed file's settings, a task's workload), its matrix, its results."""
    if request.resume:
        results = storage.load(request.resume)
        resume.check(request, results.config, request.resume)
        request = _resumed(request, results.config)
        import_plugins(request.workload_modules, request.strategy_modules)
        return request, spec_from_config(results.config), results
    request = _with_task(request)
    import_plugins(request.workload_modules, request.strategy_modules)
    matrix = resolve_matrix(request)
    machine = {**machine_metadata(), **topology.metadata(topology.current())}
    results = storage.ResultSet(metadata=machine, config=run_config(matrix, request),
                                skipped=matrix.skipped)
    return request, matrix.spec, results


def _cases(spec: MatrixSpec, workloads: dict[str, Workload], results: storage.ResultSet,
           scheduler: str | None) -> list[Case]:
    """The matrix's cases that can run here; the others join ``results.skipped``."""
    cases = build_cases(spec, workloads, start_method_axis(list(spec.strategies), scheduler))
    cases, skipped = interpreters.drop_unavailable(cases, results.config.get("python_unavailable", {}))
    results.skipped += [item for item in skipped if item not in results.skipped]
    if not cases:
        raise BenchError("nothing to run: no available workload was selected")
    return cases


def _check_timeout(timeout: float) -> None:
    """The command line refuses these already (0, negative, nan, inf would fail every case)."""
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise BenchError(f"timeout wants a finite number of seconds above 0, got {timeout!r}")


#: more fresh case processes per case than this only multiplies start-up (each gets its own warm-ups); `bench ab
#: --base` takes up to this many, since its comparison's interval is over them (``ab_gate.GATE_PROCESSES``)
MAX_PROCESSES = 20


def processes_of(request: RunRequest, profile: str) -> int:
    """Fresh case processes per parallel case: the request's, else the profile's."""
    return request.processes or PROCESSES[profile]


def _check_processes(processes: int | None) -> None:
    if processes is None:
        return
    if not (isinstance(processes, int) and not isinstance(processes, bool) and 1 <= processes <= MAX_PROCESSES):
        raise BenchError(f"--processes wants a whole number from 1 to {MAX_PROCESSES}, got {processes!r}")


def run_matrix(request: RunRequest) -> storage.ResultSet:
    """Measure the requested matrix (or continue ``request.resume``), saving after every case.

    Calibrates the machine before and after unless ``calibrate`` is off. Raises
    BenchError for bad input and Interrupted (what was measured is saved) on
    Ctrl-C or SIGTERM. Failed cases are results, not errors: see ``CaseResult.ok``.
    It runs in this process, from its main thread: while it runs the process is a
    child subreaper with its own SIGINT/SIGTERM handlers, and it kills any
    descendant it did not find at the start (``bench.run`` keeps a notebook's own
    process out of that by running the matrix in a child).
    """
    started = time.monotonic()  # the budget counts from here: calibration and probes are inside it
    _check_timeout(request.timeout)
    _check_processes(request.processes)
    request, spec, results = _prepare(request)
    workloads = workloads_of(spec)
    cases = _cases(spec, workloads, results, request.scheduler)
    output = output_path(request)
    settings = replace(_settings(request, spec, output), budget_s=budget_of(request, spec.profile), started=started,
                       twins_on_demand=bool(results.config.get("twins_on_demand", False)))  # a resumed run: its own
    output_file.check_writable(output, "--resume" if request.resume else "-o")
    with output_file.locked(output):
        if not request.resume:
            output_file.refuse_overwrite(output, request.force)
        for item in results.skipped:
            print(f"bench: skipped {item}", file=sys.stderr)
        _measure(request.calibrate, spec, results, settings, workloads, cases)
    return results


def budget_of(request: RunRequest, profile: str) -> float | None:
    """The run's budget in seconds: the request's, the profile's default, or None (no budget)."""
    budget = BUDGETS[profile] if request.budget == "profile" else request.budget
    if isinstance(budget, str):
        return parse_duration(budget)
    if budget is not None and not (isinstance(budget, (int, float)) and math.isfinite(budget) and budget > 0):
        raise BenchError(f"budget wants seconds above 0 or None, got {budget!r}")
    return None if budget is None else float(budget)


def _settings(request: RunRequest, spec: MatrixSpec, output: Path) -> RunSettings:
    return RunSettings(output=output, plan=PLANS[spec.profile], timeout=request.timeout,
                       processes=processes_of(request, spec.profile),
                       workload_modules=request.workload_modules, strategy_modules=request.strategy_modules,
                       progress=request.progress, scheduler=request.scheduler, thread_limits=request.thread_limits)


def _measure(calibrate: bool, spec: MatrixSpec, results: storage.ResultSet, settings: RunSettings,
             workloads: dict[str, Workload], cases: list[Case]) -> None:
    """Calibrate and run the cases; an interruption or a failed save keeps what the file holds."""
    output = settings.output
    try:
        with interrupts.stop_on_signals():
            if calibrate and _calibration_fits(settings.budget_s):
                _calibrate(spec, results, settings)
            Runner(settings, workloads, results).run(cases)
            _calibrate_end(results, spec, settings)
        _raise_if_incomparable(results)
    except KeyboardInterrupt:
        storage.save(results, output)
        raise Interrupted(len(results.cases), [output]) from None
    except storage.SaveError as exc:
        raise BenchError(f"{exc}; {_kept(output)}") from None


def _raise_if_incomparable(results: storage.ResultSet) -> None:
    """A task whose results cannot be fingerprinted is bad input (exit 2), not a failed case."""
    from bench.api import Results

    Results(results).raise_if_incomparable()


def _kept(output: Path) -> str:
    """What is left after a failed save: writes are atomic, so the last good file is intact."""
    if output.exists():
        return f"the file so far is intact; free space or fix the folder, then: bench run --resume {output}"
    return "nothing was saved; free space or fix the folder, then run again"


def _calibration_fits(budget_s: float | None) -> bool:
    """A budget too small for the calibration to be a small part of it skips it, and says so."""
    from bench.analysis import plan

    if plan.calibrates(budget_s):
        return True
    print(f"bench: budget {budget_s:.0f} s: no calibration (before and after, it takes about "
          f"{2 * plan.CALIBRATION_S:.0f} s: the budget goes to the cases; calibrating wants a budget of "
          f"{2 * plan.CALIBRATION_S / plan.CALIBRATION_SHARE:.0f} s or more)", file=sys.stderr)
    return False


def _calibrate(spec: MatrixSpec, results: storage.ResultSet, settings: RunSettings) -> None:
    """The brief calibration (bench.machine.calibrate) before the matrix; a resumed run keeps the one it has."""
    if results.calibration.get("raw"):
        return
    from bench.machine import calibrate, ceiling

    print("bench: calibrating the machine's ceilings (a few seconds; --no-calibrate skips)", file=sys.stderr)
    try:
        results.calibration = calibrate.calibrate(spec.cores, calibrate.BRIEF, cpus=settings.cpus)
    except (calibrate.CalibrationError, OSError) as exc:  # the matrix is still worth running
        results.calibration = {"error": str(exc)}
        print(f"bench: calibration failed, no ceilings in this run: {exc}", file=sys.stderr)
        return
    print(f"bench: {ceiling.headline(results.calibration)}", file=sys.stderr)


def _calibrate_end(results: storage.ResultSet, spec: MatrixSpec, settings: RunSettings) -> None:
    """The same brief calibration after the matrix: did the machine move while it was measured?

    Efficiency against the ceiling then uses the reading nearest each case, and the
    report and `bench compare` say when the two readings differ (bench.machine.drift).
    """
    if not results.calibration.get("raw") or results.calibration.get("end"):
        return
    from bench.machine import calibrate, ceiling

    try:
        results.calibration["end"] = calibrate.calibrate(spec.cores, calibrate.BRIEF, cpus=settings.cpus)
    except (calibrate.CalibrationError, OSError) as exc:
        print(f"bench: calibration after the matrix failed: {exc}", file=sys.stderr)
        return
    storage.save(results, settings.output)
    print(f"bench: after the matrix, {ceiling.headline(results.calibration['end'])}", file=sys.stderr)
