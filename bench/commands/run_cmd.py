"""`bench run`: measure the matrix and write a results file after every case."""
from __future__ import annotations

import argparse
import datetime as _dt
import multiprocessing
import os
import signal
import sys
from pathlib import Path
from typing import Any

from bench import registry, storage
from bench.matrix import (MatrixSpec, build_cases, default_cores, parse_int_list, parse_name_list,
                          parse_sets)
from bench.metadata import machine_metadata
from bench.model import MODES, PROFILES, BenchError
from bench.runner import PLANS, RunSettings, Runner


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("run", help="measure workloads x strategies x cores")
    p.add_argument("--workloads", help="comma-separated workload names (default: all available)")
    p.add_argument("--strategies", help="comma-separated strategy names (default: the standard nine)")
    p.add_argument("--cores", help="comma-separated core counts (default: 1,2,4,... up to the affinity mask)")
    p.add_argument("--workers", help="comma-separated worker counts (default: one per core; 2x for I/O work)")
    p.add_argument("--modes", default="cold,warm", help="cold, warm or both (default: cold,warm)")
    p.add_argument("--start-methods", help="fork,spawn,forkserver for process strategies (default: the platform's)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="WORKLOAD.PARAM=VALUE",
                   help="override a workload parameter (repeatable)")
    p.add_argument("--profile", choices=PROFILES, default="quick")
    p.add_argument("--workload-module", action="append", default=[], metavar="MODULE",
                   help="import workloads from this module (repeatable)")
    p.add_argument("-o", "--output", help="results file (default: results/run-DATE.json)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds before a case is killed (default 120)")
    p.add_argument("--resume", metavar="FILE", help="continue an interrupted run stored in FILE")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--strict", action="store_true", help="exit 1 when any case failed")
    p.set_defaults(func=run)


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
    strategies, skipped_s = _choose(args.strategies, list(registry.DEFAULT_STRATEGIES), registry.get_strategy, "strategy")
    spec = MatrixSpec(
        workloads=workloads, strategies=strategies,
        cores=_cores(args.cores, len(os.sched_getaffinity(0))),
        workers=parse_int_list(args.workers, "--workers") if args.workers else (),
        modes=_modes(args.modes), start_methods=_start_methods(args.start_methods),
        overrides=overrides, profile=args.profile,
    )
    return spec, skipped_w + skipped_s


def spec_to_config(spec: MatrixSpec, args: argparse.Namespace) -> dict[str, Any]:
    return {"workloads": list(spec.workloads), "strategies": list(spec.strategies),
            "cores": list(spec.cores), "workers": list(spec.workers), "modes": list(spec.modes),
            "start_methods": list(spec.start_methods), "overrides": {k: dict(v) for k, v in spec.overrides.items()},
            "profile": spec.profile, "timeout": args.timeout, "workload_modules": list(args.workload_module),
            "argv": " ".join(sys.argv[1:])}


def spec_from_config(config: dict[str, Any]) -> MatrixSpec:
    try:
        return MatrixSpec(workloads=config["workloads"], strategies=config["strategies"], cores=config["cores"],
                          workers=config["workers"], modes=config["modes"],
                          start_methods=config["start_methods"], overrides=config["overrides"],
                          profile=config["profile"])
    except (KeyError, TypeError) as exc:
        raise BenchError(f"cannot resume: run configuration is incomplete ({exc})") from None


# ------------------------------------------------------------ running

def _default_output() -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"run-{stamp}.json"


def _prepare(args: argparse.Namespace) -> tuple[MatrixSpec, storage.ResultSet, Path]:
    if args.resume:
        results = storage.load(args.resume)
        for module in results.config.get("workload_modules", []):
            registry.import_workload_module(module)
        args.timeout = results.config.get("timeout", args.timeout)
        args.workload_module = results.config.get("workload_modules", [])
        return spec_from_config(results.config), results, Path(args.resume)
    for module in args.workload_module:
        registry.import_workload_module(module)
    spec, skipped = spec_from_args(args)
    results = storage.ResultSet(metadata=machine_metadata(), config=spec_to_config(spec, args), skipped=skipped)
    return spec, results, Path(args.output) if args.output else _default_output()


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    spec, results, output = _prepare(args)
    workloads = {name: registry.get_workload(name) for name in spec.workloads}
    uses_processes = {name: registry.get_strategy(name).uses_processes for name in spec.strategies}
    cases = build_cases(spec, workloads, uses_processes)
    if not cases:
        raise BenchError("nothing to run: no available workload was selected")
    settings = RunSettings(output=output, plan=PLANS[spec.profile], timeout=args.timeout,
                           workload_modules=args.workload_module, progress=not args.no_progress)
    for item in results.skipped:
        print(f"bench: skipped {item}", file=sys.stderr)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        Runner(settings, workloads, results).run(cases)
    except KeyboardInterrupt:
        storage.save(results, output)
        print(f"bench: interrupted; {len(results.cases)} measured cases kept in {output} "
              f"(continue with: bench run --resume {output})", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return _summarise(results, output, args.strict)


def _summarise(results: storage.ResultSet, output: Path, strict: bool) -> int:
    failed = [r for r in results.cases if not r.ok]
    print(f"bench: {len(results.cases)} cases, {len(failed)} failed; results in {output}", file=sys.stderr)
    for result in failed:
        print(f"  FAILED {result.case.key}: {result.error}", file=sys.stderr)
    return 1 if strict and failed else 0
