"""Entry point of the fresh process that measures one case.

    python -m bench.entrypoints.case_process SPEC.json OUT.json

The runner starts it pinned to the case's CPUs with the case's environment
(thread limits), usually as a child forked by :mod:`bench.execute.launcher` that calls
:func:`main`, else as a new interpreter.  It pins itself again first thing (so
even a spawn-started worker inherits the mask), then hands the case to the
measuring core (:func:`bench.measure.core.measure_case`): a parallel case takes
its values in pairs with a serial reference cycle, until the paired speed-up is
precise enough (``bench.analysis.stats.paired_halfwidth``) or its budget is spent, and
writes one JSON answer.  Anything that goes wrong becomes ``ok: false`` with a
one-line reason: the runner never has to parse a traceback.
"""
from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, Mapping, NoReturn

from bench.measure.core import CASE, REFERENCE, ArmRecord, measure_case, one_line
from bench.output_file import write_atomically


def _pin(cpus: list[int]) -> None:
    if cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cpus)


def paired_precision(records: Mapping[str, ArmRecord]) -> float:
    """The stopping rule of a (reference, case) pair: the relative half-width of its speed-up."""
    from bench.analysis.stats import paired_halfwidth

    if REFERENCE not in records or any(record.error for record in records.values()):
        return float("inf")
    return paired_halfwidth(records[REFERENCE].values, records[CASE].values)


def _spec(path: str) -> dict[str, Any]:
    spec = json.loads(Path(path).read_text())
    if spec.get("expected_path"):  # large fingerprint lists travel as a file
        spec["expected"] = json.loads(Path(spec["expected_path"]).read_text())
    return spec


def main(argv: list[str]) -> int:
    spec_path, out_path = argv
    spec = _spec(spec_path)
    _pin(spec.get("cpus", []))
    try:
        answer = measure_case(spec, paired_precision)
    except BaseException as exc:  # the case failed; the matrix goes on
        answer = {"ok": False, "error": one_line(exc), "traceback": traceback.format_exc(),
                  "values": [], "warmups": [], "metrics": {}, "metadata": {}}
    write_atomically(Path(out_path), json.dumps(answer))
    return 0


def exit_as_worker(code: int) -> NoReturn:
    """Exit as a multiprocessing worker does: what a normal exit runs for the case, then ``os._exit``.

    Non-daemon threads are joined (a thread that never ends keeps the case alive,
    and the runner records it as lingering) and atexit handlers run (a pool's
    clean-up), as at a normal exit.  What is skipped is tearing down every module
    the launcher preloaded (numpy, pandas, scipy, dask): 0.4 s per case, a sixth of
    the quick matrix, spent on nothing the case needs.
    """
    threading._shutdown()  # type: ignore[attr-defined]  # the join a normal exit starts with
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_as_worker(main(sys.argv[1:]))
