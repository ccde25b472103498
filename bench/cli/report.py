"""`bench report RESULTS.json [BASE.json] -o reports/NAME.html`: the HTML report, from stored results only."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bench import output_file, storage


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report", help="write a self-contained HTML report (verdict, curves, scaling model)",
        description="Render a results file (and, optionally, its comparison against BASE.json) as one "
                    "self-contained HTML page that needs no network.")
    parser.add_argument("results", metavar="RESULTS.json", help="results file written by bench run")
    parser.add_argument("base", metavar="BASE.json", nargs="?", help="optional base results to compare against")
    parser.add_argument("-o", "--output", metavar="REPORT.html",
                        help="where to write the page (default: reports/<RESULTS name>.html)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing page")
    parser.set_defaults(func=run)


def output_path(args: argparse.Namespace) -> Path:
    return Path(args.output) if args.output else Path("reports") / f"{Path(args.results).stem}.html"


def run(args: argparse.Namespace) -> int:
    from bench.render.html import document, page  # matplotlib and pandas are slow to import

    path = output_path(args)
    output_file.claim(path, args.force, report=True)  # before the slow part, and as one line
    with output_file.locked(path):  # a live run's results file is refused, as a second run is
        results = storage.load(args.results)
        base = storage.load(args.base) if args.base else None
        report = page.build(results, base, source=args.results, base_source=args.base)
        path = document.write(report, path)
    for note in report.notes:
        print(f"report: kept short: {note}", file=sys.stderr)
    print(f"report: {path}", file=sys.stderr)
    return 0
