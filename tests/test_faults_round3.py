"""Faults, round three (issue 29): the newer surfaces (API, --task, resume, examples) lose no file,
hang on nothing, and never split or hide a workload."""
from __future__ import annotations

from bench import api
from bench.analysis.explain import explain
from bench.testing import make_result, make_results

PY = {"python_version": "3.11.7", "python_gil": "enabled"}


# ---------------------------------------------------------------- item 1: a failed case splits the workload

def split_run():
    """serial and threads/1 measured (with metadata); threads/2 failed in its workers (no metadata)."""
    return make_results([
        make_result([1.0, 1.01, 0.99], strategy="serial", cores=1, workers=1, metadata=PY),
        make_result([0.9, 0.91, 0.89], strategy="threads", cores=1, workers=1, metadata=PY),
        make_result([1.0, 1.01, 0.99], strategy="serial", cores=2, workers=1, metadata=PY),
        make_result([], ok=False, error="ValueError: boom in worker", strategy="threads", cores=2, workers=2),
    ])


def test_a_failed_case_is_counted_in_its_workload_not_a_second_one():
    verdict = api.Results(split_run()).verdict()
    assert list(verdict["workload"]) == ["fib"]
    assert list(verdict["failed_cases"]) == [1]
    assert [why.label for why in explain(split_run())] == ["fib"]
