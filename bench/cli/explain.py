"""`bench explain RESULTS.json`: why the speed-up is not higher, per workload, in a terminal."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from bench import storage


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "explain", help="say why each speed-up is not higher: work, overhead, waiting, idle, start-up, task sizes",
        description="For each workload at its largest core count: each case's p x wall core-seconds split into "
                    "work (serial CPU), overhead (extra CPU in the case and its workers), waiting (queued for a "
                    "CPU), idle (the rest), the start-up (cold - warm), and the best speed-up its task sizes "
                    "allow with the strategy's dispatch; then, in words, what limits it.")
    parser.add_argument("results", metavar="RESULTS.json", help="results file written by bench run")
    parser.add_argument("--workload", help="only this workload")
    parser.add_argument("--format", choices=("text", "md"), default="text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bench.analysis.explain import explain  # pandas is slow to import
    from bench.render.explain_text import render_md, render_text

    sys.stdout.write(explain_text(storage.load(args.results), args.workload, args.format, explain,
                                  render_md if args.format == "md" else render_text))
    return 0


def explain_text(results: Any, workload: str | None, fmt: str, explain: Any, render: Any) -> str:
    """The rendered explanation; an unknown workload is bad input (one line, exit 2)."""
    from bench.model import BenchError

    known = sorted({r.case.workload for r in results.cases})
    if workload is not None and workload not in known:
        raise BenchError(f"--workload: no workload {workload!r} in this file; known: {', '.join(known)}")
    return render(explain(results, workload))
