"""`bench run`: measure the matrix and write a results file after every case.

Only the command line lives here: the options, their conversion into a
``bench.execute.session.RunRequest``, the summary on stderr and the exit code.
The run itself is ``bench.execute.session.run_matrix``, callable without argparse.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any

from bench import storage
from bench.execute import session
from bench.execute.matrix import parse_int_list, parse_name_list
from bench.model import PROFILES


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
    p.add_argument("--profile", choices=PROFILES, default="quick", help=profile_help())
    p.add_argument("--workload-module", action="append", default=[], metavar="MODULE",
                   help="import workloads from this module (repeatable)")
    p.add_argument("--strategy-module", action="append", default=[], metavar="MODULE",
                   help="import strategies from this module (repeatable)")


def profile_help() -> str:
    """What each profile buys, from the timing plans themselves (one copy of the numbers)."""
    from bench.execute.runner import PLANS

    def plan(name: str) -> str:
        p = PLANS[name]
        return (f"{p.warmups} warm-up round(s), then pairs of (serial reference, case) cycles until the "
                f"speed-up's 95%% interval is within +-{p.target * 100:g}%%, the cycles have used "
                f"{p.budget_seconds:g} s, or {p.values} pairs (at least {p.min_values})")

    return (f"quick (default): a first look, in minutes; each case takes {plan('quick')}, and the workloads' "
            f"quick parameters. full: for a verdict to rely on, much longer; {plan('full')}, and the "
            "workloads' full parameters (bench list shows both)")


EXAMPLES = """examples:
  bench run                                        the quick matrix on every core count, results/run-DATE.json
  bench run -o results/latest.json --force         the same, overwriting results/latest.json
  bench run --workloads fib,sleep --strategies threads,pool-map --cores 1,2
  bench run --set fib.k=27 --profile full -o results/fib.json
  bench run --task mypkg.work:process --inputs mypkg.work:make_inputs --bound io-latency
  bench run --resume results/latest.json           carry on after Ctrl-C
then: bench report results/latest.json (the HTML page), bench table results/latest.json (one row per case)"""


def add_budget_argument(p: argparse.ArgumentParser) -> None:
    """--budget D: the whole run's time, calibration included (`bench plan` takes it too)."""
    p.add_argument("--budget", default="profile", metavar="D",
                   help="end the whole run within D (90s, 3m, 1h; none: no budget), measuring fewer pairs rather "
                        "than overrunning and spending what is left on the cases that can still change a verdict "
                        "(default: 160s for the quick profile, none for full)")


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("run", help="measure workloads x strategies x cores",
                              description="Measure every case of workloads x strategies x cores x workers x modes, "
                                          "each in fresh pinned processes, saving the results file after each case.",
                              epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_matrix_arguments(p, "override a workload parameter (repeatable)")
    add_budget_argument(p)
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
    p.add_argument("--processes", type=int, default=None, metavar="N",
                   help="share each parallel case's rounds among N fresh case processes (default 2), so that "
                        "one process's luck (its workers faster or slower than its own serial loop) widens the "
                        "interval instead of shifting it; each adds its start-up, and the warm-ups the first one "
                        "showed to be needed")
    p.add_argument("--resume", metavar="FILE", help="continue an interrupted run stored in FILE")
    p.add_argument("--force", action="store_true", help="overwrite an existing results file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-calibrate", action="store_true", default=bool(os.environ.get("BENCH_NO_CALIBRATE")),
                   help="skip the brief machine calibration (CPU and bandwidth ceilings) before the matrix "
                        "(also: BENCH_NO_CALIBRATE=1)")
    p.add_argument("--no-single-worker", action="store_true",
                   help="measure the matrix as asked: no one-worker one-core case added where it lacks one (which "
                        "single_worker_speedup reads)")
    p.add_argument("--strict", action="store_true", help="exit 1 when any case failed")
    add_task_arguments(p)
    p.set_defaults(func=run)


def add_task_arguments(p: argparse.ArgumentParser) -> None:
    """A plain function as the workload; `bench ab` takes the same options."""
    p.add_argument("--task", metavar="MODULE:FUNCTION", help="measure this function as a workload (with --inputs)")
    p.add_argument("--inputs", metavar="MODULE:FUNCTION|FILE",
                   help="the task's inputs: a function returning a list, a JSON list file or a text file "
                        "(one per line)")
    p.add_argument("--bound", help="what limits the task: cpu (default), memory, io-latency, external-process")
    p.add_argument("--name", help="the task's workload name (default: the function's name)")


def positive_seconds(text: str) -> float:
    """--timeout: a finite number of seconds above 0 (0, negative, nan, inf would fail every case)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"wants a finite number of seconds above 0, got {text!r}")
    return value


# ------------------------------------------------------------ arguments -> request

def _names(text: str | None) -> tuple[str, ...] | None:
    """'a, b,a' -> ('a', 'b'); no text (absent or empty) -> None: the option's default."""
    return tuple(parse_name_list(text)) if text else None


def _numbers(text: str | None, what: str) -> tuple[int, ...] | None:
    return tuple(parse_int_list(text, what)) if text else None


def matrix_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The matrix options (`bench ab` takes them too) as RunRequest fields; malformed numbers are refused here."""
    return {"workloads": _names(args.workloads), "strategies": _names(args.strategies),
            "cores": _numbers(args.cores, "--cores"), "workers": _numbers(args.workers, "--workers") or (),
            "modes": tuple(parse_name_list(args.modes)), "start_methods": _names(args.start_methods),
            "sets": tuple(args.sets), "profile": args.profile,
            "workload_modules": tuple(args.workload_module), "strategy_modules": tuple(args.strategy_module)}


def request_from_args(args: argparse.Namespace) -> session.RunRequest:
    """The Namespace as a typed request; beside --resume the matrix options must match the file's run."""
    matrix = matrix_fields(args)
    return session.RunRequest(
        **matrix, pythons=_names(args.python), scheduler=args.scheduler, thread_limits=not args.no_thread_limits,
        output=Path(args.output) if args.output else session.default_output(), timeout=args.timeout,
        processes=args.processes, resume=Path(args.resume) if args.resume else None, force=args.force,
        progress=not args.no_progress,
        calibrate=not args.no_calibrate, strict=args.strict, task=args.task, inputs=args.inputs, bound=args.bound,
        name=args.name, budget=args.budget, single_worker=not args.no_single_worker)


# ------------------------------------------------------------ running

def run(args: argparse.Namespace) -> int:
    request = request_from_args(args)
    try:
        results = session.run_matrix(request)
    except session.Interrupted as stop:
        output = stop.outputs[0]
        print(f"bench: interrupted; {stop.kept} measured cases kept in {output} "
              f"(continue with: bench run --resume {output})", file=sys.stderr)
        return 130
    return _summarise(results, session.output_path(request), request.strict)


def _summarise(results: storage.ResultSet, output: Path, strict: bool) -> int:
    """The last lines on stderr and the exit code: 1 when nothing succeeded, or (--strict) anything failed."""
    from bench.analysis import disturbance
    from bench.machine import drift

    failed = [r for r in results.cases if not r.ok]
    moved = drift.warning(drift.drift(results.cases, results.calibration))
    if moved:
        print(f"bench: warning: {moved}", file=sys.stderr)
    print(f"bench: {len(results.cases)} cases, {len(failed)} failed{disturbance.summary(results.cases)}; "
          f"results in {output}", file=sys.stderr)
    for result in failed:
        print(f"  FAILED {result.case.key}: {result.error}", file=sys.stderr)
    if results.cases and len(failed) == len(results.cases):
        print("bench: no case succeeded", file=sys.stderr)
        return 1
    return 1 if strict and failed else 0
