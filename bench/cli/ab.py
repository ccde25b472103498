"""`bench ab`: measure two code versions or two environments interleaved, value by value.

    bench ab --workloads sleep --a-set sleep.seconds=0.03 --b-set sleep.seconds=0.033
    bench ab --workloads fib --a-pythonpath ../base-worktree          # B: this checkout
    bench compare results/ab-A.json results/ab-B.json

Takes the matrix options of `bench run`; ``--a-*`` / ``--b-*`` say what differs.
See ``bench.execute.ab`` for how the interleaving works.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bench.cli import run as run_cmd
from bench.execute.ab import LABELS, Side
from bench.execute.ab_session import ABRequest, run_ab
from bench.execute.matrix import parse_sets
from bench.execute.session import Interrupted, RunRequest
from bench.model import BenchError


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
    shared = RunRequest(**run_cmd.matrix_fields(args), timeout=args.timeout, progress=not args.no_progress)
    return ABRequest(shared=shared, sides={label: side_from_args(args, label) for label in LABELS},
                     outputs={label: Path(getattr(args, f"output_{label.lower()}")) for label in LABELS},
                     processes=args.processes, references=args.references)


def run(args: argparse.Namespace) -> int:
    request = request_from_args(args)
    try:
        results = run_ab(request)
    except Interrupted as stop:
        print(f"bench: interrupted; {stop.kept} cases kept in {stop.outputs[0]} and {stop.outputs[1]}",
              file=sys.stderr)
        return 130
    failed = sum(not r.ok for result in results.values() for r in result.cases)
    a, b = (request.outputs[label] for label in LABELS)
    print(f"bench: {len(results['A'].cases)} cases on each side, {failed} failed; results in {a} (A) and "
          f"{b} (B); next: bench compare {a} {b}", file=sys.stderr)
    return 0
