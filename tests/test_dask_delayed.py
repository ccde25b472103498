"""dask.delayed strategies: one delayed call per task, results in order, and a tiny real run."""
from __future__ import annotations

import dataclasses

import pytest

from bench import registry
from bench.execute.session import RunRequest, run_matrix
from bench.model import StrategyOptions
from workloads.fib import fib_task

NAMES = ("dask-delayed-threads", "dask-delayed-processes")


@pytest.mark.parametrize("name", NAMES)
def test_one_delayed_call_per_task_keeps_order(name, no_leaked_processes):
    strategy = registry.get_strategy(name)(StrategyOptions(workers=2))
    strategy.start()
    try:
        assert strategy.map(fib_task, list(range(12))) == [fib_task(k) for k in range(12)]
    finally:
        strategy.close()
    assert strategy.dispatch(5, 2) == [1, 1, 1, 1, 1]  # the task-size bound schedules single tasks


def test_a_tiny_run_of_both_schedulers_matches_serial(tmp_path, no_leaked_processes):
    request = RunRequest(workloads=("fib",), strategies=("serial", *NAMES), cores=(1,), workers=(2,),
                         modes=("cold", "warm"), sets=("fib.n=4", "fib.k=12"), profile="quick", calibrate=False,
                         progress=False, processes=1, output=tmp_path / "run.json")
    results = run_matrix(dataclasses.replace(request))
    assert sorted({r.case.strategy for r in results.cases}) == sorted(["serial", *NAMES])
    assert all(r.ok for r in results.cases), [r.error for r in results.cases if not r.ok]
