"""`bench ab`: measure two code versions or two environments interleaved, value by value.

    bench ab --workloads sleep --a-set sleep.seconds=0.03 --b-set sleep.seconds=0.033
    bench ab --workloads fib --a-pythonpath ../base-worktree          # B: this checkout
    bench compare results/ab-A.json results/ab-B.json
    bench ab --base origin/main --workload-module mymod --format md   # the CI gate: exit 0, 1 or 2

Takes the matrix options of `bench run`; ``--a-*`` / ``--b-*`` say what differs.
With ``--base`` it is the regression gate (``bench.execute.ab_gate``): the exit
code is `bench compare`'s.  See ``bench.execute.ab`` for how the interleaving works.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bench import output_file
from bench.analysis.compare_defaults import DEFAULT_ALPHA, DEFAULT_THRESHOLD, FORMATS, METRICS
from bench.cli import compare as compare_cmd
from bench.cli import run as run_cmd
from bench.execute.ab import LABELS, Side
from bench.execute.ab_session import ABRequest, run_ab, side_problems
from bench.execute.matrix import parse_sets
from bench.execute.session import Interrupted, RunRequest
from bench.model import BenchError


def _matrix_arguments(p: argparse.ArgumentParser) -> None:
    """The matrix options of `bench run` (same names, same meaning)."""
    run_cmd.add_matrix_arguments(p, "override a workload parameter on both sides (repeatable)")
    p.add_argument("--timeout", type=run_cmd.positive_seconds, default=120.0,
                   help="seconds one request may take (default 120)")
    p.add_argument("--no-progress", action="store_true", help="no line per case on stderr")
    p.add_argument("--processes", type=int, metavar="N",
                   help="fresh process pairs per case, the values shared among them, so one process's luck "
                        "(where its memory and workers landed) is not taken for a difference; the comparison's "
                        "interval spans the pairs' spread, so more pairs narrow it (default 2; with --base 16)")
    p.add_argument("--references", action="store_true",
                   help="each side also measures its serial reference in the same rounds (A-reference A "
                        "B-reference B), so `bench compare --metric speedup` compares paired speed-ups")
    p.add_argument("--force", action="store_true", help="overwrite existing A/B results files")
    p.add_argument("--case-budget", dest="budget", type=run_cmd.positive_seconds, metavar="S",
                   help="seconds of timed cycles per case, both sides together, up to 400 rounds (default: the "
                        "profile's, 0.5 s quick; with --base 8 s); bench run's --budget is a whole run's time")
    run_cmd.add_task_arguments(p)


def _gate_arguments(p: argparse.ArgumentParser) -> None:
    """`--base REF`: the regression gate on a git repository, compared as `bench compare` does."""
    g = p.add_argument_group("the gate on a git repository (--base)")
    g.add_argument("--base", metavar="REF", help="side A: this revision (branch, tag, commit, HEAD~1, origin/main) "
                   "checked out into a temporary git worktree; then compare, exit 0 / 1 regression / 2 bad input")
    g.add_argument("--head", metavar="REF", help="side B: this revision in a worktree too (default: the working "
                   "tree as it is, uncommitted changes included; with --head it must be clean)")
    g.add_argument("--metric", choices=METRICS, default="time",
                   help="time (default) or speedup (each side's paired speed-ups; implies --references)")
    g.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD * 100, metavar="PCT",
                   help=f"smallest change that counts, in percent (default {DEFAULT_THRESHOLD * 100:g})")
    g.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                   help=f"significance level of each case's test (default {DEFAULT_ALPHA:g})")
    g.add_argument("--format", choices=FORMATS, default="text", help="the verdict on stdout: text, md or json")
    g.add_argument("--summary", metavar="FILE",
                   help="also append the markdown verdict to FILE (e.g. $GITHUB_STEP_SUMMARY)")
    p.set_defaults(allow_missing=False, run_noise=True)  # what `bench compare` reads, fixed for the gate


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
    _gate_arguments(p)
    p.set_defaults(func=run)


# ------------------------------------------------------------ arguments -> request

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
    return Side(label=label, python=getattr(args, f"{low}_python"),
                pythonpath=tuple(str(Path(p).resolve()) for p in paths),
                env=_parse_env(getattr(args, f"{low}_env"), f"--{low}-env"), sets=sets)


def request_from_args(args: argparse.Namespace) -> ABRequest:
    """The Namespace as a typed request; what `bench run` options ab lacks keeps RunRequest's defaults."""
    shared = RunRequest(**run_cmd.matrix_fields(args), timeout=args.timeout, progress=not args.no_progress,
                        task=args.task, inputs=args.inputs, bound=args.bound, name=args.name)
    return ABRequest(shared=shared, sides={label: side_from_args(args, label) for label in LABELS},
                     outputs={label: Path(getattr(args, f"output_{label.lower()}")) for label in LABELS},
                     processes=args.processes, references=args.references or args.metric == "speedup",
                     force=args.force, budget=args.budget)


def gate_request_from_args(args: argparse.Namespace) -> Any:
    """--base and what goes with it (a GateRequest); gate options without --base are refused, not ignored.

    ``bench.execute.ab_gate`` is imported here: it brings the statistics, which `bench --help` must not wait for.
    """
    from bench.execute.ab_gate import GateRequest

    if args.base is None:
        given = [f"--{name}" for name in ("head", "summary") if getattr(args, name) is not None]
        given += [f"--{name}" for name, default in (("metric", "time"), ("format", "text"))
                  if getattr(args, name) != default]
        given += ["--threshold"] if args.threshold != DEFAULT_THRESHOLD * 100 else []
        if given:
            raise BenchError(f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for the gate: add --base REF "
                             "(or compare the two files with bench compare)")
    options = compare_cmd.options_from_args(args)
    if args.summary:
        output_file.check_writable(Path(args.summary), "--summary")
    return GateRequest(base=args.base, ab=request_from_args(args), head=args.head, options=options)


def run(args: argparse.Namespace) -> int:
    gate = gate_request_from_args(args)
    try:
        if args.base is not None:
            return _gate(gate, args)
        results = run_ab(gate.ab)
    except Interrupted as stop:
        print(f"bench: interrupted; {stop.kept} cases kept in {stop.outputs[0]} and {stop.outputs[1]}",
              file=sys.stderr)
        return 130
    failed = sum(not r.ok for result in results.values() for r in result.cases)
    a, b = (gate.ab.outputs[label] for label in LABELS)
    print(f"bench: {len(results['A'].cases)} cases on each side, {failed} failed; results in {a} (A) and "
          f"{b} (B); next: bench compare {a} {b}", file=sys.stderr)
    problems = side_problems(results)
    for problem in problems:
        print(f"bench: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _gate(request: Any, args: argparse.Namespace) -> int:
    """Measure, compare, print the verdict (and append it to --summary); the exit code is the gate's."""
    from bench.execute.ab_gate import run_gate
    from bench.render.ab_text import render_gate, reproduce_commands

    outcome = run_gate(request)
    outputs = [str(request.ab.outputs[label]) for label in LABELS]
    sides = {label: outcome.side_text(label) for label in LABELS}
    commits = {label: revision.commit for label, revision in outcome.revisions.items()}
    commands = reproduce_commands(outcome.report, outcome.results, commits, outputs)
    sys.stdout.write(render_gate(outcome.report, args.format, sides, outcome.problems, commands, outputs))
    if args.summary:
        with open(args.summary, "a") as summary:
            summary.write(render_gate(outcome.report, "md", sides, outcome.problems, commands, outputs))
    return compare_cmd.EXIT_REGRESSION if outcome.failed else compare_cmd.EXIT_OK
