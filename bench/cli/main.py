"""The command line's entry point: parse, dispatch to one command module, pick the exit code.

Each command module has ``add_parser(subparsers)`` and ``run(args) -> int`` so
tests call ``run`` directly.  Bad input anywhere becomes one line on stderr and
exit code 2, never a traceback; so does an unusable environment (an OSError: a
read-only or full disk, standard output on a full device).
"""
from __future__ import annotations

import argparse
import atexit
import importlib
import os
import sys
import threading
from types import ModuleType
from typing import NoReturn, Sequence

from bench.model import BenchError

COMMANDS = ("list", "plan", "run", "table", "explain", "report", "compare", "fit", "calibrate", "ab", "noise")
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is a single line (and still exit code 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def command_module(name: str) -> ModuleType:
    """The module of one command, bench.cli.NAME: its add_parser(subparsers) and run(args) (asv's layout)."""
    return importlib.import_module(f"bench.cli.{name}")


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="bench", description="Measure how Python code scales across cores.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    subparsers.required = True
    for name in COMMANDS:
        command_module(name).add_parser(subparsers)
    return parser


def environment_error(exc: OSError) -> str:
    """One line for an OSError that reached the top: which file, what went wrong, what to do."""
    from bench.output_file import os_error_text

    where = f"{exc.filename}: " if exc.filename else "cannot write output: "
    return f"{where}{os_error_text(exc)} (check the path, its permissions and free space)"


def _drop_stdout() -> None:
    """After stdout failed, point it at /dev/null so the flush at exit cannot fail a second time.

    Only for the process's own stdout: under a test's captured stream there is nothing to drop.
    """
    if sys.stdout is not sys.__stdout__ or sys.stdout is None:
        return
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def stray_threads() -> list[threading.Thread]:
    """Non-daemon threads still running besides the main one: an imported task module started them."""
    return [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]


def leave(code: int) -> int:
    """Return ``code``, or exit with it now when a thread would keep the process alive.

    ``--task``, ``--inputs`` and ``--workload-module`` import the user's modules in
    this process to check them; one that starts a non-daemon thread on import would
    make the normal exit wait for it forever (and ``bench.run``, whose child this
    is, never return).  The case processes already exit past such threads; so does
    this one: what a normal exit runs (atexit handlers, flushing), then ``os._exit``.
    """
    stray = stray_threads()
    if not stray:
        return code
    names = ", ".join(sorted(t.name for t in stray))
    print(f"bench: not waiting for {len(stray)} non-daemon thread(s) started by an imported module ({names})",
          file=sys.stderr)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``bench`` command; as the process's own entry (no ``argv``), it exits past stray threads."""
    code = _dispatch(argv)
    return leave(code) if argv is None else code


def _dispatch(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        code = int(args.func(args))
        sys.stdout.flush()  # a full device on stdout shows here, not as a traceback at exit
        return code
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `bench table ... | head` is fine
        _drop_stdout()
        return 0
    except OSError as exc:  # the environment, not a bug of ours
        _drop_stdout()
        print(f"bench: error: {environment_error(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug of ours: say so in one line unless asked for more
        if os.environ.get("BENCH_DEBUG"):
            raise
        print(f"bench: internal error: {type(exc).__name__}: {exc} (BENCH_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL
