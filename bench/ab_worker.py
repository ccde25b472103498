"""One side of an interleaved A/B case: a long-lived process that times one cycle per request.

    python -c "$(cat bench/ab_worker.py)" SPEC.json      (how bench.ab starts it)

The driver (``bench.ab``) starts one of these for side A and one for side B,
both pinned to the same CPUs, and asks them for cycles in turn, so slow drift
of the machine lands on both sides alike.  The driver passes this file's
*source* with ``-c`` rather than ``-m bench.ab_worker``: a side whose
PYTHONPATH points at another checkout (an older commit, say) then imports that
checkout's workloads and strategies, while the protocol is always this one.
So it imports only long-standing APIs of the code under test (registry,
equality, metadata, StrategyOptions).

Protocol, one JSON object per line, requests on stdin, replies on the original
stdout (fd 1 is re-pointed at stderr first, so a print in a workload or a
worker process cannot corrupt the channel):
  after set-up        {"ready": true} | {"ready": false, "error": "..."}
  "cycle"             {"value": seconds} | {"error": "..."}
  "stop"              {"metrics": {...}, "metadata": {...}, "fingerprints": [...]}, then exit
A cycle is what ``bench.timing`` times: ``map`` in warm mode, ``start+map+close``
in cold mode; results are checked against serial outside the timed region.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, TextIO


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _channel() -> TextIO:
    """Keep the real stdout for replies; send everything else printed to stderr."""
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return reply


def _send(reply: TextIO, message: dict[str, Any]) -> None:
    reply.write(json.dumps(message) + "\n")
    reply.flush()


class Side:
    """The workload and strategy of one case, set up once and cycled on request."""

    def __init__(self, spec: dict[str, Any]) -> None:
        from bench import registry
        from bench.model import StrategyOptions

        for module in spec.get("workload_modules", []):
            registry.import_workload_module(module)
        for module in spec.get("strategy_modules", []):
            getattr(registry, "import_strategy_module", lambda name: None)(module)
        self.case = spec["case"]
        self.workload = registry.get_workload(self.case["workload"])
        self.tasks = self.workload.make_tasks(self.case["params"])
        options = StrategyOptions(workers=self.case["workers"], start_method=self.case.get("start_method"),
                                  scheduler=spec.get("scheduler"), cores=tuple(spec["cpus"]))
        self.strategy = registry.get_strategy(self.case["strategy"])(options)
        self.expected = spec.get("expected")
        self.results: list[Any] = []
        self.warm = self.case["mode"] == "warm"
        if self.warm:
            self.strategy.start()

    def _cycle(self) -> list[Any]:
        if self.warm:
            return self.strategy.map(self.workload.task, self.tasks)
        self.strategy.start()
        try:
            return self.strategy.map(self.workload.task, self.tasks)
        finally:
            self.strategy.close()

    def cycle(self, clock: Callable[[], float] = time.perf_counter) -> float:
        """Time one cycle; raise ValueError when its results differ from serial."""
        from bench.equality import explain_mismatch, fingerprints

        start = clock()
        results = self._cycle()
        elapsed = clock() - start
        if self.expected is not None:
            problem = explain_mismatch(self.expected, fingerprints(results))
            if problem:
                raise ValueError(problem)
        self.results = results
        return elapsed

    def finish(self) -> dict[str, Any]:
        from bench.equality import fingerprints
        from bench.metadata import case_metadata

        if self.warm:
            self.strategy.close()
        metrics = dict(self.workload.summarize(self.case["params"], self.results))
        ideal = self.workload.ideal_seconds(self.case["params"], self.case["workers"])
        if ideal is not None:
            metrics["ideal_seconds"] = ideal
        metadata = {**case_metadata(), **self.strategy.describe(), "n_tasks": len(self.tasks)}
        return {"metrics": metrics, "metadata": metadata, "fingerprints": fingerprints(self.results)}


def serve(spec: dict[str, Any], requests: TextIO, reply: TextIO) -> None:
    try:
        side = Side(spec)
    except BaseException as exc:  # set-up failed: say why, in one line
        _send(reply, {"ready": False, "error": _one_line(exc), "traceback": traceback.format_exc()})
        return
    _send(reply, {"ready": True})
    for line in requests:
        command = line.strip()
        if command == "cycle":
            try:
                _send(reply, {"value": side.cycle()})
            except BaseException as exc:
                _send(reply, {"error": _one_line(exc)})
        elif command == "stop":
            try:
                _send(reply, side.finish())
            except BaseException as exc:
                _send(reply, {"error": _one_line(exc)})
            return


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    if spec.get("cpus") and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, spec["cpus"])
    serve(spec, sys.stdin, _channel())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
