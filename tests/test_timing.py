import itertools

import pytest

from bench.timing import CaseFailed, TimingPlan, measure


class FakeClock:
    """Each cycle 'takes' the next duration in the list."""

    def __init__(self, durations):
        self.durations = iter(durations)
        self.now = 0.0
        self.started = False

    def __call__(self):
        if self.started:
            self.now += next(self.durations)
        self.started = not self.started
        return self.now


def test_warmups_are_kept_apart_from_values():
    clock = FakeClock([5.0, 1.0, 2.0, 3.0])
    timings = measure(lambda: [1], TimingPlan(warmups=1, values=3), clock=clock)
    assert timings.warmups == (5.0,)
    assert timings.values == (1.0, 2.0, 3.0)


def test_budget_stops_after_min_values_but_not_before():
    clock = FakeClock(itertools.repeat(1.0))
    timings = measure(lambda: [1], TimingPlan(warmups=1, values=10, min_values=3, budget_seconds=2.0), clock=clock)
    assert len(timings.values) == 3


def test_wrong_results_stop_the_case_with_the_reason():
    calls = itertools.count()

    def cycle():
        return [1, 2] if next(calls) < 2 else [2, 1]

    check = lambda results: None if results == [1, 2] else "results differ from serial: reordered"
    with pytest.raises(CaseFailed, match="reordered"):
        measure(cycle, TimingPlan(warmups=1, values=5), check=check, clock=FakeClock(itertools.repeat(1.0)))


def test_the_last_results_are_returned_for_summaries():
    timings = measure(lambda: ["a"], TimingPlan(warmups=0, values=2), clock=FakeClock(itertools.repeat(1.0)))
    assert timings.last_results == ["a"]
