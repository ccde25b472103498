"""`bench compare BASE.json NEW.json`: the CI regression gate.

Exit 0: no significant regression; 1: at least one regression or newly failing
case, or a NEW that measured less than BASE (without --allow-missing); 2: bad
input (unreadable, corrupt or foreign file, bad option).  The verdicts come
from ``bench.analysis.compare`` (pure); this module only loads, renders and picks the
exit code.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from bench.analysis.compare_defaults import DEFAULT_ALPHA, DEFAULT_THRESHOLD, FORMATS, METRICS, CompareOptions
from bench.model import BenchError

EXIT_OK, EXIT_REGRESSION = 0, 1


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "compare", help="compare two results files; exit 1 on a significant regression",
        description="A case regresses when a Mann-Whitney U test on the raw values is significant at ALPHA, "
                    "the bootstrap interval of the ratio of medians excludes 1, and the change is worse than "
                    "THRESHOLD. Exit 0: none; 1: at least one regression or newly failing case, or NEW incomplete, "
                    "missing BASE cases or with fewer ok cases (unless --allow-missing); 2: bad input.")
    p.add_argument("base", metavar="BASE.json", help="the reference results (e.g. from the main branch)")
    p.add_argument("new", metavar="NEW.json", help="the results to judge")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD * 100, metavar="PCT",
                   help=f"smallest change that counts, in percent (default {DEFAULT_THRESHOLD * 100:g}, "
                        "chosen from A/A runs on a noisy shared machine)")
    p.add_argument("--metric", choices=METRICS, default="time",
                   help="time: raw times (default); speedup: speed-ups against the serial case of the same "
                        "file, which survive a faster or slower machine")
    p.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                   help=f"significance level of each case's test (default {DEFAULT_ALPHA:g})")
    p.add_argument("--allow-missing", action="store_true",
                   help="pass even when NEW is incomplete, lacks cases of BASE or has fewer ok cases "
                        "(by default each fails the gate: a run that measured nothing must not pass)")
    p.add_argument("--no-run-noise", dest="run_noise", action="store_false",
                   help="judge each case by its own values only; by default the spread of all the cases' changes "
                        "(the machine's between-run noise) widens every interval, at the family-wise level")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (terminal), md (pull-request comment) or json (everything)")
    p.set_defaults(func=run)


def options_from_args(args: argparse.Namespace) -> CompareOptions:
    """Bad --threshold or --alpha: a one-line error before anything is loaded."""
    if not 0 <= args.threshold < 1000:
        raise BenchError(f"--threshold wants a percentage >= 0, got {args.threshold:g}")
    if not 0 < args.alpha < 1:
        raise BenchError(f"--alpha wants a number strictly between 0 and 1, got {args.alpha:g}")
    return CompareOptions(metric=args.metric, threshold=args.threshold / 100.0, alpha=args.alpha,
                          allow_missing=args.allow_missing, run_noise=args.run_noise)


def run(args: argparse.Namespace) -> int:
    """Bad input fails before the statistics (scipy, pandas: about a second) are imported."""
    from bench import storage

    options = options_from_args(args)
    base, new = storage.load(args.base), storage.load(args.new)
    from bench.analysis.compare import compare
    from bench.render.compare_text import RENDERERS, render_json

    report = compare(base, new, options)
    code = EXIT_REGRESSION if report.summary.failed else EXIT_OK
    if args.format == "json":
        text = render_json(report, args.base, args.new, exit_code=code)
    else:
        text = RENDERERS[args.format](report, args.base, args.new)
    sys.stdout.write(text)
    return code
