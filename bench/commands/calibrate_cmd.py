"""`bench calibrate`: not built yet."""
from __future__ import annotations

import argparse
from typing import Any

from bench.model import BenchError


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("calibrate", help="(not built yet)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise BenchError("'bench calibrate' is not built yet")
