"""Known-truth checks (bench.demos.truth): the exact sleep truths and when a check is violated."""
from __future__ import annotations

import pytest

from bench.demos.truth import Check, checks, sleep_floor, sleep_truth

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)


def test_sleep_truths_match_hand_computed_rounds():
    assert sleep_truth(10, [1] * 10, 2) == 2.0  # 5 rounds of one sleep
    assert round(sleep_truth(10, [2] * 5, 2), 3) == 1.667  # 5 chunks of 2 -> 3 rounds of 2 sleeps
    assert sleep_truth(8, [1] * 8, 4) == 4.0 and sleep_truth(3, [1] * 3, 2) == 1.5


def test_a_check_is_violated_only_when_the_whole_interval_is_outside():
    assert Check("c", "t", 1.6, 2.0, 1.5, 1.4, 1.59).violated  # entirely below the floor
    assert Check("c", "t", 0.0, 1.0, 1.1, 1.01, 1.2).violated  # entirely above the ceiling
    assert not Check("c", "t", 0.0, 1.0, 1.01, 0.98, 1.04).violated  # covers the truth


def _row(**fields):
    row = {"workload": "fib", "params": "k=27,n=8", "strategy": "processes", "cores": 2, "workers": 2,
           "mode": "warm", "bound": "cpu", "ok": True, "speedup": 1.8, "median_s": 0.15, "speedup_ci_low": 1.7,
           "speedup_ci_high": 1.9, "python": "3.11.7 (GIL enabled)"}
    return {**row, **fields}


def test_truths_that_apply_to_a_row():
    names = {c.truth for c in checks([_row()])}
    assert names == {"p-cores", "8-equal"}
    one_core = checks([_row(strategy="threads", cores=1, workers=1)])
    assert {c.truth for c in one_core} == {"p-cores", "one-core", "gil-threads"}
    assert [c.low for c in one_core if c.truth == "one-core"] == [0.9]
    assert {c.truth for c in checks([_row()], neighbour=True)} == {"p-cores"}  # no idle-core floor
    sleep = checks([_row(workload="sleep", params="n=10,seconds=0.05", strategy="threads", bound="io-latency",
                         workers=4, speedup=3.3, speedup_ci_low=3.2, speedup_ci_high=3.4)])
    # floor: 0.15 s of rounds plus the 10 ms dispatch allowance per cycle
    assert [(c.truth, round(c.low, 3), round(c.high, 3)) for c in sleep] == [("sleep", 3.125, 3.333)]


def test_floors_are_not_checked_for_tasks_too_short_for_dispatch_to_be_free():
    short = _row(median_s=0.02)  # 1.8 x 0.02 / 8 = 4.5 ms of serial work per task
    assert {c.truth for c in checks([short])} == {"p-cores"}
    sleep = checks([_row(workload="sleep", params="n=8,seconds=0.01", strategy="threads", bound="io-latency",
                         median_s=0.04, workers=2, speedup=1.9)])
    assert [(c.truth, c.low) for c in sleep] == [("sleep", 0.0)]


def test_the_sleep_floor_allows_one_dispatch_allowance_per_cycle():
    # 10 sleeps of 30 ms on 4 workers: 3 rounds, 90 ms; dask-threads took 95.3 ms timed on its own
    floor = sleep_floor(sleep_truth(10, [1] * 10, 4), 10, 0.03)
    assert round(floor, 3) == 3.0 and floor < 0.3017 / 0.0953 < 10 / 3
    assert sleep_floor(2.0, 10, 0.0) == 0.0  # no sleep, no floor


def test_cases_below_an_idle_core_floor_are_counted_flagged_or_not():
    from bench.demos.truth import flagged

    below = dict(speedup=0.97, speedup_ci_low=0.94, speedup_ci_high=1.01, median_s=0.25)
    rows = [_row(**below, disturbed=True), _row(strategy="pool-map", **below, disturbed=False), _row(disturbed=False)]
    text = flagged(rows)
    assert text.startswith("disturbed: 1 of 3 cases (1 of 3 parallel); 2 cases below an idle-core floor, 1 of them not")
    assert "UNFLAGGED 8-equal: fib[k=27,n=8]/pool-map/" in text and text.count("UNFLAGGED") == 1


def test_a_scheduler_that_pays_per_task_gets_its_allowance_per_task():
    """dask's multiprocessing scheduler: 16 sleeps of 100 ms on 2 workers took 816.7 ms timed on its own."""
    row = dict(workload="sleep", params="n=16,seconds=0.1", bound="io-latency", median_s=0.8167, workers=2,
               speedup=1.96, speedup_ci_low=1.949, speedup_ci_high=1.970)
    dask = checks([_row(strategy="dask-processes", **row)])
    pool = checks([_row(strategy="pool-map", **row)])
    assert [c.truth for c in dask] == ["sleep"] and dask[0].low < 1.949 < pool[0].low
