"""`bench fit RESULTS.json`: the fitted scaling models (Amdahl, Karp-Flatt, USL) per workload, strategy and mode."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from bench import storage
from bench.cli.table import render


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fit", help="print the fitted scaling models (csv, markdown or json)",
        description="Fit Amdahl's law (serial fraction with CI), the Karp-Flatt metric and the Universal "
                    "Scalability Law to each workload x strategy x mode's speed-up against "
                    "p = min(workers, cores). A value that cannot be fitted is left empty and 'note' says why.")
    parser.add_argument("results", metavar="RESULTS.json", help="results file written by bench run")
    parser.add_argument("--format", choices=("csv", "md", "json"), default="md")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bench.analysis.fits import fit_table  # pandas/scipy are slow to import
    from bench.analysis.table import tidy

    frame = fit_table(tidy(storage.load(args.results)))
    sys.stdout.write(render(frame, args.format).rstrip("\n") + "\n")
    return 0
