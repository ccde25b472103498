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
    parser.add_argument("--overhead", action="store_true",
                        help="add n_tasks, parallelism and overhead_per_task_s = "
                             "(median - serial median / parallelism) / n_tasks")
    parser.add_argument("--columns", help="comma-separated columns to show, in this order, or 'all'; default: "
                                          "all for csv and json (the contract other tools read), a short set "
                                          "for md (workload, strategy, cores, workers, mode, median, speed-up "
                                          "and its interval, efficiency, pairs, stop reason, ok, error); "
                                          "'all' adds the ceilings, accounting and per-cycle metrics")
    parser.set_defaults(func=run)


def render(frame: Any, fmt: str) -> str:
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        return frame.to_json(orient="records", indent=1)
    return frame.to_markdown(index=False, floatfmt=".4g")


def run(args: argparse.Namespace) -> int:
    from bench.analysis.table import tidy  # pandas is slow to import; only table needs it

    results = storage.load(args.results)
    frame = tidy(results)
    if getattr(args, "overhead", False):
        from bench.analysis.overhead import with_overhead

        frame = with_overhead(frame, results)
    columns = getattr(args, "columns", None)
    if columns and columns.strip() != "all":
        frame = _select(frame, columns)
    elif not columns and args.format == "md":
        frame = _short(frame)
    sys.stdout.write(render(frame, args.format).rstrip("\n") + "\n")
    return 0


def _select(frame: Any, text: str) -> Any:
    from bench.model import BenchError

    columns = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in columns if c not in frame.columns]
    if unknown or not columns:
        raise BenchError(f"--columns: no column {unknown[0] if unknown else text!r}; "
                         f"known: {', '.join(map(str, frame.columns))}")
    return frame[columns]


def _short(frame: Any) -> Any:
    """The columns a reader scans in a terminal, and those --overhead adds (asked for, so shown);
    the per-cycle metrics and the rest need --columns all."""
    from bench.analysis.table import COLUMNS, SHORT_COLUMNS

    kept = [c for c in SHORT_COLUMNS if c in frame.columns]
    extra = [c for c in frame.columns if c not in COLUMNS and c not in kept and c != "measured_at"
             and not c.startswith("metric_")]
    return frame[kept + extra]
