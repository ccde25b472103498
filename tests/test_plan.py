"""The planner's arithmetic on fake probes: no process is started, nothing is timed."""
from __future__ import annotations

import math

import pytest

from bench.analysis import plan as planning
from bench.analysis.plan import Minimum, Probe, Timing, allocate, case_cycle_s, plan
from bench.model import Case

pytestmark = pytest.mark.unit

FIB = (("k", 25), ("n", 8))


def case(strategy="pool-map", cores=2, workers=2, mode="warm", workload="fib"):
    return Case(workload=workload, params=FIB, strategy=strategy, cores=cores, workers=workers, mode=mode)


def matrix(cores=(1, 2), strategies=("threads", "pool-map")):
    cases = []
    for c in cores:
        cases.append(case("serial", c, 1))
        cases += [case(s, c, c, m) for s in strategies for m in ("cold", "warm")]
    return cases


PROBES = {"fib": Probe("fib", cycle_s=0.16, n_tasks=8, process_s=0.1)}
TIMING = Timing(warmups=1, min_pairs=4, max_pairs=40, case_budget_s=0.5, processes=2)


def test_a_case_cycle_spreads_the_serial_cycle_over_its_workers_and_pays_a_cold_start():
    warm = case_cycle_s(case(mode="warm"), 0.16, 8)
    cold = case_cycle_s(case(mode="cold"), 0.16, 8)
    assert warm == pytest.approx(0.08 + planning.DISPATCH_S)
    assert cold == pytest.approx(warm + 2 * planning.COLD_START_PER_WORKER_S)
    # 3 tasks on 2 workers: two rounds of a task, not 1.5
    assert case_cycle_s(case(), 0.3, 3) == pytest.approx(0.2 + planning.DISPATCH_S)


def test_costs_add_up_by_part_and_the_serial_case_pays_its_task_size_cycle():
    found = plan(matrix(), PROBES, None, cpus=2, timing=TIMING, calibration_s=8.0, report_s=12.0)
    serial = [e for e in found.estimates if e.serial]
    # serial: 0.5 s of cycles at 0.16 s a cycle -> 4 values; + a warm-up, the task-size cycle, a process
    assert serial[0].default_rounds == 4
    assert serial[0].default_s(1) == pytest.approx(0.1 + 0.16 + 4 * 0.16 + 0.16)
    assert found.serial_s == pytest.approx(2 * serial[0].default_s(1))
    parallel = [e for e in found.estimates if not e.serial]
    assert found.pairs_s == pytest.approx(sum(e.default_s(2) for e in parallel))
    assert found.run_s == pytest.approx(8.0 + found.serial_s + found.pairs_s)
    assert found.total_s == pytest.approx(found.run_s + 12.0)
    assert found.allocation is None and "report" in found.one_line()


def test_a_pair_costs_a_reference_and_a_case_cycle_and_each_process_its_warmup():
    e = planning.estimate(case("pool-map", 1, 1, "warm"), PROBES["fib"], TIMING)
    assert e.pair_s == pytest.approx(0.16 + e.cycle_s)
    assert e.cost(4, 2) == pytest.approx(2 * e.process_s + e.warmup_s + 4 * e.pair_s)  # warm-ups paid once
    assert e.process_s == pytest.approx(0.1 + planning.WARM_START_PER_WORKER_S)  # one worker to start
    assert e.warmup_s == pytest.approx(e.pair_s)


def test_a_generous_budget_keeps_every_minimum_and_buys_more_pairs():
    found = plan(matrix(), PROBES, 600.0, cpus=2, timing=TIMING, calibration_s=8.0)
    a = found.allocation
    assert a is not None and a.top == a.others == Minimum(4, 2) and not a.cut
    assert a.spare_s > 0 and a.extra_pairs > 0
    assert found.run_s <= 600.0


def test_a_tight_budget_falls_back_on_the_smaller_core_counts_first_then_cuts_them():
    cases = matrix()
    estimates = plan(cases, PROBES, None, cpus=2, timing=TIMING).estimates
    top = [e for e in estimates if e.case.cores == 2]
    full = sum(e.minimum_s(Minimum(4, 2)) for e in estimates)
    # less than everything at the first level: the other core count falls back, the verdict's keeps its own
    a = allocate(estimates, full / (1 - planning.MARGIN) * 0.93, race_share=0.0)
    assert a.top == Minimum(4, 2) and a.others == Minimum(3, 2) and not a.cut
    # only the verdict's cases fit: the others are cut, serial baselines included
    only_top = sum(e.minimum_s(Minimum(3, 2)) for e in top)
    a = allocate(estimates, only_top / (1 - planning.MARGIN) * 1.01, race_share=0.0)
    assert a.others is None and set(a.cut) == {e.case.key for e in estimates if e.case.cores == 1}
    assert a.minimum_s <= only_top * 1.01


def test_before_cutting_the_other_core_counts_the_budget_keeps_their_one_worker_warm_twins():
    """single_worker_speedup and the one-core truths need the 1-core 1-worker warm cases and their baseline."""
    estimates = plan(matrix(), PROBES, None, cpus=2, timing=TIMING).estimates
    top = [e for e in estimates if e.case.cores == 2]
    twins = [e for e in estimates if e.case.cores == 1 and e.case.mode == "warm"]
    assert {e.case.strategy for e in twins} == {"serial", "threads", "pool-map"}
    kept = sum(e.minimum_s(Minimum(4, 2)) for e in top) + sum(e.minimum_s(Minimum(3, 2)) for e in twins)
    a = allocate(estimates, kept / (1 - planning.MARGIN) * 1.01, race_share=0.0)
    assert a.top == Minimum(4, 2) and a.others is None and a.twins == Minimum(3, 2)
    assert set(a.cut) == {e.case.key for e in estimates if e.case.cores == 1 and e.case.mode == "cold"}
    # the twins go before the verdict's cases fall back to their lowest minimum, not after
    squeezed = sum(e.minimum_s(Minimum(3, 2)) for e in top + twins)
    a = allocate(estimates, squeezed / (1 - planning.MARGIN) * 1.01, race_share=0.0)
    assert a.top == Minimum(3, 2) and a.twins == Minimum(3, 2)
    # less than that: every other core count cut, twins too
    a = allocate(estimates, squeezed / (1 - planning.MARGIN) * 0.97, race_share=0.0)
    assert a.twins is None and {e.case.key for e in twins} <= set(a.cut)


def test_a_budget_too_small_for_anything_keeps_the_serial_baseline_and_cuts_the_rest_in_order():
    estimates = plan(matrix(), PROBES, None, cpus=2, timing=TIMING).estimates
    a = allocate(estimates, 1.0)
    assert not a.fits or a.cut
    kept = {e.case.key for e in estimates} - set(a.cut)
    assert case("serial", 2, 1).key in kept  # every parallel case's baseline
    assert all(e.case.cores == 2 for e in estimates if e.case.key in kept)


def test_the_race_keeps_a_share_when_the_minimums_leave_room():
    estimates = plan(matrix(), PROBES, None, cpus=2, timing=TIMING).estimates
    full = sum(e.minimum_s(Minimum(4, 2)) for e in estimates)
    a = allocate(estimates, full * 3)
    assert a.top == a.others == Minimum(4, 2)
    assert a.spare_s >= full * 3 * (1 - planning.MARGIN) * planning.RACE_SHARE


def test_the_planner_takes_another_machines_cases_and_cpu_count():
    """`bench plan --cpus 64`: the same call with that machine's cases; nothing is read from this one."""
    big = matrix(cores=(1, 2, 4, 8, 16, 32, 64))
    found = plan(big, PROBES, 3600.0, cpus=64, timing=TIMING)
    assert found.cpus == 64 and len(found.estimates) == len(big)
    tops = [e for e in found.estimates if e.case.cores == 64 and e.case.mode == "warm" and not e.serial]
    assert all(e.cycle_s == pytest.approx(0.16 / 8 + planning.DISPATCH_S) for e in tops)  # 8 tasks: 8 busy workers
    cold = [e for e in found.estimates
            if e.case.cores == 64 and e.case.strategy == "pool-map" and e.case.mode == "cold"]
    assert cold[0].cycle_s > 64 * planning.COLD_START_PER_WORKER_S  # but every worker is started
    assert math.isfinite(found.total_s)


def test_a_workload_without_a_probe_is_refused():
    with pytest.raises(KeyError):
        plan([case(workload="sleep")], PROBES, None, cpus=2)


def test_levels_start_at_the_profiles_minimum():
    assert planning.levels(Minimum(10, 2))[0] == Minimum(10, 2)
    assert planning.levels(Minimum(4, 2)) == (Minimum(4, 2), Minimum(3, 2))
    assert planning.levels(Minimum(4, 1)) == (Minimum(4, 1), Minimum(3, 1))  # --processes 1: never more


def test_under_a_budget_a_serial_case_stops_after_half_a_second_of_cycles():
    """The full profile's 30 s serial case took a 12 s budget's whole time and cut the case it was for."""
    full = Timing(warmups=2, min_pairs=10, max_pairs=400, case_budget_s=30.0, processes=2)
    cases = [case("serial", 2, 1), case("pool-map", 2, 2)]
    serial = plan(cases, PROBES, None, cpus=2, timing=full).estimates[0]
    assert serial.default_rounds == 188  # 30 s of 0.16 s cycles: the profile's own, without a budget
    assert serial.budgeted_rounds(10) == 10 and serial.budgeted_rounds(3) == 4  # 0.5 s: 4 cycles, at least the minimum
    budgeted = plan(cases, PROBES, 12.0, cpus=2, timing=full, calibration_s=0.0)
    assert budgeted.allocation is not None and not budgeted.allocation.cut
    assert budgeted.serial_s == pytest.approx(serial.cost(10, 1)) and budgeted.run_s <= 12.0


def test_a_race_process_takes_pairs_enough_that_its_fixed_cost_is_a_third_of_it_at_most():
    assert planning.sitting_pairs(0.09, 0.3) == 7  # fib on Pool.map: 0.6 s of pairs for 0.3 s fixed
    assert planning.sitting_pairs(0.4, 0.1) == planning.RACE_PAIRS  # ocr: never fewer than the least
    assert planning.sitting_pairs(0.002, 0.2) == planning.RACE_MAX_PAIRS  # square: never more than the most
    assert planning.sitting_pairs(0.002, 0.2, room=5) == 5  # nor more than the case may still take
    assert planning.sitting_pairs(math.inf, 0.2) == planning.RACE_PAIRS


def test_a_budget_calibrates_only_when_the_calibration_is_a_small_part_of_it():
    assert planning.calibrates(None) and planning.calibrates(150.0)
    least = 2 * planning.CALIBRATION_S / planning.CALIBRATION_SHARE
    assert planning.calibrates(least) and not planning.calibrates(least - 1) and not planning.calibrates(12.0)


def test_the_race_cap_prices_each_race_process_at_its_own_size():
    cases = matrix(cores=(2,), strategies=("pool-map",))
    found = plan(cases, PROBES, 1000.0, cpus=2, timing=TIMING, calibration_s=0.0)
    more = TIMING.race_max_pairs - found.allocation.top.pairs
    parallel = [e for e in found.estimates if not e.serial]
    pairs_alone = sum(more * e.pair_s for e in parallel)
    fixed = [e.process_s + e.warmup_s for e in parallel]
    at_the_least = pairs_alone + sum(math.ceil(more / planning.RACE_PAIRS) * f for f in fixed)
    sized = pairs_alone + sum(math.ceil(more / planning.sitting_pairs(e.pair_s, f)) * f
                              for e, f in zip(parallel, fixed))
    assert any(planning.sitting_pairs(e.pair_s, f) > planning.RACE_PAIRS for e, f in zip(parallel, fixed))
    assert found.allocation.race_cap_s == pytest.approx(sized) and pairs_alone < sized < at_the_least


def test_where_not_all_twins_fit_the_costliest_workloads_go_first_and_the_race_keeps_its_share():
    def two_workloads():
        cases = []
        for workload in ("fib", "ocr"):
            for c in (1, 2):
                cases.append(case("serial", c, 1, workload=workload))
                cases += [case(s, c, c, m, workload=workload)
                          for s in ("threads", "pool-map") for m in ("cold", "warm")]
        return cases

    probes = {**PROBES, "ocr": Probe("ocr", cycle_s=1.6, n_tasks=8, process_s=0.1)}  # ten times fib's cycle
    estimates = plan(two_workloads(), probes, None, cpus=2, timing=TIMING).estimates
    top = [e for e in estimates if e.case.cores == 2]
    twins = [e for e in estimates if e.case.cores == 1 and e.case.mode == "warm"]
    ocr, fib = ([e for e in twins if e.case.workload == w] for w in ("ocr", "fib"))
    sets = planning.twin_sets(twins, Minimum(3, 2))
    assert [len(s) for s in sets] == [len(twins), len(fib)] and sets[1] == fib  # ocr's twins go first
    cost = sum(e.minimum_s(Minimum(4, 2)) for e in top) + sum(e.minimum_s(Minimum(3, 2)) for e in fib)
    share = planning.RACE_SHARE * planning.TWINS_RACE_SHARE
    a = allocate(estimates, cost / (1 - planning.MARGIN) / (1 - share) * 1.01)
    assert a.top == Minimum(4, 2) and a.twins == Minimum(3, 2)
    assert {e.case.key for e in ocr} <= set(a.cut) and not {e.case.key for e in fib} & set(a.cut)
    assert a.spare_s >= share * cost


def test_a_later_process_at_the_minimum_takes_more_pairs_where_they_are_cheap():
    assert planning.cheap_pairs(0.002, 0.2, have=1) == planning.RACE_MAX_PAIRS - 1  # square: up to the most
    assert planning.cheap_pairs(0.02, 0.2, have=1) == int(planning.CHEAP_SHARE * 0.2 / 0.02)  # a quarter of 0.2 s
    assert planning.cheap_pairs(0.1, 0.2, have=1) == 0  # fib: a pair costs more than a quarter of the start
    assert planning.cheap_pairs(0.002, 0.0, have=1) == planning.cheap_pairs(math.inf, 0.2, have=1) == 0
    assert planning.cheap_pairs(0.002, 0.2, have=1, share=0.0) == 0
