"""The machine's speed over a run, from the reference cycles; the drift warning; the nearest ceiling."""
from __future__ import annotations

import pytest

from bench.machine import ceiling, drift
from bench.testing import make_result

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)


def _case(strategy, reference, starts, workload="fib", bound="cpu", workers=1):
    return make_result([r / 1.5 for r in reference], reference=reference, strategy=strategy, workload=workload,
                       workers=workers, metadata={"value_starts": starts, "bound": bound})


def _steady_then_slow(slow=1.0):
    """Ten cases a minute apart; from the sixth on the machine is ``slow`` times slower."""
    return [_case("threads", [1.0 * (slow if i >= 5 else 1.0)] * 4, [1000.0 + 60 * i + j for j in range(4)],
                  workers=i + 1) for i in range(10)]


def test_a_steady_machine_gives_no_warning():
    found = drift.drift(_steady_then_slow())
    assert found.movement == 0.0 and drift.warning(found) is None
    assert all(point.speed == 1.0 for point in found.points)


def test_a_machine_that_slowed_by_a_fifth_is_warned_about_in_words():
    found = drift.drift(_steady_then_slow(1.25))
    assert found.movement is not None and abs(found.movement - 0.25) < 1e-9
    text = drift.warning(found)
    assert text is not None and "moved by 25%" in text and "UTC" in text and "pairs" in text


def test_sleep_cycles_do_not_hide_cpu_drift():
    cases = _steady_then_slow(1.25) + [_case("threads", [0.1] * 4, [2000.0 + j for j in range(4)],
                                             workload="sleep", bound="io", workers=i + 1) for i in range(30)]
    assert abs(drift.drift(cases).movement - 0.25) < 1e-9


def test_millisecond_cycles_do_not_read_as_machine_drift():
    """square's 1 ms reference loop swings 0.7-1.2 with the pool's threads beside it; fib's 60 ms loop is steady."""
    square = [_case("pool-async", [0.001 * (1.4 if i % 2 else 1.0)] * 4, [3000.0 + 60 * i + j for j in range(4)],
                    workload="square", workers=i + 1) for i in range(10)]
    found = drift.drift(_steady_then_slow() + square)
    assert found.movement == 0.0 and drift.warning(found) is None
    assert drift.MIN_CYCLE_S > 0.001

def test_the_calibrations_at_both_ends_are_compared():
    start = {"cpu_loop_iterations": 100, "raw": {"cpu": {"1": [[1.0]]}}, "summary": {"cpu": {"2": {"value": 1.9}}}}
    end = {"cpu_loop_iterations": 100, "raw": {"cpu": {"1": [[1.3]]}}, "summary": {"cpu": {"2": {"value": 1.4}}}}
    moves = drift.calibration_moves({**start, "end": end})
    assert moves == ("CPU ceiling at 2 cores x1.90 -> x1.40", "single-core speed -23%")
    assert "calibrations before and after" in drift.warning(drift.drift([], {**start, "end": end}))


def test_unstamped_cases_are_left_out():
    assert drift.drift([make_result([1.0, 1.0], reference=[1.0, 1.0])]).points == ()


def _calibration(date, ratio):
    return {"date": date, "raw": {"cpu": {"1": [[1.0]] * 5, "2": [[ratio, ratio]] * 5}}, "summary": {}}


def test_efficiency_uses_the_ceiling_reading_nearest_the_case():
    found = [(1000.0, {"cpu": {2: ceiling.Ceiling("cpu", 2, 1.9, 1.9, 1.8, 2.0, 1.8, 2.0, 5)}}),
             (5000.0, {"cpu": {2: ceiling.Ceiling("cpu", 2, 1.4, 1.4, 1.3, 1.5, 1.3, 1.5, 5)}})]
    early = make_result([0.6] * 4, workers=2, cores=2, metadata={"value_starts": [1100.0] * 4, "bound": "cpu"})
    late = make_result([0.6] * 4, workers=2, cores=2, metadata={"value_starts": [4900.0] * 4, "bound": "cpu"})
    assert ceiling.columns(early, None, 1.7, found)["ceiling"] == 1.9
    columns = ceiling.columns(late, None, 1.7, found)
    assert columns["ceiling"] == 1.4 and columns["efficiency_vs_ceiling"] > 1
    assert "noisy" in columns["ceiling_note"] and "x1.90, x1.40" in columns["ceiling_note"]


def test_a_case_without_stamps_takes_the_first_reading():
    found = [(1000.0, {"cpu": {}}), (5000.0, {"cpu": {2: None}})]
    assert ceiling.nearest(found, None) == {"cpu": {}}
    assert ceiling.nearest([(None, {"cpu": {}})], 3.0) == {"cpu": {}}
