"""The task-size bound against hand-computed schedules, and each strategy's dispatch."""
from __future__ import annotations

import pytest

from bench import registry
from bench.analysis import taskbound
from bench.strategies.base import dispatch_sizes

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)

SLEEPS = [0.1] * 10
PHI = (1 + 5 ** 0.5) / 2
FIB = [PHI ** k for k in range(20)]  # seed-style fib(0..19): each task ~phi times the last


def test_each_task_is_timed_once_with_the_given_clock():
    ticks = iter([0.0, 1.0, 1.0, 3.0])
    seen = []
    assert taskbound.task_seconds(seen.append, ["a", "b"], clock=lambda: next(ticks)) == [1.0, 2.0]
    assert seen == ["a", "b"]


def test_ten_sleeps_per_task_on_two_workers_is_x2():
    assert taskbound.schedule_speedup(SLEEPS, [1] * 10, 2) == pytest.approx(2.0)


def test_ten_sleeps_in_chunks_of_two_on_two_workers_is_three_rounds():
    assert taskbound.makespan(taskbound.chunk_seconds(SLEEPS, [2] * 5), 2) == pytest.approx(0.6)
    assert taskbound.schedule_speedup(SLEEPS, [2] * 5, 2) == pytest.approx(1 / 0.6)


def test_chunks_go_to_the_next_free_worker_in_order():
    # 3, 1, 1, 1 on 2 workers: 3 | 1,1,1 -> both finish at 3
    assert taskbound.makespan([3, 1, 1, 1], 2) == 3
    # in order 1, 1, 3: the 3 starts at 1 -> 4; largest first would be 3
    assert taskbound.makespan([1, 1, 3], 2) == 4


def test_the_largest_fib_task_caps_any_worker_count():
    share = max(FIB) / sum(FIB)
    assert share == pytest.approx(0.382, abs=0.001)
    for workers in (2, 4, 8, 64):
        bound = taskbound.task_bound(FIB, [1] * len(FIB), workers)
        assert bound.per_task <= 1 / share + 1e-9 and bound.largest_first <= 1 / share + 1e-9
    assert taskbound.task_bound(FIB, [1] * len(FIB), 64).largest_first == pytest.approx(2.6, abs=0.05)


def test_a_chunk_that_holds_the_largest_tasks_lowers_the_bound():
    sizes = dispatch_sizes("pool-chunks", len(FIB), 2)  # 3 per chunk: the last holds fib(18), fib(19)
    chunked = taskbound.task_bound(FIB, sizes, 2)
    assert chunked.speedup < chunked.per_task


def test_unknown_dispatch_or_no_work_has_no_bound():
    assert taskbound.task_bound(SLEEPS, None, 2) is None
    assert taskbound.task_bound([0.0, 0.0], [1, 1], 2) is None
    assert taskbound.task_bound(SLEEPS, [3, 3], 2) is None  # sizes do not cover the tasks


def test_readings_say_what_lifts_the_bound():
    chunked = taskbound.task_bound(SLEEPS, [2] * 5, 2)
    text = taskbound.reading(chunked, p=2, measured=1.6)
    assert "not the strategy, are the limit" in text and "chunks of 1 would allow x2.0" in text
    fib = taskbound.task_bound(FIB, [1] * len(FIB), 4)
    assert "one task is 38% of all work: split it" in taskbound.reading(fib, p=4, measured=2.5)


def test_a_bound_far_above_the_measured_speedup_is_not_the_limit():
    chunked = taskbound.task_bound(SLEEPS, [2] * 5, 2)
    assert not taskbound.is_limit(chunked, 2, 1.0)
    assert "limit" not in taskbound.reading(chunked, 2, 1.0)
    assert not taskbound.is_limit(taskbound.task_bound(SLEEPS, [1] * 10, 2), 2, 2.0)  # x2 is p: no loss


def test_uneven_task_counts_say_so():
    bound = taskbound.task_bound([1.0] * 3, [1] * 3, 2)
    assert bound.speedup == pytest.approx(1.5)
    assert "3 tasks do not spread evenly over 2 workers" in taskbound.reading(bound, 2, 1.5)


@pytest.mark.parametrize("rule,n,workers,expected", [
    ("task", 3, 2, [1, 1, 1]), ("pool-chunks", 10, 2, [2, 2, 2, 2, 2]), ("pool-chunks", 37, 2, [5] * 7 + [2]),
    ("partitions", 10, 2, [2] * 5), ("partitions", 3, 4, [1, 1, 1]), ("adaptive", 10, 2, None), ("task", 0, 2, []),
])
def test_dispatch_rules(rule, n, workers, expected):
    assert dispatch_sizes(rule, n, workers) == expected


@pytest.mark.parametrize("name,rule", [("serial", "task"), ("threads", "task"), ("pool-async", "task"),
                                       ("pool-map", "pool-chunks"), ("process-pool", "pool-chunks"),
                                       ("processes", "pool-chunks"), ("joblib", "adaptive"),
                                       ("joblib-auto", "adaptive"), ("dask-threads", "partitions")])
def test_strategies_declare_how_they_dispatch(name, rule):
    strategy = registry.get_strategy(name)
    assert strategy.dispatch_rule == rule
    assert strategy.dispatch(10, 2) == dispatch_sizes(rule, 10, 2)


def test_a_stored_case_uses_its_recorded_dispatch_first_then_its_strategy():
    assert taskbound.case_dispatch("pool-map", {"dispatch_sizes": [4, 4, 2]}, 10, 2) == [4, 4, 2]
    assert taskbound.case_dispatch("pool-map", {}, 10, 2) == [2] * 5
    assert taskbound.case_dispatch("no-such-strategy", {}, 10, 2) is None
    assert taskbound.stored_task_seconds({"task_seconds": [0.1, "x"]}) is None
    assert taskbound.stored_task_seconds({}) is None
