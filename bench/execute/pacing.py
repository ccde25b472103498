"""A budgeted run (`bench run --budget D`): every case its minimum, then the rest of the time to the race.

The runner asks this module three things, from three lines:

1. before the matrix, ``Pacer.start``: probe the workloads and print the plan's one line
   (``bench.execute.probe``, ``bench.analysis.plan``);
2. before each case, ``Pacer.plan_for``: the case's rounds and processes, or None when the
   budget cannot pay for it (cut, and said).  The minimums are chosen again before every
   case from the time left, at the day's pace (``bench.analysis.budget``): a slow day
   falls back to fewer pairs, and then cuts the smaller core counts, before it overruns;
3. after the matrix, ``Pacer.race``: while the time lasts, one more fresh process of a
   few pairs for the case that can still change its verdict and is least precise
   (``bench.analysis.race``); then, where the run measures the one-worker twins on demand
   (``bench.execute.session.twins_on_demand``), those of the verdict's final contenders,
   whose seconds the race kept (``Pacer.twins``); then every parallel case's
   ``stop_reason`` says where it stood ("precision", "out of the race", "budget").

Without a budget (``--budget none``) the runner never builds a Pacer: today's behaviour.
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from bench import storage
from bench.analysis import plan as planning
from bench.analysis import race as racing
from bench.analysis.budget import Budget
from bench.execute import interrupts
from bench.execute.probe import probe
from bench.measure.core import TimingPlan, merge_answers
from bench.model import Case, CaseResult

RACE_PAIRS = planning.RACE_PAIRS
#: what the run keeps for the calibration after the matrix and its last save, at the day's pace
END_RESERVE_S = planning.CALIBRATION_S + 1.0


def timing_of(plan: TimingPlan, processes: int) -> planning.Timing:
    """The profile's rounds as the planner's plain numbers."""
    return planning.Timing(warmups=plan.warmups, min_pairs=plan.min_values, max_pairs=plan.values,
                           case_budget_s=plan.budget_seconds, processes=processes, target=plan.target)


@dataclass
class Pacer:
    """The budget's side of one run: its plan, its accounts, what it cut."""

    runner: Any  # bench.execute.runner.Runner (not imported: the runner imports this module)
    budget: Budget
    timing: planning.Timing
    plan: planning.Plan | None = None
    estimates: dict[str, planning.CaseEstimate] | None = None
    cut: list[str] | None = None
    raced: int = 0
    planned_at: float = 0.0
    race_started_s: float = math.nan  # the budget's seconds when the race began (its account says how late)
    cut_baselines: set[tuple[Any, ...]] = field(default_factory=set)
    #: one-worker twins left for after the race (``twins``), with the minimum the allocation gave them
    deferred: list[tuple[Case, planning.Minimum]] = field(default_factory=list)
    twins_measured: int = 0
    _standing: dict[tuple[Any, ...], racing.Runner] = field(default_factory=dict)

    @classmethod
    def create(cls, runner: Any, budget_s: float, started: float,
               clock: Callable[[], float] = time.monotonic) -> Pacer:
        settings = runner.settings
        return cls(runner, Budget(budget_s, clock, started), timing_of(settings.plan, settings.processes))

    # ---------------------------------------------------------------- 1. the plan

    def start(self, cases: list[Case]) -> None:
        """Probe, plan, say it; the probes' seconds count against the budget like everything else."""
        probes = probe(self.runner, cases)
        cpus = len(self.runner.settings.cpus)
        calibration = planning.CALIBRATION_S if self.runner.results.calibration.get("raw") else 0.0  # the one after
        self.plan = planning.plan(cases, probes, self.budget.remaining(), cpus=cpus, timing=self.timing,
                                  calibration_s=calibration, twins_on_demand=self.runner.settings.twins_on_demand)
        self.estimates = {e.case.key: e for e in self.plan.estimates}
        self.planned_at = self.budget.elapsed()  # what came before the plan (calibration, probes)
        self.cut = []
        print(f"bench: plan: {self.plan.one_line()}", file=sys.stderr)

    # ---------------------------------------------------------------- 2. the minimum of each case

    def plan_for(self, case: Case, todo: list[Case]) -> tuple[TimingPlan, int] | None:
        """The case's rounds and processes at the minimum the time left allows; None: cut by the budget, or a
        one-worker twin left for ``twins``."""
        assert self.estimates is not None and self.cut is not None
        if not case.is_serial and case.baseline_key in self.cut_baselines:
            self._cut(case, "cut by the budget: its serial baseline was cut")
            return None
        twins = self._twins_on_demand(case, todo)
        if twins is not None:
            self.deferred.append((case, twins))  # measured after the race if a contender needs it
            return None
        remaining = [self.estimates[c.key] for c in todo if c.key in self.estimates]
        allocation = self._allocation(remaining)
        if case.key in allocation.cut:
            self._cut(case, "cut by the budget: no time left for its minimum")
            return None
        top = _at_top(case, todo)
        minimum = allocation.top if top else allocation.others
        if minimum is None and not top and planning.single_worker_twin(case):
            minimum = allocation.twins
        if minimum is None:
            self._cut(case, "cut by the budget: no time left for its minimum")
            return None
        return self._rounds(case, minimum)

    def _twins_on_demand(self, case: Case, todo: list[Case]) -> planning.Minimum | None:
        """The minimum of a twin left for ``twins``: where the run measures them on demand and the plan keeps the
        one-worker twins alone of the other core counts (decided on the plan, so that a twin after the last case
        cut is not measured in order at a minimum that time left over allows)."""
        planned = self.plan.allocation if self.plan is not None else None
        # a serial baseline is measured in order: a case of its core count the time left buys back (one the plan
        # cut) needs it first, or it fails with no serial to check its results against (ocr's one-core cold cases)
        if not (self.runner.settings.twins_on_demand and planned is not None and planned.others is None
                and planned.twins is not None and planning.single_worker_twin(case) and not case.is_serial):
            return None
        return None if _at_top(case, todo) or case.key in planned.cut else planned.twins

    def _rounds(self, case: Case, minimum: planning.Minimum) -> tuple[TimingPlan, int]:
        """The case's timing plan at ``minimum`` (a serial case: its values, stopped after SERIAL_BUDGET_S)."""
        base = self.runner.settings.plan
        if case.is_serial:
            return replace(base, budget_seconds=min(base.budget_seconds, planning.SERIAL_BUDGET_S)), 1
        rounds = replace(base, values=minimum.pairs, min_values=minimum.pairs, budget_seconds=0.0,
                         cheap_share=planning.CHEAP_SHARE)
        return rounds, minimum.processes

    def _allocation(self, remaining: list[planning.CaseEstimate]) -> planning.Allocation:
        """The minimums for the cases left, the race's planned seconds kept aside while every verdict's case
        still gets one: re-planning over the cases left alone would hand the race's share to the last
        workload's cases (a quick run kept 7 more one-core cold cases and raced 18 processes, not 42)."""
        assert self.plan is not None
        # never above the plan's minimum: a day ahead of the plan gives its seconds to the race (and to cases the
        # plan cut), not to every case's minimum (upgraded early, 47 cases took 4 pairs and left the race 18 of 31 s)
        planned = self.plan.allocation
        first = (planned.top if planned is not None else None) or planning.levels(_first(self.timing))[0]
        available = (self.budget.remaining() - self._end_reserve()) / self.budget.pace
        race_s = self._planned_race_s()
        kept = planning.allocate(remaining, available - race_s, first, race_share=0.0)
        planned_cut = set(planned.cut) if planned is not None else set()
        if race_s <= 0 or all(e.case.key in planned_cut for e in remaining if e.case.key in kept.cut):
            return kept
        # behind the plan: what it kept gets its minimum before the race does; what it cut stays cut
        wanted = [e for e in remaining if e.case.key not in planned_cut]
        found = planning.allocate(wanted, available, first, race_share=0.0)
        return replace(found, cut=(*found.cut, *(e.case.key for e in remaining if e.case.key in planned_cut)))

    def _planned_race_s(self) -> float:
        """The race's seconds in the plan: its spare time, at most what every case raced to its most would take."""
        planned = self.plan.allocation if self.plan is not None else None
        return min(max(planned.spare_s, 0.0), planned.race_cap_s) if planned is not None else 0.0

    def done(self, case: Case, result: CaseResult, seconds: float, processes: int) -> None:
        """One case measured: its cost against its estimate at the minimum it got."""
        assert self.estimates is not None
        estimate = self.estimates.get(case.key)
        if estimate is None:
            return
        rounds = max(len(result.values), 1)
        self.budget.record(estimate.cost(rounds, processes), seconds)

    def _cut(self, case: Case, reason: str) -> None:
        assert self.cut is not None
        self.cut.append(case.key)
        if case.is_serial:  # its parallel cases would fail without it: they are cut with it
            self.cut_baselines.add(case.baseline_key)
        self.runner.results.skipped.append({"case": case.key, "reason": reason})

    def _end_reserve(self) -> float:
        calibrating = self.runner.results.calibration.get("raw") is not None
        return (END_RESERVE_S if calibrating else 1.0) * self.budget.pace + planning.MARGIN * self.budget.total_s

    # ---------------------------------------------------------------- 3. disturbed cases again, then the race

    def spare_s(self) -> float:
        """Seconds the budget still has for extra measuring (re-measures, the race), its end reserved."""
        return max(0.0, self.budget.remaining() - self._race_reserve())

    def remeasure_plan(self) -> TimingPlan:
        """A disturbed case's second measurement: the minimum pairs, as a case that was not raced."""
        pairs = self.timing.min_pairs
        return replace(self.runner.settings.plan, values=pairs, min_values=pairs, budget_seconds=0.0)


    def _race_reserve(self, runners: list[racing.Runner] | None = None) -> float:
        """What the re-measures and the race leave: the end's reserve, and the twins the contenders have now
        (``runners``: the race's standing, when the caller holds it)."""
        return self._end_reserve() + self.budget.scaled(self._twins_cost(runners))

    def _twins_cost(self, runners: list[racing.Runner] | None = None) -> float:
        """Seconds of the deferred twins of the verdict's contenders as they stand (fewer as the race narrows)."""
        if not self.deferred or self.estimates is None:
            return 0.0
        wanted = self._twins_wanted(runners)
        return sum(self.estimates[c.key].minimum_s(m) for c, m in self.deferred if c.key in wanted)

    def _twins_wanted(self, runners: list[racing.Runner] | None = None) -> set[str]:
        standing = self._runners() if runners is None else runners
        return twins_wanted(standing, {r.case.key: r.case for r in self.runner.results.cases})

    def twins(self) -> None:
        """The deferred one-worker twins of the verdict's contenders, each serial baseline first; the rest skipped.

        A twin gives its parallel cases' ``single_worker_speedup`` (what is not parallelism): the
        verdict reads it for its contenders, and a twin of a case out of the race would spend the
        race's seconds on a column nobody decides by (a quick run's twins took 20 s of its 160, and
        measured before the race, for the contenders of the minimums' wide intervals, 18 twins took 10 s).
        So they come after the race, for its final contenders, the race keeping their seconds
        (``_race_reserve``) as it narrows the field.
        """
        wanted = self._twins_wanted()
        for case, minimum in self.deferred:
            interrupts.check()
            if case.key not in wanted:
                self.runner.results.skipped.append({"case": case.key, "reason": NOT_A_CONTENDER})
            elif case.baseline_key in self.cut_baselines:
                self._cut(case, "cut by the budget: its serial baseline was cut")
            elif not self._measure_twin(case, minimum):
                self._cut(case, "cut by the budget: no time left for the twin of a contender")
        self.deferred = []
        storage.save(self.runner.results, self.runner.settings.output)

    def _measure_twin(self, case: Case, minimum: planning.Minimum) -> bool:
        """Measure one deferred twin at its minimum when the budget affords it; False: it does not."""
        assert self.estimates is not None
        estimate = self.estimates[case.key]
        cost = estimate.minimum_s(minimum)
        if not self.budget.affords(cost, self._end_reserve()):
            return False
        started = self.budget.clock()
        result = self.runner.run_case(case, *self._rounds(case, minimum))
        interrupts.check()
        self.runner.results.cases.append(result)
        storage.save(self.runner.results, self.runner.settings.output)
        self.budget.record(cost, self.budget.clock() - started)
        self.twins_measured += 1
        return True

    def race(self) -> None:
        """More pairs, one fresh process at a time, where the verdict is still open; then the contenders' twins (where
        on demand) and the stop reasons."""
        self.race_started_s = self.budget.elapsed()
        tried: set[str] = set()
        while True:
            interrupts.check()
            runners = self._runners()
            reserve = self._race_reserve(runners)  # once per process: the twins' cost reads every case's standing
            pick, pairs = next(((r, pairs) for r in racing.contenders(runners, self.timing.target)
                                if r.key not in tried and r.n_pairs < self.timing.race_max_pairs
                                and (pairs := self._affordable_pairs(r.key, reserve))), (None, 0))
            if pick is None:
                break
            if not self._one_more(pick.key, pairs):
                tried.add(pick.key)
        self.twins()
        self._stop_reasons()
        self._say()

    def _runners(self) -> list[racing.Runner]:
        """Every ok parallel case with pairs, as a runner in its workload's and core count's race (not one core's)."""
        found = []
        top = planning.top_cores([r.case for r in self.runner.results.cases])
        for result in self.runner.results.cases:
            if result.case.cores == 1 < top[result.case.instance]:
                continue  # one core decides nothing parallel: its pairs are the single-worker measure, not a race
            if result.ok and result.paired and len(result.values) >= 2:
                found.append(self._runner_of(result))
        return found

    def _runner_of(self, result: CaseResult) -> racing.Runner:
        """The case's standing, from its pairs (the interval the table shows), computed once per set of pairs: keyed
        by the pairs, not their count (a re-measured case has new pairs, as many as before)."""
        from bench.analysis.stats import paired_speedup

        key = (result.case.key, result.values, result.reference)
        if key not in self._standing:
            paired = paired_speedup(result.reference, result.values)
            case = result.case
            per_pair, fixed, _ = self._costs(result)
            self._standing[key] = racing.Runner(case.key, f"{case.instance}@{case.cores}", paired.speedup,
                                                paired.low, paired.high, paired.n, per_pair,
                                                answer=f"{case.strategy}/{case.start_method}/{case.workers}",
                                                fixed_s=fixed)
        return self._standing[key]

    def _result(self, key: str) -> tuple[int, CaseResult]:
        return next((i, r) for i, r in enumerate(self.runner.results.cases) if r.case.key == key)

    def _costs(self, result: CaseResult) -> tuple[float, float, int]:
        """The case's seconds per pair, fixed seconds per process (from what its processes so far cost), room."""
        processes = int(result.metadata.get("processes", 1)) or 1
        spent = float(result.metadata.get("case_process_s", 0.0))
        per_pair = planning.pair_seconds(result.values, result.reference)
        fixed = max(0.0, spent / processes - per_pair * len(result.values) / processes)
        return per_pair, fixed, self.timing.race_max_pairs - len(result.values)

    def _affordable_pairs(self, key: str, reserve: float | None = None) -> int:
        """Pairs of the case's next race process (``plan.sitting_pairs``), fewer when time is short; 0: none.
        ``reserve``: the seconds the race must leave (``_race_reserve``), when the caller has it."""
        per_pair, fixed, room = self._costs(self._result(key)[1])
        pairs = planning.sitting_pairs(per_pair, fixed, room)
        reserve = self._race_reserve() if reserve is None else reserve
        while pairs >= min(RACE_PAIRS, room) and pairs > 0:
            if self.budget.affords(fixed + pairs * per_pair, reserve):
                return pairs
            pairs -= 1
        return 0

    def _one_more(self, key: str, pairs: int) -> bool:
        """Measure one more process of ``pairs`` pairs of the case and join it to its result; False when it failed."""
        index, result = self._result(key)
        skip = tuple(s for s in str(result.metadata.get("warmups_skipped", "")).split(",") if s and s != "none")
        plan = replace(self.runner.settings.plan, values=pairs, min_values=pairs, budget_seconds=0.0,
                       skip_warmups=skip)
        expected = self.runner.results.expected.get(result.case.instance)
        per_pair, fixed, _ = self._costs(result)
        estimate = fixed + pairs * per_pair
        started = self.budget.clock()
        answer = self.runner.sitting(result.case, plan, f"race{self.raced}", expected)
        self.raced += 1
        self.budget.record(estimate, self.budget.clock() - started)
        if not answer.get("ok"):  # a later process failing does not undo the pairs the case has
            return False
        self.runner.results.cases[index] = joined(result, answer)
        storage.save(self.runner.results, self.runner.settings.output)
        return True

    def _stop_reasons(self) -> None:
        """Each parallel case's stop_reason: where it stood in its race when the run ended."""
        standing = racing.status(self._runners(), self.timing.target)
        for index, result in enumerate(self.runner.results.cases):
            reason = standing.get(result.case.key)
            if reason is None or result.case.is_serial:
                continue
            metadata = {**result.metadata, "stop_reason": reason,
                        "sitting_stop_reasons": str(result.metadata.get("stop_reason", ""))}
            self.runner.results.cases[index] = replace(result, metadata=metadata)

    def _say(self) -> None:
        """The budget's account in the config (the file) and on stderr: spent, cut, raced."""
        assert self.plan is not None and self.cut is not None
        self.runner.results.config["budget"] = {
            "budget_s": self.budget.total_s, "planned_s": round(self.planned_at + self.plan.run_s, 1),
            "spent_before_end_s": round(self.budget.elapsed(), 1), "pace": round(self.budget.pace, 2),
            "race_planned_s": round(self._planned_race_s(), 1), "race_started_s": round(self.race_started_s, 1),
            "race_planned_start_s": round(self.planned_at + (self.plan.allocation.minimum_s
                                                             if self.plan.allocation is not None else 0.0), 1),
            "cut": list(self.cut), "race_processes": self.raced, "twins_on_demand": self.twins_measured}
        storage.save(self.runner.results, self.runner.settings.output)
        cut = f"; cut {len(self.cut)} cases (listed as skipped)" if self.cut else ""
        print(f"bench: budget {self.budget.total_s:.0f} s: matrix done after {self.budget.elapsed():.0f} s at "
              f"{self.budget.pace:.2f}x the plan's pace, {self.raced} more processes raced{cut}", file=sys.stderr)


#: the skipped reason of a deferred twin no contender needed
NOT_A_CONTENDER = ("not measured: a one-worker twin measured on demand, and none of its parallel cases contends "
                   "for the verdict (their single_worker_speedup is not what decides it)")


def twins_wanted(runners: list[racing.Runner], cases: dict[str, Case]) -> set[str]:
    """Keys of the one-worker twins (and their serial baselines) of every verdict's contenders."""
    wanted: set[str] = set()
    for runner in racing.verdict_contenders(runners):
        twin = cases[runner.key].single_worker
        wanted |= {twin.key, twin.serial_baseline.key}
    return wanted


def say_estimate(runner: Any, cases: list[Case]) -> planning.Plan:
    """A run without a budget: probe and print the plan's one line all the same (what it will take)."""
    probes = probe(runner, cases)
    calibration = planning.CALIBRATION_S if runner.results.calibration.get("raw") else 0.0
    found = planning.plan(cases, probes, None, cpus=len(runner.settings.cpus),
                          timing=timing_of(runner.settings.plan, runner.settings.processes), calibration_s=calibration)
    print(f"bench: plan: {found.one_line()}", file=sys.stderr)
    return found


def _at_top(case: Case, todo: list[Case]) -> bool:
    """Whether the case is at its workload's largest core count (a verdict's case) among the cases to come."""
    return planning.top_cores(todo).get(case.instance, case.cores) <= case.cores


def _first(timing: planning.Timing) -> planning.Minimum:
    return planning.Minimum(timing.min_pairs, timing.processes)


def joined(result: CaseResult, answer: dict[str, Any]) -> CaseResult:
    """The case's result with one more process's answer joined, as ``merge_answers`` joins sittings."""
    before = {"values": list(result.values), "warmups": list(result.warmups), "reference": list(result.reference),
              "reference_warmups": list(result.reference_warmups), "metrics": dict(result.metrics),
              "metadata": dict(result.metadata)}
    merged = merge_answers([before, answer])
    metadata = {**merged["metadata"], "processes": int(result.metadata.get("processes", 1)) + 1}
    return replace(result, values=tuple(merged["values"]), warmups=tuple(merged["warmups"]),
                   reference=tuple(merged["reference"]), reference_warmups=tuple(merged["reference_warmups"]),
                   metrics=merged["metrics"], metadata=metadata)
