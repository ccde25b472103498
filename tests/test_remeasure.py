"""Re-measuring disturbed cases, with a fake clock, a fake probe and a fake measurer."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bench.execute.remeasure import Policy, Remeasure, disturbed
from bench.testing import FakeClock, foreign_metrics, make_result

pytestmark = pytest.mark.unit


def case(share: float, strategy: str = "processes", seconds: float = 10.0):
    return make_result([0.1, 0.1], reference=[0.2, 0.2], strategy=strategy, metrics=foreign_metrics(share),
                       metadata={"case_process_s": seconds, "value_starts": [1.0, 2.0]})


def remeasurer(cases, shares, probes, clock, policy=None):
    """A Remeasure whose measurer returns a case with the next share, and whose probe reads ``probes``."""
    shares, probes, saved, measured = iter(shares), iter(probes), [], []

    def measure(c):
        measured.append(c.key)
        share = next(shares)
        return replace(case(share), values=(0.11, 0.11), case=c)

    def probe(cpus, window):
        clock.now += window
        return next(probes)
    job = Remeasure(cases, measure, lambda c: [0, 1], lambda: saved.append(1), policy=policy or Policy(), probe=probe,
                    clock=clock)
    return job, measured, saved


def test_a_disturbed_case_is_measured_again_once_quiet_and_keeps_its_first_values():
    cases = [case(0.02, "serial"), case(0.48)]
    clock = FakeClock()
    job, measured, saved = remeasurer(cases, shares=[0.03], probes=[0.5, 0.5, 0.01], clock=clock)
    assert job.run() == 1
    assert measured == [cases[1].case.key] and saved == [1]
    assert clock.now == pytest.approx(1.5)  # it waited for the quiet probe
    new = cases[1]
    assert not disturbed(new) and new.values == (0.11, 0.11)
    (first,) = new.metadata["earlier_attempts"]
    assert first["values"] == [0.1, 0.1] and first["reference"] == [0.2, 0.2]
    assert first["note"] == "another process used 48 % of cores 0-1 during this case"


def test_a_case_that_stays_disturbed_is_tried_a_bounded_number_of_times():
    cases = [case(0.48)]
    job, measured, _ = remeasurer(cases, shares=[0.5, 0.5, 0.5], probes=[0.0] * 5, clock=FakeClock(),
                                  policy=Policy(attempts=2))
    assert job.run() == 2 and len(measured) == 2
    assert disturbed(cases[0]) and len(cases[0].metadata["earlier_attempts"]) == 2


def test_a_machine_that_never_gets_quiet_stops_the_re_measuring():
    cases = [case(0.48), case(0.5)]
    clock = FakeClock()
    job, measured, _ = remeasurer(cases, shares=[], probes=[0.6] * 1000, clock=clock,
                                  policy=Policy(quiet_wait_s=30.0, probe_s=0.5))
    assert job.run() == 0 and measured == []
    assert 30.0 <= clock.now <= 31.0  # one wait, not one per case
    assert all(disturbed(c) and "earlier_attempts" not in c.metadata for c in cases)


def test_the_budget_is_a_share_of_the_matrix_own_time():
    cases = [case(0.48, seconds=1.0), case(0.5, seconds=1.0)]
    clock = FakeClock()
    job, measured, _ = remeasurer(cases, shares=[0.0, 0.0], probes=[0.0] * 10, clock=clock,
                                  policy=Policy(budget_share=0.5, min_budget_s=0.0, probe_s=1.5))
    job.run()  # the first probe alone spends the 1 s budget: the first case is measured, the second not
    assert len(measured) == 1


def test_a_small_matrix_still_gets_the_minimum_budget():
    cases = [case(0.48, seconds=1.0), case(0.5, seconds=1.0)]
    job, measured, _ = remeasurer(cases, shares=[0.0, 0.0], probes=[0.0] * 10, clock=FakeClock(),
                                  policy=Policy(budget_share=0.5, min_budget_s=60.0, probe_s=1.5))
    job.run()
    assert len(measured) == 2


def test_a_failed_re_measure_keeps_the_first_result():
    cases = [case(0.48)]
    job = Remeasure(cases, lambda c: replace(cases[0], ok=False, error="timed out"), lambda c: [0], lambda: None,
                    policy=Policy(attempts=1), probe=lambda cpus, s: 0.0, clock=FakeClock())
    assert job.run() == 1
    assert cases[0].ok and "earlier_attempts" not in cases[0].metadata


def test_the_environment_can_turn_re_measuring_off(monkeypatch):
    from bench.execute import remeasure

    monkeypatch.setenv("BENCH_REMEASURE", "0")
    cases = [case(0.48)]
    job = Remeasure(cases, lambda c: pytest.fail("measured"), lambda c: [0], lambda: None)
    assert job.policy.attempts == 0 and job.run() == 0
    monkeypatch.setenv("BENCH_REMEASURE", "many")
    assert remeasure.policy_from_env() == Policy()


def test_under_a_run_budget_only_a_re_measure_that_fits_is_started():
    """A budgeted run (limit_s) starts no re-measure whose first measurement took longer than what is left."""
    cases = [case(0.48, "processes", seconds=5.0), case(0.5, "threads", seconds=1.0)]
    clock = FakeClock()
    job, measured, _ = remeasurer(cases, shares=[0.0, 0.0], probes=[0.0] * 10, clock=clock,
                                  policy=Policy(min_budget_s=100.0, probe_s=0.1))
    job.limit_s = 3.0
    job.run()
    assert measured == [cases[1].case.key]
