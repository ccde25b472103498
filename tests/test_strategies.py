"""A tiny real run of every strategy: invariants only (equal results, counts, no leaked processes)."""
from __future__ import annotations

import pytest

from bench import registry
from bench.cli import main
from bench.model import StrategyOptions
from bench.storage import load
from bench.strategies.base import pool_chunksize


def square(x: int) -> int:
    return x * x


AVAILABLE = [name for name in registry.strategy_names() if registry.get_strategy(name).unavailable_reason() is None
             and name not in ("dask-distributed", "mpi")]  # have their own tests (a real cluster; MPI in a case
# process: its mpiexec serves this process's MPI until it exits, which an in-process test would call a leak)


@pytest.mark.parametrize("name", AVAILABLE)
def test_strategy_maps_in_order_warm_and_cold(name, no_leaked_processes):
    strategy = registry.get_strategy(name)(StrategyOptions(workers=2))
    tasks = list(range(37))
    strategy.start()
    try:
        assert strategy.map(square, tasks) == [x * x for x in tasks]
        assert strategy.map(square, tasks[:3]) == [0, 1, 4]
    finally:
        strategy.close()
    strategy.start()  # cold again: a closed strategy can be started anew
    try:
        assert strategy.map(square, [3]) == [9]
    finally:
        strategy.close()


@pytest.mark.parametrize("name,expected", [("joblib-threads", 13), ("joblib-auto", "auto")])
def test_joblib_batches_like_pool_map_unless_asked_for_its_auto_batching(name, expected, no_leaked_processes):
    strategy = registry.get_strategy(name)(StrategyOptions(workers=2))
    strategy.start()
    try:
        assert strategy.map(square, list(range(100))) == [x * x for x in range(100)]
        assert strategy._parallel.batch_size == expected  # 100 tasks, 2 workers: Pool.map's 13
        assert strategy.describe()["batching"] == ("chunk" if expected == 13 else "auto")
    finally:
        strategy.close()


@pytest.mark.parametrize("n,workers,expected", [(100, 2, 13), (8, 2, 1), (1, 4, 1), (0, 2, 1)])
def test_pool_chunksize_is_pools_heuristic(n, workers, expected):
    assert pool_chunksize(n, workers) == expected


def test_whole_matrix_of_the_nine_runs_and_agrees_with_serial(tmp_path, no_leaked_processes):
    out = tmp_path / "tiny.json"
    code = main(["run", "--workloads", "square", "--set", "square.n=40", "--cores", "2",
                 "--no-progress", "--no-calibrate", "-o", str(out)])
    assert code == 0
    results = load(out)
    assert results.complete
    assert all(r.ok for r in results.cases), [(r.case.key, r.error) for r in results.cases if not r.ok]
    strategies = {r.case.strategy for r in results.cases}
    assert strategies == set(registry.DEFAULT_STRATEGIES)
    assert {r.case.mode for r in results.cases if not r.case.is_serial} == {"cold", "warm"}
    assert all(len(r.values) >= 3 and r.warmups for r in results.cases)


def test_joblib_with_one_worker_is_labelled_what_ran_and_starts_no_loky(no_leaked_processes):
    strategy = registry.get_strategy("joblib")(StrategyOptions(workers=1))
    strategy.start()
    try:
        assert strategy.map(square, [1, 2]) == [1, 4]
    finally:
        strategy.close()
    described = strategy.describe()
    assert described["backend"] == "sequential" and described["start_method"] == "sequential"
    assert "no loky workers" in described["note"] and not strategy.pickles()
    assert registry.get_strategy("joblib")(StrategyOptions(workers=2)).describe()["start_method"] == "loky"


@pytest.mark.parametrize("name", ["processes", "pool-map", "pool-async", "process-pool"])
def test_an_unpicklable_task_function_is_refused_before_anything_is_sent(name, no_leaked_processes):
    from bench.strategies.base import NotPicklable

    strategy = registry.get_strategy(name)(StrategyOptions(workers=1))
    strategy.start()
    try:
        with pytest.raises(NotPicklable, match="define the task at module level"):
            strategy.map(lambda x: x, [1, 2])
    finally:
        strategy.close()  # must not hang: nothing was sent


def test_cloudpickle_strategies_accept_a_lambda():
    strategy = registry.get_strategy("dask-processes")(StrategyOptions(workers=2))
    strategy.check_picklable(lambda x: x, [1, 2])  # dask pickles with cloudpickle: no refusal
