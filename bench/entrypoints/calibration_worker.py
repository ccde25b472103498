"""One calibration worker process: runs fixed work on request and answers how long it took.

    python -m bench.entrypoints.calibration_worker ARRAY_ELEMENTS

Started by ``bench.machine.calibrate`` already pinned to one CPU (or, for spawn costs, to the
run's CPUs).  Protocol: one JSON object per line on stdin, one JSON answer per line on
stdout; EOF or ``{"op": "stop"}`` ends it.  Only the stdlib is imported up front so
that a ``spawn`` child started from here (which imports this module) stays cheap; numpy
is imported only when arrays are asked for.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import sys
import threading
import time
from typing import Any, Callable


def spin(n: int) -> int:
    """The fixed pure-Python loop of the CPU ceiling: integer arithmetic, no allocation to speak of."""
    total = 0
    for i in range(n):
        total += i % 7
    return total


class Triad:
    """a = b + s*c over arrays far larger than the last-level cache (STREAM's triad, two ufunc passes)."""

    def __init__(self, elements: int) -> None:
        import numpy as np

        self.a = np.zeros(elements)  # zeros + the fills below touch every page before timing
        self.b = np.full(elements, 1.0)
        self.c = np.full(elements, 2.0)
        self.np = np

    def run(self, passes: int) -> None:
        for _ in range(passes):
            self.np.multiply(self.c, 3.0, out=self.a)
            self.np.add(self.a, self.b, out=self.a)


def _noop() -> None:
    pass


def _timed(start: Callable[[], Any], repetitions: int) -> list[float]:
    times = []
    for _ in range(repetitions):
        began = time.perf_counter()
        worker = start()
        worker.start()
        worker.join()
        times.append(time.perf_counter() - began)
    return times


def spawn_costs(repetitions: int, thread_repetitions: int) -> dict[str, list[float]]:
    """Start + join of one do-nothing process (default method and spawn) and one thread."""
    default = multiprocessing.get_context()
    found = {f"process_{default.get_start_method()}": _timed(lambda: default.Process(target=_noop), repetitions)}
    if default.get_start_method() != "spawn":
        spawn = multiprocessing.get_context("spawn")
        found["process_spawn"] = _timed(lambda: spawn.Process(target=_noop), repetitions)
    found["thread"] = _timed(lambda: threading.Thread(target=_noop), thread_repetitions)
    _stop_helpers()
    return found


def _stop_helpers() -> None:
    """spawn starts a resource tracker (and forkserver a server): stop them so nothing outlives us."""
    from multiprocessing import resource_tracker

    for helper in (getattr(resource_tracker, "_resource_tracker", None),
                   getattr(getattr(multiprocessing, "forkserver", None), "_forkserver", None)):
        stop = getattr(helper, "_stop", None)
        if stop is not None:
            try:
                stop()
            except Exception:  # best effort: the parent kills our process group anyway
                pass


def _answer(request: dict[str, Any], triad: Triad | None) -> dict[str, Any]:
    op = request["op"]
    if op == "spawn_costs":
        return {"samples": spawn_costs(request["repetitions"], request["thread_repetitions"])}
    began = time.perf_counter()
    if op == "spin":
        spin(request["n"])
    elif op == "triad" and triad is not None:
        triad.run(request["passes"])
    else:
        raise ValueError(f"unknown request {op!r}")
    return {"seconds": time.perf_counter() - began}


def main(argv: list[str]) -> int:
    elements = int(argv[0]) if argv else 0
    triad = Triad(elements) if elements > 0 else None
    out = sys.stdout
    out.write(json.dumps({"ready": True, "cpus": sorted(os.sched_getaffinity(0))}) + "\n")
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("op") == "stop":
            break
        try:
            answer = _answer(request, triad)
        except Exception as exc:  # tell the parent in one line rather than dying silently
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(answer) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
