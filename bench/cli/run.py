"""`bench run`: measure the matrix and write a results file after every case."""
from __future__ import annotations

import argparse
import datetime as _dt
import math
import multiprocessing
import os
import re
import sys
from pathlib import Path
from typing import Any

from bench.execute import interrupts, pythons as interpreters

from bench import output_file, registry, storage
from bench.execute.matrix import (MatrixSpec, build_cases, default_cores, parse_int_list, parse_name_list,
                          parse_sets)
from bench.measure.metadata import machine_metadata
from bench.model import MODES, PROFILES, BenchError
from bench.execute.runner import PLANS, RunSettings, Runner


def add_matrix_arguments(p: argparse.ArgumentParser, set_help: str) -> None:
    """The options that choose the matrix; `bench ab` takes the same ones."""
    p.add_argument("--workloads", help="comma-separated workload names (default: all available)")
    p.add_argument("--strategies", help="comma-separated strategy names (default: the standard nine)")
    p.add_argument("--cores", help="comma-separated core counts (default: 1,2,4,... up to the affinity mask)")
    p.add_argument("--workers", help="comma-separated worker counts (default: one per core; 2x for I/O work)")
    p.add_argument("--modes", default="cold,warm", help="cold, warm or both (default: cold,warm)")
    p.add_argument("--start-methods", help="fork,spawn,forkserver for process strategies (default: the platform's)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="WORKLOAD.PARAM=VALUE",
                   help=set_help)
    p.add_argument("--profile", choices=PROFILES, default="quick")
    p.add_argument("--workload-module", action="append", default=[], metavar="MODULE",
                   help="import workloads from this module (repeatable)")
    p.add_argument("--strategy-module", action="append", default=[], metavar="MODULE",
                   help="import strategies from this module (repeatable)")


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("run", help="measure workloads x strategies x cores")
    add_matrix_arguments(p, "override a workload parameter (repeatable)")
    p.add_argument("--python", metavar="PATH|VERSION[,...]",
                   help="run the matrix under each interpreter: paths, or versions like 3.12 found in .venvs/, "
                        "pyenv or PATH (set one up once with: make venv-3.12)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="dask-distributed runs on this existing dask cluster instead of a LocalCluster")
    p.add_argument("--no-thread-limits", action="store_true",
                   help="do not cap BLAS/OpenMP pools in the cases (shows what oversubscription costs)")
    p.add_argument("-o", "--output", help="results file (default: results/run-DATE.json)")
    p.add_argument("--timeout", type=positive_seconds, default=120.0,
                   help="seconds before a case is killed (default 120)")
    p.add_argument("--resume", metavar="FILE", help="continue an interrupted run stored in FILE")
    p.add_argument("--force", action="store_true", help="overwrite an existing results file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-calibrate", action="store_true", default=bool(os.environ.get("BENCH_NO_CALIBRATE")),
                   help="skip the brief machine calibration (CPU and bandwidth ceilings) before the matrix "
                        "(also: BENCH_NO_CALIBRATE=1)")
    p.add_argument("--strict", action="store_true", help="exit 1 when any case failed")
    p.add_argument("--task", metavar="MODULE:FUNCTION", help="measure this function as a workload (with --inputs)")
    p.add_argument("--inputs", metavar="MODULE:FUNCTION|FILE",
                   help="the task's inputs: a function returning a list, a JSON list file or a text file (one per line)")
    p.add_argument("--bound", help="what limits the task: cpu (default), memory, io-latency, external-process")
    p.add_argument("--name", help="the task's workload name (default: the function's name)")
    p.set_defaults(func=run)


def positive_seconds(text: str) -> float:
    """--timeout: a finite number of seconds above 0 (0, negative, nan, inf would fail every case)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"wants a finite number of seconds above 0, got {text!r}")
    return value


# ------------------------------------------------------------ choosing what to run

def _choose(requested: str | None, defaults: list[str], lookup: Any, kind: str) -> tuple[list[str], list[dict[str, str]]]:
    """Names to run and names skipped (with why). Explicitly requested + unavailable = error."""
    names = parse_name_list(requested) if requested else defaults
    if requested is not None and not names:
        raise BenchError(f"--{kind}s names nothing")
    chosen, skipped = [], []
    for name in names:
        reason = lookup(name).unavailable_reason()
        if reason and requested:
            raise BenchError(f"{kind} {name!r} is unavailable here: {reason}")
        if reason:
            skipped.append({kind: name, "reason": reason})
        else:
            chosen.append(name)
    return chosen, skipped


def _cores(text: str | None, available: int) -> list[int]:
    if not text:
        return default_cores(available)
    cores = parse_int_list(text, "--cores")
    if max(cores) > available:
        raise BenchError(f"--cores {max(cores)} is more than the {available} CPUs in this process's affinity mask")
    return cores


def _start_methods(text: str | None) -> list[str | None]:
    if not text:
        return [None]
    methods = parse_name_list(text)
    known = multiprocessing.get_all_start_methods()
    for method in methods:
        if method not in known:
            raise BenchError(f"unknown start method {method!r}; known here: {', '.join(known)}")
    return list(dict.fromkeys(methods))


def _modes(text: str) -> list[str]:
    modes = parse_name_list(text)
    for mode in modes:
        if mode not in MODES:
            raise BenchError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
    if not modes:
        raise BenchError("--modes names nothing")
    return modes


def spec_from_args(args: argparse.Namespace) -> tuple[MatrixSpec, list[dict[str, str]]]:
    overrides = parse_sets(args.sets)
    workloads, skipped_w = _choose(args.workloads, registry.workload_names(), registry.get_workload, "workload")
    args.interpreters = _interpreters(args)  # kept on args for spec_to_config
    strategies, skipped_s = _choose(args.strategies, list(registry.DEFAULT_STRATEGIES),
                                    _strategy_lookup(args.interpreters), "strategy")
    args.scheduler = _scheduler(args.scheduler, strategies)
    spec = MatrixSpec(
        workloads=workloads, strategies=strategies,
        cores=_cores(args.cores, len(os.sched_getaffinity(0))),
        workers=parse_int_list(args.workers, "--workers") if args.workers else (),
        modes=_modes(args.modes), start_methods=_start_methods(args.start_methods),
        pythons=[i.path for i in args.interpreters] or [None], overrides=overrides, profile=args.profile,
    )
    return spec, skipped_w + skipped_s


def _interpreters(args: argparse.Namespace) -> list[interpreters.Interpreter]:
    """--python items, probed; each also says which of the strategies it can run."""
    if not args.python:
        return []
    names = parse_name_list(args.strategies) if args.strategies else list(registry.DEFAULT_STRATEGIES)
    for name in names:
        registry.get_strategy(name)  # unknown names fail here, with the known ones
    return interpreters.resolve_all(args.python, names)


class _Availability:
    def __init__(self, reason: str | None) -> None:
        self.reason = reason

    def unavailable_reason(self) -> str | None:
        return self.reason


def _strategy_lookup(pythons: list[interpreters.Interpreter]) -> Any:
    """Under --python a strategy is available when one of the interpreters can run it."""
    if not pythons:
        return registry.get_strategy
    return lambda name: _Availability(interpreters.availability(pythons, name))


def _scheduler(address: str | None, strategies: list[str]) -> str | None:
    if address is None:
        return None
    if not re.match(r"^[a-z]+://\S+:\d+$", address):
        raise BenchError(f"--scheduler wants an address like tcp://HOST:PORT, got {address!r}")
    if "dask-distributed" not in strategies:
        raise BenchError("--scheduler is for strategy dask-distributed; add it to --strategies")
    _reachable(address)
    return address


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


def spec_to_config(spec: MatrixSpec, args: argparse.Namespace) -> dict[str, Any]:
    return {"workloads": list(spec.workloads), "strategies": list(spec.strategies),
            "cores": list(spec.cores), "workers": list(spec.workers), "modes": list(spec.modes),
            "start_methods": list(spec.start_methods), "overrides": {k: dict(v) for k, v in spec.overrides.items()},
            "profile": spec.profile, "timeout": args.timeout, "workload_modules": list(args.workload_module),
            "strategy_modules": list(args.strategy_module),
            "pythons": list(spec.pythons), "scheduler": args.scheduler, "thread_limits": not args.no_thread_limits,
            "python_labels": {i.path: i.label for i in getattr(args, "interpreters", [])},
            "python_unavailable": interpreters.unavailable_pairs(getattr(args, "interpreters", [])),
            "argv": " ".join(sys.argv[1:])}


def spec_from_config(config: dict[str, Any]) -> MatrixSpec:
    try:
        return MatrixSpec(workloads=config["workloads"], strategies=config["strategies"], cores=config["cores"],
                          workers=config["workers"], modes=config["modes"],
                          start_methods=config["start_methods"], overrides=config["overrides"],
                          pythons=config.get("pythons", [None]), profile=config["profile"])
    except (KeyError, TypeError) as exc:
        raise BenchError(f"cannot resume: run configuration is incomplete ({exc})") from None


# ------------------------------------------------------------ running

def _default_output() -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"run-{stamp}.json"


def _prepare(args: argparse.Namespace) -> tuple[MatrixSpec, storage.ResultSet, Path]:
    if args.resume:
        results = storage.load(args.resume)
        import_plugins(results.config.get("workload_modules", []), results.config.get("strategy_modules", []))
        args.timeout = results.config.get("timeout", args.timeout)
        args.workload_module = results.config.get("workload_modules", [])
        args.strategy_module = results.config.get("strategy_modules", [])
        args.scheduler = results.config.get("scheduler")
        args.no_thread_limits = not results.config.get("thread_limits", True)
        return spec_from_config(results.config), results, Path(args.resume)
    if args.task or args.inputs or args.bound or args.name:  # bench.api: a plain function as a workload
        from bench.api import task_entry

        entry, name = task_entry(args.task, args.inputs, args.name, args.bound)
        args.workload_module = [*args.workload_module, entry]
        args.workloads = f"{args.workloads},{name}" if args.workloads else name
    import_plugins(args.workload_module, args.strategy_module)
    spec, skipped = spec_from_args(args)
    results = storage.ResultSet(metadata=machine_metadata(), config=spec_to_config(spec, args), skipped=skipped)
    return spec, results, Path(args.output) if args.output else _default_output()


def import_plugins(workload_modules: list[str], strategy_modules: list[str]) -> None:
    for module in workload_modules:
        registry.import_workload_module(module)
    for module in strategy_modules:
        registry.import_strategy_module(module)


def run(args: argparse.Namespace) -> int:
    spec, results, output = _prepare(args)
    workloads = workloads_of(spec)
    cases = build_cases(spec, workloads, start_method_axis(list(spec.strategies), args.scheduler))
    cases, skipped = interpreters.drop_unavailable(cases, results.config.get("python_unavailable", {}))
    results.skipped += [item for item in skipped if item not in results.skipped]
    if not cases:
        raise BenchError("nothing to run: no available workload was selected")
    settings = RunSettings(output=output, plan=PLANS[spec.profile], timeout=args.timeout,
                           workload_modules=args.workload_module,
                           strategy_modules=args.strategy_module, progress=not args.no_progress,
                           scheduler=args.scheduler, thread_limits=not args.no_thread_limits)
    output_file.check_writable(output, "--resume" if args.resume else "-o")
    with output_file.locked(output):
        if not args.resume:
            output_file.refuse_overwrite(output, args.force)
        for item in results.skipped:
            print(f"bench: skipped {item}", file=sys.stderr)
        return _measure(args, spec, results, settings, workloads, cases)


def _measure(args: argparse.Namespace, spec: MatrixSpec, results: storage.ResultSet, settings: RunSettings,
             workloads: dict[str, Any], cases: list[Any]) -> int:
    """Calibrate and run the cases; an interruption or a failed save keeps what the file holds."""
    output = settings.output
    try:
        with interrupts.stop_on_signals():
            _calibrate(args, spec, results, settings)
            Runner(settings, workloads, results).run(cases)
            _calibrate_end(results, spec, settings)
        _raise_if_incomparable(results)
    except KeyboardInterrupt:
        storage.save(results, output)
        print(f"bench: interrupted; {len(results.cases)} measured cases kept in {output} "
              f"(continue with: bench run --resume {output})", file=sys.stderr)
        return 130
    except storage.SaveError as exc:
        raise BenchError(f"{exc}; {_kept(output)}") from None
    return _summarise(results, output, args.strict)


def _raise_if_incomparable(results: storage.ResultSet) -> None:
    """A task whose results cannot be fingerprinted is bad input (exit 2), not a failed case."""
    from bench.api import Results

    Results(results).raise_if_incomparable()


def workloads_of(spec: MatrixSpec) -> dict[str, Any]:
    return {name: registry.get_workload(name) for name in spec.workloads}


def _kept(output: Path) -> str:
    """What is left after a failed save: writes are atomic, so the last good file is intact."""
    if output.exists():
        return f"the file so far is intact; free space or fix the folder, then: bench run --resume {output}"
    return "nothing was saved; free space or fix the folder, then run again"


def _calibrate(args: argparse.Namespace, spec: MatrixSpec, results: storage.ResultSet,
               settings: RunSettings) -> None:
    """The brief calibration (bench.machine.calibrate) before the matrix; a resumed run keeps the one it has."""
    if args.no_calibrate or results.calibration.get("raw"):
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


def _summarise(results: storage.ResultSet, output: Path, strict: bool) -> int:
    from bench.machine import drift

    failed = [r for r in results.cases if not r.ok]
    moved = drift.warning(drift.drift(results.cases, results.calibration))
    if moved:
        print(f"bench: warning: {moved}", file=sys.stderr)
    print(f"bench: {len(results.cases)} cases, {len(failed)} failed; results in {output}", file=sys.stderr)
    for result in failed:
        print(f"  FAILED {result.case.key}: {result.error}", file=sys.stderr)
    if results.cases and len(failed) == len(results.cases):
        print("bench: no case succeeded", file=sys.stderr)
        return 1
    return 1 if strict and failed else 0
