"""`bench table RESULTS.json`: the tidy table, one row per case."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from bench import storage


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("table", help="print one row per case (csv, markdown or json)")
    parser.add_argument("results", help="results file written by bench run")
    parser.add_argument("--format", choices=("csv", "md", "json"), default="md")
    parser.set_defaults(func=run)


def render(frame: Any, fmt: str) -> str:
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        return frame.to_json(orient="records", indent=1)
    return frame.to_markdown(index=False, floatfmt=".4g")


def run(args: argparse.Namespace) -> int:
    from bench.table import tidy  # pandas is slow to import; only table needs it

    results = storage.load(args.results)
    sys.stdout.write(render(tidy(results), args.format).rstrip("\n") + "\n")
    return 0
