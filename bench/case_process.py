"""Entry point of the fresh process that measures one case.

    python -m bench.case_process SPEC.json OUT.json

The runner starts it pinned to the case's CPUs with the case's environment
(thread limits), usually as a child forked by :mod:`bench.launcher` that calls
:func:`main`, else as a new interpreter.  It pins itself again first thing (so even a spawn-started
worker inherits the mask), imports the workload and strategy, measures, checks
every cycle's results against serial, and writes one JSON answer.  Anything
that goes wrong becomes ``ok: false`` with a one-line reason: the runner never
has to parse a traceback.
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any


def _pin(cpus: list[int]) -> None:
    if cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cpus)


def _one_line(exc: BaseException) -> str:
    from bench.timing import CaseFailed

    text = str(exc) if isinstance(exc, CaseFailed) else f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _write_json(path: str, data: dict[str, Any]) -> None:
    tmp = Path(path + ".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def measure_case(spec: dict[str, Any]) -> dict[str, Any]:
    from bench import registry
    from bench.equality import explain_mismatch, fingerprints
    from bench.metadata import case_metadata
    from bench.threadlimits import threadpool_metadata
    from bench.model import StrategyOptions
    from bench.timing import TimingPlan, measure
    from bench.cpu_usage import CycleUsage

    for module in spec.get("workload_modules", []):
        registry.import_workload_module(module)
    for module in spec.get("strategy_modules", []):
        registry.import_strategy_module(module)
    case = spec["case"]
    workload = registry.get_workload(case["workload"])
    tasks = workload.make_tasks(case["params"])
    options = StrategyOptions(workers=case["workers"], start_method=case.get("start_method"),
                              scheduler=spec.get("scheduler"), cores=tuple(spec["cpus"]))
    strategy = registry.get_strategy(case["strategy"])(options)
    expected = json.loads(Path(spec["expected_path"]).read_text()) if spec.get("expected_path") else None

    def check(results: list[Any]) -> str | None:
        return explain_mismatch(expected, fingerprints(results)) if expected is not None else None

    plan = TimingPlan(**spec["plan"])
    usage = CycleUsage()  # CPU time per cycle: checks the workload's declared bound
    if case["mode"] == "warm":
        strategy.start()
        try:
            timings = measure(usage.wrap(lambda: strategy.map(workload.task, tasks)), plan, check)
        finally:
            strategy.close()
    else:
        def cold_cycle() -> list[Any]:
            strategy.start()
            try:
                return strategy.map(workload.task, tasks)
            finally:
                strategy.close()
        timings = measure(usage.wrap(cold_cycle), plan, check)
    results = timings.last_results or []
    return {
        "values": list(timings.values),
        "warmups": list(timings.warmups),
        "ok": True,
        "error": "",
        "metrics": {**_metrics(workload, case, results), **usage.metrics()},
        "metadata": {**case_metadata(), **threadpool_metadata(), **strategy.describe(), "bound": workload.bound,
                     "thread_limits": "on" if spec.get("thread_limits", True) else "off",
                     "n_tasks": len(tasks)},
        "fingerprints": fingerprints(results),
    }


def _metrics(workload: Any, case: dict[str, Any], results: list[Any]) -> dict[str, float]:
    metrics = dict(workload.summarize(case["params"], results))
    ideal = workload.ideal_seconds(case["params"], case["workers"])
    if ideal is not None:
        metrics["ideal_seconds"] = ideal
    return metrics


def main(argv: list[str]) -> int:
    spec_path, out_path = argv
    spec = json.loads(Path(spec_path).read_text())
    _pin(spec.get("cpus", []))
    try:
        answer = measure_case(spec)
    except BaseException as exc:  # the case failed; the matrix goes on
        answer = {"ok": False, "error": _one_line(exc), "traceback": traceback.format_exc(),
                  "values": [], "warmups": [], "metrics": {}, "metadata": {}}
    _write_json(out_path, answer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
