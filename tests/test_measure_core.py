"""The measuring core: ABBA rounds, pairing, stopping rules (fake arms and clocks, no real time)."""
from __future__ import annotations

import itertools

import pytest

from bench.entrypoints.case_process import paired_precision
from bench.measure.core import (
    ArmRecord,
    CaseArms,
    CaseFailed,
    TimingPlan,
    interleave,
    merge_answers,
    order,
    session_plans,
    settled_arms,
    stop_reason,
)


def fixed_arms(log, seconds):
    """Arms that log their name and return a fixed time each (a fake clock)."""
    def arm(name):
        def cycle():
            log.append(name)
            return seconds[name]
        return cycle
    return {name: arm(name) for name in seconds}


def test_rounds_alternate_which_arm_goes_first():
    log = []
    interleave(fixed_arms(log, {"reference": 1.0, "case": 0.5}), TimingPlan(warmups=1, values=3, min_values=3))
    assert log == ["reference", "case", "case", "reference", "reference", "case", "case", "reference"]
    assert order(0, "abcd") == list("abcd") and order(1, "abcd") == list("dcba")


def test_warmups_are_kept_apart_and_values_pair_up_by_round():
    records, _ = interleave(fixed_arms([], {"reference": 1.0, "case": 0.5}), TimingPlan(warmups=2, values=4))
    assert [len(r.warmups) for r in records.values()] == [2, 2]
    assert [len(r.values) for r in records.values()] == [4, 4]
    assert all(len(r.starts) == 4 for r in records.values())


def test_stamps_come_from_the_injected_clock_in_call_order():
    ticks = itertools.count(100)
    records, _ = interleave(fixed_arms([], {"reference": 1.0, "case": 0.5}), TimingPlan(warmups=0, values=2),
                            stamp=lambda: float(next(ticks)))
    assert records["reference"].starts == [100.0, 103.0] and records["case"].starts == [101.0, 102.0]


def test_a_precise_case_stops_at_the_minimum():
    records, reason = interleave(fixed_arms([], {"reference": 1.0, "case": 0.5}),
                                 TimingPlan(warmups=0, values=50, min_values=4, target=0.03), paired_precision)
    assert reason == "precision" and len(records["case"].values) == 4


def test_a_noisy_case_takes_more_pairs_until_the_budget():
    noise = itertools.cycle([0.5, 0.7, 0.4, 0.8, 0.45])
    arms = {"reference": lambda: 1.0, "case": lambda: next(noise)}
    records, reason = interleave(arms, TimingPlan(warmups=0, values=50, min_values=4, budget_seconds=12.0,
                                                  target=0.03), paired_precision)
    assert reason == "budget" and len(records["case"].values) > 4


def test_the_round_limit_ends_a_case_that_never_gets_precise():
    noise = itertools.cycle([0.5, 0.9])
    arms = {"reference": lambda: 1.0, "case": lambda: next(noise)}
    records, reason = interleave(arms, TimingPlan(warmups=0, values=7, min_values=4, target=0.001), paired_precision)
    assert reason == "max_values" and len(records["case"].values) == 7


def test_a_single_arm_stops_on_its_budget_only():
    records, reason = interleave({"case": lambda: 0.25}, TimingPlan(warmups=1, values=20, min_values=3,
                                                                    budget_seconds=1.0, target=0.03), paired_precision)
    assert reason == "budget" and len(records["case"].values) == 3


def test_a_failing_arm_stops_and_says_why():
    calls = itertools.count()

    def flaky():
        if next(calls) == 2:
            raise CaseFailed("results differ from serial: 1 of 4 wrong (first at index 0)")
        return 0.5
    records, reason = interleave({"reference": lambda: 1.0, "case": flaky}, TimingPlan(warmups=0, values=5))
    assert records["case"].error.startswith("results differ") and len(records["reference"].values) == 5


def test_stop_reason_needs_the_minimum_first():
    records = {"a": ArmRecord(values=[1.0, 1.0]), "b": ArmRecord(values=[1.0, 1.0])}
    assert stop_reason(records, TimingPlan(warmups=0, values=9, min_values=3, budget_seconds=0.0), 99.0,
                       None) is None


SPEC = {"case": {"workload": "sleep", "params": {"n": 3, "seconds": 0.0}, "strategy": "threads", "cores": 1,
                 "workers": 2, "mode": "warm", "start_method": None}, "cpus": [0]}


def test_case_arms_time_with_the_injected_clock_and_check_results():
    ticks = itertools.count(0.0, 0.25)
    arms = CaseArms({**SPEC, "expected": None}, clock=lambda: next(ticks))
    try:
        arms.start()
        assert arms.cycle("reference") == 0.25 and arms.cycle("case") == 0.25
    finally:
        arms.close()
    wrong = CaseArms({**SPEC, "expected": ["0" * 16] * 3})
    with pytest.raises(CaseFailed, match="reference cycle: results differ from serial"):
        wrong.cycle("reference")


def test_each_arm_keeps_its_last_results_alive_until_its_next_cycle():
    """Freed reference results made memory-bound references slower than their cases (a false x1.4)."""
    arms = CaseArms({**SPEC, "expected": None})
    try:
        arms.start()
        arms.cycle("reference")
        first = arms.reference_results
        assert len(first) == 3 and arms.results == []
        arms.cycle("case")
        assert arms.reference_results is first and len(arms.results) == 3
        arms.cycle("reference")
        assert arms.reference_results is not first
    finally:
        arms.close()


def test_a_task_error_is_one_line_and_names_the_arm():
    spec = {**SPEC, "case": {**SPEC["case"], "params": {"n": 3, "seconds": -1.0}}, "expected": None}
    arms = CaseArms(spec)
    with pytest.raises(CaseFailed, match="^reference cycle: ValueError"):
        arms.cycle("reference")


def _answer(values, reference, stop, cpu, starts):
    return {"ok": True, "values": values, "warmups": [9.0], "reference": reference, "reference_warmups": [9.5],
            "metrics": {"cpu_self_s": cpu, "note": "text"}, "fingerprints": ["f"],
            "metadata": {"stop_reason": stop, "rounds": len(values), "value_starts": starts, "case_process_s": 0.5,
                         "affinity": "0,1"}}


def test_sittings_merge_in_measured_order_with_mean_metrics_and_every_stop_reason():
    first = _answer([1.0, 1.1], [2.0, 2.1], "budget", 0.2, [10.0, 10.5])
    second = _answer([1.2, 1.3], [2.2, 2.3], "precision", 0.4, [12.0, 12.5])
    merged = merge_answers([first, second])
    assert merged["values"] == [1.0, 1.1, 1.2, 1.3] and merged["reference"] == [2.0, 2.1, 2.2, 2.3]
    assert merged["warmups"] == [9.0, 9.0] and merged["reference_warmups"] == [9.5, 9.5]
    assert merged["metrics"] == {"cpu_self_s": pytest.approx(0.3)}  # a text metric has no mean
    meta = merged["metadata"]
    assert (meta["processes"], meta["rounds"], meta["case_process_s"]) == (2, 4, 1.0)
    assert meta["stop_reason"] == "budget,precision"
    assert meta["value_starts"] == [10.0, 10.5, 12.0, 12.5] and meta["affinity"] == "0,1"
    assert (meta["process_values"], meta["process_warmups"], meta["process_reference_warmups"]) == \
        ([2, 2], [1, 1], [1, 1])
    assert merge_answers([first]) == first and "processes" not in merge_answers([first])["metadata"]


def test_a_join_joined_again_keeps_every_process_split():
    """A raced case: its two sittings joined, then one more process joined: three pyperf runs, not two."""
    first = _answer([1.0, 1.1], [2.0, 2.1], "budget", 0.2, [10.0, 10.5])
    second = _answer([1.2, 1.3], [2.2, 2.3], "precision", 0.4, [12.0, 12.5])
    third = _answer([1.4], [2.4], "precision", 0.4, [90.0])
    meta = merge_answers([merge_answers([first, second]), third])["metadata"]
    assert (meta["process_values"], meta["process_warmups"]) == ([2, 2, 1], [1, 1, 1])


def test_a_plan_shared_among_processes_keeps_its_minimum_and_budget_in_all():
    plans = session_plans(TimingPlan(warmups=1, values=40, min_values=4, budget_seconds=0.5, target=0.03), 2)
    assert [(p.warmups, p.values, p.min_values, p.budget_seconds, p.target) for p in plans] == [
        (1, 20, 2, 0.25, 0.03)] * 2


def test_an_arm_told_to_skip_its_warmups_takes_none_and_the_rounds_stay_abba():
    log = []
    plan = TimingPlan(warmups=1, values=2, min_values=2, skip_warmups=("reference",))
    records, _ = interleave(fixed_arms(log, {"reference": 1.0, "case": 0.5}), plan)
    assert log == ["case", "case", "reference", "reference", "case"]
    assert (records["reference"].warmups, records["case"].warmups) == ([], [0.5])
    assert [len(r.values) for r in records.values()] == [2, 2]


def test_only_an_arm_whose_first_cycle_was_not_slower_is_settled():
    answer = {"warmups": [0.104], "values": [0.1, 0.11, 0.09], "reference_warmups": [0.13], "reference": [0.1] * 3}
    assert settled_arms(answer) == ("case",)  # 4 % over its median: nothing to warm; 30 %: first touch
    assert settled_arms(answer, tolerance=0.5) == ("case", "reference")
    assert settled_arms({"warmups": [], "values": [0.1], "reference_warmups": [0.1]}) == ()  # nothing to judge by


def test_every_cycle_of_both_arms_records_the_foreign_load():
    arms = CaseArms({**SPEC, "expected": None})
    try:
        arms.start()
        for arm in ("reference", "case", "case", "reference"):
            arms.cycle(arm)
        metrics = arms._usage_metrics()
    finally:
        arms.close()
    assert arms.foreign.arms["case"].cycles == 2 and arms.foreign.arms["reference"].cycles == 2
    for prefix in ("", "ref_"):
        assert metrics[prefix + "foreign_cpu_s"] >= 0.0
        assert metrics[prefix + "foreign_capacity_s"] > 0.0


def test_a_parallel_answer_carries_no_fingerprints_and_long_task_lists_come_summarised():
    """2 M inputs: a parallel case's 2 M fingerprints (checked in its process) and per-task times crossed the pipe."""
    from bench import storage
    from bench.measure.core import answer

    plan = {"warmups": 0, "values": 2, "min_values": 2}
    parallel = CaseArms({**SPEC, "expected": None, "plan": plan})
    parallel.start()
    records, reason = interleave(parallel.arms(), TimingPlan(**plan), fail_fast=True)
    found = answer(parallel, records, reason)  # closes the pool
    assert "fingerprints" not in found and len(found["values"]) == 2 and found["metrics"]
    serial_spec = {**SPEC, "case": {**SPEC["case"], "strategy": "serial"}, "expected": None, "plan": plan}
    serial = CaseArms(serial_spec)
    records, reason = interleave(serial.arms(), TimingPlan(**plan), fail_fast=True)
    kept = answer(serial, records, reason)
    assert len(kept["fingerprints"]) == 3 and len(kept["metadata"]["task_seconds"]) == 3
    long = storage.stored_metadata({"task_seconds": [0.001] * (storage.TASK_DATA_CAP + 1)})
    assert "task_seconds" not in long and long["task_seconds_summary"]["n"] == storage.TASK_DATA_CAP + 1
