"""`bench ab`: measure two code versions or two environments interleaved, value by value.

    bench ab --workloads sleep --a-set sleep.seconds=0.03 --b-set sleep.seconds=0.033
    bench ab --workloads fib --a-pythonpath ../base-worktree          # B: this checkout
    bench compare results/ab-A.json results/ab-B.json

Takes the matrix options of `bench run`; ``--a-*`` / ``--b-*`` say what differs.
See ``bench.execute.ab`` for how the interleaving works.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from bench.execute import interrupts

from bench import output_file, registry, storage
from bench.cli import run as run_cmd
from bench.execute.ab import LABELS, Side
from bench.execute.ab_runner import ABRunner, ABSettings, probe_python
from bench.execute.matrix import build_cases, parse_sets
from bench.measure.metadata import git_commit, machine_metadata
from bench.model import BenchError
from bench.execute.runner import PLANS


def _matrix_arguments(p: argparse.ArgumentParser) -> None:
    """The matrix options of `bench run` (same names, same meaning)."""
    run_cmd.add_matrix_arguments(p, "override a workload parameter on both sides (repeatable)")
    p.add_argument("--timeout", type=run_cmd.positive_seconds, default=120.0,
                   help="seconds one request may take (default 120)")
    p.add_argument("--no-progress", action="store_true", help="no line per case on stderr")
    p.add_argument("--processes", type=int, default=2, metavar="N",
                   help="fresh process pairs per case, the values shared among them, so one process's luck "
                        "(where its workers landed among other tenants) is not taken for a difference (default 2)")
    p.add_argument("--references", action="store_true",
                   help="each side also measures its serial reference in the same rounds (A-reference A "
                        "B-reference B), so `bench compare --metric speedup` compares paired speed-ups")


def _side_arguments(p: argparse.ArgumentParser, label: str) -> None:
    low = label.lower()
    p.add_argument(f"--{low}-python", metavar="PATH", help=f"interpreter of side {label} (default: this one)")
    p.add_argument(f"--{low}-pythonpath", action="append", default=[], metavar="DIR",
                   help=f"put DIR first on side {label}'s PYTHONPATH, e.g. a git worktree of another commit "
                        "(repeatable)")
    p.add_argument(f"--{low}-env", action="append", default=[], metavar="NAME=VALUE",
                   help=f"environment variable for side {label} (repeatable)")
    p.add_argument(f"--{low}-set", action="append", default=[], metavar="WORKLOAD.PARAM=VALUE",
                   help=f"workload parameter for side {label} only (repeatable)")
    p.add_argument(f"--output-{low}", default=f"results/ab-{label}.json", metavar="FILE",
                   help=f"results file of side {label} (default results/ab-{label}.json)")


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "ab", help="measure two code versions or environments interleaved value by value (A/B)",
        description="Runs every case of the matrix on side A and side B at once, alternating one timed "
                    "cycle at a time (A B, B A, ...), so slow drift of the machine hits both sides alike. "
                    "Writes two results files for `bench compare A.json B.json`.")
    _matrix_arguments(p)
    for label in LABELS:
        _side_arguments(p, label)
    p.set_defaults(func=run)


# ------------------------------------------------------------ building the sides

def _parse_env(items: list[str], flag: str) -> dict[str, str]:
    env = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or "\0" in item:
            raise BenchError(f"{flag} wants NAME=VALUE, got {item!r}")
        env[name] = value
    return env


def side_from_args(args: argparse.Namespace, label: str) -> Side:
    low = label.lower()
    paths = tuple(getattr(args, f"{low}_pythonpath"))
    for path in paths:
        if not Path(path).is_dir():
            raise BenchError(f"--{low}-pythonpath {path!r} is not a directory")
    sets = tuple(getattr(args, f"{low}_set"))
    parse_sets(sets)  # fail early on a malformed item
    return Side(label=label, python=getattr(args, f"{low}_python"), pythonpath=tuple(str(Path(p).resolve()) for p in paths),
                env=_parse_env(getattr(args, f"{low}_env"), f"--{low}-env"), sets=sets)


def _run_defaults() -> dict[str, Any]:
    """Defaults of every `bench run` option, so run_cmd.spec_from_args finds what it reads."""
    from bench.cli.main import OneLineParser

    parser = OneLineParser(prog="bench")
    run_cmd.add_parser(parser.add_subparsers(dest="command"))
    return vars(parser.parse_args(["run"]))


def _side_metadata(side: Side) -> dict[str, Any]:
    metadata = machine_metadata()
    if side.python:
        metadata.update(probe_python(side.python))
    if side.pythonpath:
        metadata["git_commit"] = git_commit(Path(side.pythonpath[0]))
    return metadata


def _side_matrix(args: argparse.Namespace, side: Side) -> tuple[Any, dict[str, Any], list[Any]]:
    """The side's matrix spec, results config, and cases; --set first, then the side's own."""
    side_args = argparse.Namespace(**{**_run_defaults(), **vars(args), "sets": [*args.sets, *side.sets]})
    spec, skipped = run_cmd.spec_from_args(side_args)
    workloads = {name: registry.get_workload(name) for name in spec.workloads}
    # the same start-method axis as `bench run`: joblib/loky are not crossed
    crossed = run_cmd.start_method_axis(list(spec.strategies), None)
    config = {**run_cmd.spec_to_config(spec, side_args), "ab": side.describe()}
    return spec, config, build_cases(spec, workloads, crossed) if workloads else []


def run(args: argparse.Namespace) -> int:
    run_cmd.import_plugins(args.workload_module, args.strategy_module)
    if args.processes < 1:
        raise BenchError(f"--processes wants a positive integer, got {args.processes}")
    sides = {label: side_from_args(args, label) for label in LABELS}
    outputs = {label: Path(getattr(args, f"output_{label.lower()}")) for label in LABELS}
    if outputs["A"].resolve() == outputs["B"].resolve():
        raise BenchError("--output-a and --output-b name the same file")
    for label in LABELS:  # before measuring, as bench run does
        output_file.check_writable(outputs[label], f"--output-{label.lower()}")
    matrices = {label: _side_matrix(args, side) for label, side in sides.items()}
    cases = {label: matrix[2] for label, matrix in matrices.items()}
    if not cases["A"]:
        raise BenchError("nothing to run: no available workload was selected")
    results = {label: storage.ResultSet(metadata=_side_metadata(sides[label]), config={
        **matrices[label][1], "ab": {**sides[label].describe(), "other_output": str(outputs[other])}})
        for label, other in zip(LABELS, reversed(LABELS))}
    spec = matrices["A"][0]
    settings = ABSettings(outputs=outputs, plan=PLANS[spec.profile], timeout=args.timeout,
                          workload_modules=args.workload_module, strategy_modules=args.strategy_module,
                          cpus=sorted(os.sched_getaffinity(0)), progress=not args.no_progress,
                          processes=args.processes, references=args.references)
    workloads = {name: registry.get_workload(name) for name in spec.workloads}
    try:
        with interrupts.stop_on_signals():
            ABRunner(sides, settings, workloads, results).run(cases)
    except KeyboardInterrupt:
        for label, result in results.items():
            storage.save(result, outputs[label])
        print(f"bench: interrupted; {len(results['A'].cases)} cases kept in {outputs['A']} and {outputs['B']}",
              file=sys.stderr)
        return 130
    failed = sum(not r.ok for result in results.values() for r in result.cases)
    print(f"bench: {len(cases['A'])} cases on each side, {failed} failed; results in {outputs['A']} (A) and "
          f"{outputs['B']} (B); next: bench compare {outputs['A']} {outputs['B']}", file=sys.stderr)
    return 0

