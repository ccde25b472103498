"""Budget accounting with a fake clock: parsing, the day's pace, what the time left affords."""
from __future__ import annotations

import pytest

from bench.analysis.budget import PACE_LIMITS, Budget, parse_duration
from bench.model import BenchError
from bench.testing import FakeClock

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text, seconds", [("90s", 90.0), ("3m", 180.0), ("1h", 3600.0), ("150", 150.0),
                                           ("2.5min", 150.0), (" 10M ", 600.0), ("none", None), ("None", None)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "3 parsecs", "-1s", "0", "1h30", "abc"])
def test_bad_durations_are_one_line_errors(text):
    with pytest.raises(BenchError, match="--budget"):
        parse_duration(text)


def test_the_clock_runs_from_the_start_and_the_pace_follows_what_work_really_cost():
    clock = FakeClock(100.0)
    budget = Budget(60.0, clock)
    assert budget.remaining() == 60.0 and budget.pace == 1.0
    clock.now += 20.0
    assert budget.elapsed() == 20.0 and budget.remaining() == 40.0
    budget.record(estimated_s=10.0, actual_s=15.0)  # a slow day: 1.5x the estimates
    assert budget.pace == pytest.approx(1.5)
    assert budget.scaled(10.0) == pytest.approx(15.0)
    assert budget.affords(20.0) and not budget.affords(30.0)  # 30 s estimated is 45 s today; 40 s are left
    assert not budget.affords(20.0, reserve_s=15.0)


def test_a_start_given_from_before_counts_what_came_before():
    clock = FakeClock(100.0)
    budget = Budget(60.0, clock, started=clock.now - 10.0)  # the calibration before the runner
    assert budget.remaining() == 50.0


def test_one_odd_case_cannot_make_the_pace_absurd():
    budget = Budget(60.0, FakeClock(100.0))
    budget.record(1.0, 100.0)
    assert budget.pace == PACE_LIMITS[1]
    budget = Budget(60.0, FakeClock(100.0))
    budget.record(100.0, 1.0)
    assert budget.pace == PACE_LIMITS[0]
    budget.record(0.0, 5.0)  # nothing estimated: not counted
    assert budget.actual_s == 1.0
