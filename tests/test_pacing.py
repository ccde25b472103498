"""A budgeted run end to end on a tiny matrix (no timing asserted), and joining a raced process's pairs."""
from __future__ import annotations

import dataclasses

import pytest

from bench.analysis.race import BUDGET, OUT, PRECISION
from bench.execute.pacing import joined
from bench.execute.session import RunRequest, run_matrix
from bench.testing import FakeClock, make_result

TINY = RunRequest(workloads=("sleep",), strategies=("serial", "threads", "pool-map"), cores=(1,), modes=("warm",),
                  workers=(1,), sets=("sleep.n=2", "sleep.seconds=0.01"), calibrate=False, progress=False)


def test_a_budgeted_run_gives_every_case_its_minimum_and_says_where_each_stood(tmp_path, no_leaked_processes):
    results = run_matrix(dataclasses.replace(TINY, budget=60.0, output=tmp_path / "run.json"))
    parallel = [r for r in results.cases if not r.case.is_serial]
    assert len(parallel) == 2 and all(r.ok for r in parallel) and results.complete
    assert all(len(r.values) >= 3 and r.paired for r in parallel)
    assert all(r.metadata["stop_reason"] in (PRECISION, OUT, BUDGET) for r in parallel)
    account = results.config["budget"]
    assert account["budget_s"] == 60.0 and account["cut"] == [] and account["planned_s"] > 0


def test_a_budget_too_small_for_the_cases_cuts_them_and_says_so(tmp_path, no_leaked_processes):
    results = run_matrix(dataclasses.replace(TINY, budget=0.01, output=tmp_path / "run.json"))
    cut = [s for s in results.skipped if "cut by the budget" in s.get("reason", "")]
    assert cut and results.config["budget"]["cut"] == [s["case"] for s in cut]
    assert {r.case.key for r in results.cases}.isdisjoint(s["case"] for s in cut)


def test_no_budget_is_todays_run(tmp_path, no_leaked_processes):
    results = run_matrix(dataclasses.replace(TINY, budget=None, output=tmp_path / "run.json"))
    assert results.config["budget"] == {"budget_s": None}
    assert all(r.metadata["stop_reason"] in ("precision", "budget", "max_values") or "," in r.metadata["stop_reason"]
               for r in results.cases if not r.case.is_serial)


def test_a_raced_process_joins_its_pairs_after_the_ones_measured_before():
    before = make_result([0.10, 0.11], reference=[0.20, 0.21], strategy="threads",
                         metadata={"processes": 2, "rounds": 2, "stop_reason": "budget", "case_process_s": 1.0,
                                   "value_starts": [1.0, 2.0]})
    answer = {"values": [0.12], "warmups": [], "reference": [0.22], "reference_warmups": [], "ok": True,
              "metrics": {}, "metadata": {"rounds": 1, "stop_reason": "max_values", "case_process_s": 0.4,
                                          "value_starts": [3.0]}}
    after = joined(before, answer)
    assert after.values == (0.10, 0.11, 0.12) and after.reference == (0.20, 0.21, 0.22) and after.paired
    assert after.metadata["processes"] == 3 and after.metadata["rounds"] == 3
    assert after.metadata["case_process_s"] == pytest.approx(1.4)
    assert after.metadata["value_starts"] == [1.0, 2.0, 3.0]


def test_bad_budgets_are_refused_in_one_line(tmp_path):
    from bench.model import BenchError

    with pytest.raises(BenchError, match="budget"):
        run_matrix(dataclasses.replace(TINY, budget="soon", output=tmp_path / "run.json"))
    with pytest.raises(BenchError, match="budget"):
        run_matrix(dataclasses.replace(TINY, budget=-5.0, output=tmp_path / "run.json"))


def test_one_core_cases_do_not_race_when_the_workload_has_more_cores():
    """At one core nothing parallel is decided: every case straddles 1 there, and would eat the race."""
    from types import SimpleNamespace

    from bench.analysis.budget import Budget
    from bench.analysis.plan import Timing
    from bench.execute.pacing import Pacer
    from bench.testing import make_results

    def paired(cores: int, workers: int) -> object:
        return make_result([0.1, 0.102, 0.098], reference=[0.1, 0.1, 0.1], strategy="threads", cores=cores,
                           workers=workers)

    results = make_results([paired(1, 1), paired(2, 2)])
    pacer = Pacer(SimpleNamespace(results=results), Budget(60.0, lambda: 0.0, 0.0), Timing())
    assert [r.key for r in pacer._runners()] == [results.cases[1].case.key]
    alone = make_results([paired(1, 1)])  # a run of one core only: its cases race among themselves
    assert len(Pacer(SimpleNamespace(results=alone), Budget(60.0, lambda: 0.0, 0.0), Timing())._runners()) == 1


def test_the_race_keeps_its_planned_seconds_while_the_last_cases_are_measured():
    """Re-planned over the cases left alone, the minimums would take the race's share (one-core cold cases kept)."""
    from types import SimpleNamespace

    from bench.analysis import plan as planning
    from bench.analysis.budget import Budget
    from bench.execute.pacing import Pacer
    from bench.measure.core import TimingPlan
    from bench.model import Case

    def case(strategy, cores, workers, mode, k=25):
        return Case(workload="fib", params=(("k", k), ("n", 8)), strategy=strategy, cores=cores, workers=workers,
                    mode=mode)

    def instance(k):
        return [case("serial", 1, 1, "warm", k), case("threads", 1, 1, "cold", k), case("threads", 1, 1, "warm", k),
                case("serial", 2, 1, "warm", k), case("threads", 2, 2, "cold", k), case("threads", 2, 2, "warm", k)]

    first = instance(24)
    cases = instance(25)  # the last workload instance of the run: the race's seconds were planned for both
    probes = {"fib": planning.Probe("fib", cycle_s=0.16, n_tasks=8, process_s=0.1)}
    timing = planning.Timing(warmups=1, min_pairs=4, max_pairs=40, case_budget_s=0.5, processes=2)
    runner = SimpleNamespace(settings=SimpleNamespace(plan=TimingPlan(warmups=1, values=40, min_values=4),
                                                      twins_on_demand=False),
                             results=SimpleNamespace(skipped=[], calibration={}, cases=[]))
    clock = FakeClock()
    # the budget at which the plan keeps the verdict's cases and the warm twin, cuts the one-core cold case
    budget = max(b / 10 for b in range(10, 400) if (lambda a: a.twins and a.cut)(
        planning.plan(first + cases, probes, b / 10, cpus=2, timing=timing, calibration_s=0.0).allocation))
    pacer = Pacer(runner, Budget(budget, clock, 0.0), timing)
    pacer.plan = planning.plan(first + cases, probes, budget, cpus=2, timing=timing, calibration_s=0.0)
    pacer.estimates, pacer.cut = {e.case.key: e for e in pacer.plan.estimates}, []
    allocation = pacer.plan.allocation
    race_s = min(allocation.spare_s, allocation.race_cap_s)
    assert set(allocation.cut) == {first[1].key, cases[1].key} and race_s > 0
    every = sum(pacer.estimates[c.key].minimum_s(planning.Minimum(3, 2)) for c in cases[1:])

    def left(seconds):  # the budget's time left, in the allocation's seconds
        clock.now = budget - pacer._end_reserve() - seconds / (1 - planning.MARGIN)

    left(every + 0.5 * race_s)  # time for every case left, cold one included, but not for them and the race
    assert pacer.plan_for(cases[1], cases[1:]) is None  # cut, as planned: the race keeps its seconds
    assert pacer.plan_for(cases[2], cases[2:]) is not None  # the warm twin stays (single_worker_speedup)
    verdicts = sum(pacer.estimates[c.key].minimum_s(planning.Minimum(3, 2)) for c in cases[4:])
    assert verdicts * 1.1 < race_s
    left(verdicts * 1.1)  # far behind: the verdict's cases get their minimum from the race's seconds
    assert pacer.plan_for(cases[4], cases[4:]) is not None
    left(every + race_s * 1.5)  # ahead of the plan: time beyond the race's buys the cold case back
    assert pacer.plan_for(cases[1], cases[1:]) is not None


def test_a_race_process_is_sized_to_its_case_and_shrinks_to_the_time_left():
    """Fixed 0.3 s a process, 0.09 s a pair: 7 pairs a race process; with less time left, fewer; none below 3."""
    from types import SimpleNamespace

    from bench.analysis import plan as planning
    from bench.analysis.budget import Budget
    from bench.execute.pacing import Pacer

    result = make_result([0.03] * 4, reference=[0.06] * 4, strategy="pool-map",
                         metadata={"processes": 2, "case_process_s": 2 * 0.3 + 4 * 0.09})
    runner = SimpleNamespace(results=SimpleNamespace(cases=[result], calibration={}))
    clock = FakeClock()
    pacer = Pacer(runner, Budget(100.0, clock, 0.0), planning.Timing(max_pairs=40))
    key = result.case.key
    assert pacer._affordable_pairs(key) == 7
    reserve = pacer._end_reserve()
    clock.now = 100.0 - reserve - (0.3 + 5 * 0.09) - 0.001
    assert pacer._affordable_pairs(key) == 5
    clock.now = 100.0 - reserve - (0.3 + 2 * 0.09)
    assert pacer._affordable_pairs(key) == 0


def test_a_budget_too_small_for_the_calibration_skips_it_and_measures_the_cases(tmp_path, capsys, no_leaked_processes):
    results = run_matrix(dataclasses.replace(TINY, budget=12.0, calibrate=True, output=tmp_path / "run.json"))
    assert not results.calibration.get("raw")
    assert "budget 12 s: no calibration" in capsys.readouterr().err
    assert all(r.ok and len(r.values) >= 3 for r in results.cases if not r.case.is_serial)
    assert results.config["budget"]["cut"] == []


def test_at_the_minimum_a_cheap_case_takes_more_pairs_in_its_later_process(tmp_path, no_leaked_processes):
    """1 ms sleeps: a pair costs a few ms beside a process's tenth of a second, so the second process takes more."""
    cheap = dataclasses.replace(TINY, strategies=("serial", "threads"), sets=("sleep.n=2", "sleep.seconds=0.001"))
    results = run_matrix(dataclasses.replace(cheap, budget=60.0, output=tmp_path / "run.json"))
    threads = next(r for r in results.cases if r.case.strategy == "threads")
    split = threads.metadata["process_values"]
    assert split[0] == 2 and split[1] > 1 and sum(split[:2]) <= 2 * 12


def _twin_pacer(tmp_path, clock, budget_s=100.0):
    """A pacer over a fake runner: two-core threads (x1.9) and pool-map (x1.85) contend, dask (x1.2) is out."""
    from types import SimpleNamespace

    from bench.analysis import plan as planning
    from bench.analysis.budget import Budget
    from bench.execute.pacing import Pacer
    from bench.measure.core import TimingPlan
    from bench.testing import make_result

    reference = [0.1, 0.101, 0.099, 0.1]
    jitter = (1.05, 0.95, 1.08, 0.94)  # about +-10 % intervals: threads and pool-map overlap, dask is clear below
    parallel = [make_result([r / s * j for r, j in zip(reference, jitter)], reference=reference, strategy=strategy,
                            cores=2, workers=2, metadata={"processes": 2, "case_process_s": 1.0})
                for strategy, s in (("threads", 1.9), ("pool-map", 1.85), ("dask-threads", 1.2))]
    twins = [r.case.single_worker for r in parallel]
    deferred = [twins[0].serial_baseline, *twins]
    measured = []

    def run_case(case, plan=None, processes=None):
        measured.append(case.key)
        return dataclasses.replace(make_result([0.1] * 3, reference=[0.1] * 3), case=case)

    results = SimpleNamespace(skipped=[], calibration={}, cases=list(parallel), expected={})
    runner = SimpleNamespace(settings=SimpleNamespace(plan=TimingPlan(warmups=1, values=40, min_values=4),
                                                      output=tmp_path / "run.json", twins_on_demand=True),
                             results=results, run_case=run_case)
    probes = {"fib": planning.Probe("fib", cycle_s=0.1, n_tasks=4, process_s=0.1)}
    timing = planning.Timing()
    pacer = Pacer(runner, Budget(budget_s, clock, 0.0), timing)
    pacer.plan = planning.plan([*deferred, *(r.case for r in parallel)], probes, budget_s, cpus=2, timing=timing,
                               calibration_s=0.0)
    pacer.estimates, pacer.cut = {e.case.key: e for e in pacer.plan.estimates}, []
    pacer.deferred = [(case, planning.Minimum(3, 2)) for case in deferred]
    return pacer, deferred, measured


def test_twins_on_demand_are_measured_for_the_verdicts_contenders_only(tmp_path, monkeypatch):
    """The twins of the cases out of the race are said skipped; the contenders' are measured, serial baseline first."""
    from bench import storage
    from bench.execute.pacing import NOT_A_CONTENDER

    monkeypatch.setattr(storage, "save", lambda results, output: None)
    pacer, (serial, threads, pool_map, dask), measured = _twin_pacer(tmp_path, FakeClock())
    pacer.twins()
    assert measured == [serial.key, threads.key, pool_map.key] and pacer.twins_measured == 3
    assert pacer.runner.results.skipped == [{"case": dask.key, "reason": NOT_A_CONTENDER}]
    assert pacer.deferred == [] and pacer.cut == []


def test_a_twin_on_demand_the_budget_cannot_pay_for_is_cut_and_said(tmp_path, monkeypatch):
    from bench import storage

    monkeypatch.setattr(storage, "save", lambda results, output: None)
    pacer, deferred, measured = _twin_pacer(tmp_path, FakeClock(99.9))
    pacer.twins()
    assert measured == [] and len(pacer.cut) == 3  # the serial baseline, then its twins with it
    assert all("cut by the budget" in s["reason"] for s in pacer.runner.results.skipped[:3])


def test_a_run_with_twins_on_demand_leaves_them_for_later_instead_of_measuring_them_first():
    """The pacer defers a twin the plan keeps (others cut), where the run measures twins on demand; not otherwise."""
    from types import SimpleNamespace

    from bench.analysis import plan as planning
    from bench.analysis.budget import Budget
    from bench.execute.pacing import Pacer
    from bench.measure.core import TimingPlan
    from bench.testing import make_case

    one = {"cores": 1, "workers": 1}
    cases = [make_case(strategy="serial", **one), make_case(strategy="threads", mode="cold", **one),
             make_case(strategy="threads", **one),
             make_case(strategy="serial", cores=2, workers=1), make_case(strategy="threads", cores=2, workers=2)]
    probes = {"fib": planning.Probe("fib", cycle_s=0.16, n_tasks=4, process_s=0.1)}
    timing = planning.Timing()
    budget = max(b / 10 for b in range(10, 400) if (lambda a: a.twins and a.cut)(
        planning.plan(cases, probes, b / 10, cpus=2, timing=timing, calibration_s=0.0).allocation))
    for on_demand in (True, False):
        runner = SimpleNamespace(settings=SimpleNamespace(plan=TimingPlan(warmups=1, values=40, min_values=4),
                                                          twins_on_demand=on_demand),
                                 results=SimpleNamespace(skipped=[], calibration={}, cases=[]))
        pacer = Pacer(runner, Budget(budget, FakeClock(), 0.0), timing)
        pacer.plan = planning.plan(cases, probes, budget, cpus=2, timing=timing, calibration_s=0.0)
        pacer.estimates, pacer.cut = {e.case.key: e for e in pacer.plan.estimates}, []
        race_s = min(pacer.plan.allocation.spare_s, pacer.plan.allocation.race_cap_s)
        every = sum(pacer.estimates[c.key].minimum_s(planning.Minimum(3, 2)) for c in cases[1:])
        pacer.budget.clock.now = budget - pacer._end_reserve() - (every + 0.5 * race_s) / (1 - planning.MARGIN)
        paced = [pacer.plan_for(case, cases[i:]) for i, case in enumerate(cases) if i]
        assert paced[0] is None and pacer.cut == [cases[1].key]  # the cold one-core case: cut either way
        assert (paced[1] is None) == on_demand and paced[2] and paced[3]  # the warm twin: later, or now
        assert [c.key for c, _ in pacer.deferred] == ([cases[2].key] if on_demand else [])


def test_the_race_keeps_the_seconds_of_its_contenders_twins_and_gives_back_those_of_cases_it_drops(tmp_path):
    from bench.testing import make_result

    pacer, (serial, threads, pool_map, dask), _ = _twin_pacer(tmp_path, FakeClock())
    cost = {c.key: pacer.estimates[c.key].minimum_s(m) for c, m in pacer.deferred}
    kept = pacer._race_reserve() - pacer._end_reserve()
    assert kept == pytest.approx(cost[serial.key] + cost[threads.key] + cost[pool_map.key]) and kept > 0
    results = pacer.runner.results.cases
    reference = [0.1, 0.101, 0.099, 0.1]
    results[1] = make_result([r / 1.2 for r in reference], reference=reference, strategy="pool-map", cores=2,
                             workers=2, metadata={"processes": 2, "case_process_s": 1.0})  # now clear below
    assert pacer._race_reserve() - pacer._end_reserve() == pytest.approx(cost[serial.key] + cost[threads.key])
