"""The command line: one module per command under bench/commands (asv's layout).

Each command module has ``add_parser(subparsers)`` and ``run(args) -> int`` so
tests call ``run`` directly.  Bad input anywhere becomes one line on stderr and
exit code 2, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NoReturn, Sequence

from bench.model import BenchError

COMMANDS = ("list", "run", "table", "explain", "report", "compare", "fit", "calibrate", "ab", "noise")
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is a single line (and still exit code 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def command_module(name: str):  # noqa: ANN201 - a module
    return importlib.import_module(f"bench.commands.{name}_cmd")


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="bench", description="Measure how Python code scales across cores.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    subparsers.required = True
    for name in COMMANDS:
        command_module(name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args))
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `bench table ... | head` is fine
        return 0
    except Exception as exc:  # a bug of ours: say so in one line unless asked for more
        if os.environ.get("BENCH_DEBUG"):
            raise
        print(f"bench: internal error: {type(exc).__name__}: {exc} (BENCH_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL
