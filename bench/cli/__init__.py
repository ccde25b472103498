"""The command line: argparse only (asv's layout).

``main`` parses, calls the Python API and picks the exit code; one module per
command (``bench/cli/run.py``, ...) holds its ``add_parser`` and ``run(args)``.
"""
from bench.cli.main import main

__all__ = ["main"]
