"""The plan of a run before anything is measured: what it costs by part, and what a budget buys.  Pure.

Why: the same quick matrix took 3 minutes one day and 9 the next on the same VM, and
a matrix grows with every core count.  The time of a run is its cycles: every case
is a fresh process (start-up, warm-ups) plus its rounds, and a parallel case's round
is a pair (one serial reference cycle and one case cycle).  So a short probe of each
workload's serial cycle (``bench.execute.probe``) and the shape of the matrix give the
whole run's time, and the same arithmetic says how many pairs a budget pays for.

The planner reads nothing of the machine it runs on: the cases (their cores and
workers), the probes (cycle time and task count) and the CPU count are its inputs,
so a plan for a hypothetical machine of N CPUs is the same call with other cases.

Cost of one case (the runner's order of work, ``bench.measure.core``):

- serial: one process; warm-ups + values (the profile's minimum, more while its
  cycle budget lasts) + one cycle timing each task alone (the task-size bound);
- parallel: ``processes`` fresh processes share its pairs; each pays start-up and
  (the first at least) one warm-up round of (reference, case); a case cycle is the
  serial cycle spread over min(workers, cores, tasks) plus, in cold mode, starting
  and closing the pool.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from bench.model import Case

#: start-up and finish of one fresh case process beyond its cycles (fork from the launcher, set-up,
#: metadata, the answer): 0.1-0.3 s on the 2-core VM here (``case_process_s`` minus the cycles)
PROCESS_S = 0.2
#: a cold cycle starts and closes its pool, per worker: a process pool 0.04-0.05 s here, loky (joblib)
#: 0.15 s on a quiet day (0.5 under load: sleep on joblib cold took 1.1 s a cycle with 2 workers, 2.2 s with 4)
COLD_START_PER_WORKER_S = 0.04
COLD_START_S: Mapping[str, float] = {"joblib": 0.15, "loky": 0.15, "threads": 0.002, "dask-threads": 0.002,
                                     "joblib-threads": 0.002, "serial": 0.0}
#: a warm case starts its pool once per process, outside the cycles
WARM_START_PER_WORKER_S = 0.04
#: dispatching a cycle to workers (queues, pickling): a floor under any parallel cycle
DISPATCH_S = 0.002
#: the brief calibration, before and after the matrix (``bench.machine.calibrate.BRIEF``): each about
CALIBRATION_S = 4.0
#: a budget calibrates (before and after the matrix) only when both take at most this share of it: below
#: that the calibration is the run (`--budget 12s` on one case spent 8 of its 12 s calibrating and cut the
#: case it was asked for); the ceilings are context, the cases are the answer
CALIBRATION_SHARE = 0.2
#: `bench report` of a quick run: 7-16 s here
REPORT_S = 12.0
#: a budgeted run aims to end this much before its deadline (estimates are estimates)
MARGIN = 0.025
#: under a budget a serial case stops after this many seconds of cycles (once it has its minimum): its
#: values give the serial row; every speed-up comes from its case's own paired references.  The full
#: profile's 30 s serial cases took a 12 s budget's whole time and cut the one case it was for
SERIAL_BUDGET_S = 0.5


def calibrates(budget_s: float | None) -> bool:
    """Whether a run with this budget calibrates: no budget, or one the calibration is a small part of."""
    return budget_s is None or 2 * CALIBRATION_S <= CALIBRATION_SHARE * budget_s


@dataclass(frozen=True)
class Probe:
    """One workload's serial cycle, timed briefly before the run (one core, a fresh process)."""

    workload: str
    cycle_s: float
    n_tasks: int
    #: seconds of one fresh case process beyond its cycles, as the probe's own process measured it
    process_s: float = PROCESS_S


@dataclass(frozen=True)
class Minimum:
    """What every case of a budgeted run gets at least: pairs, spread over fresh processes."""

    pairs: int
    processes: int

    @property
    def label(self) -> str:
        return f"{self.pairs} pairs in {self.processes} process{'es' if self.processes > 1 else ''}"


@dataclass(frozen=True)
class Timing:
    """The profile's rounds (``bench.execute.runner.PLANS``) as plain numbers the planner needs."""

    warmups: int = 1
    min_pairs: int = 4
    max_pairs: int = 40
    case_budget_s: float = 0.5  # cycle seconds after which a case stops once it has its minimum
    processes: int = 2
    target: float = 0.03

    @property
    def race_max_pairs(self) -> int:
        """The most pairs the race gives a case: RACE_PAIRS_FACTOR times the profile's (the budget bounds the time)."""
        return RACE_PAIRS_FACTOR * self.max_pairs


#: the race takes a case up to this many times the profile's most pairs: the profile's 40 bound a run without
#: a budget, where nothing else does; under a budget the time is bounded, and a cheap, noisy contender (threads
#: on addweighted, +-6.6 % at 40 pairs, 0.03 s a pair) stopped at 40 while the race's seconds went elsewhere
RACE_PAIRS_FACTOR = 4


#: the minimums a budget may fall back to, most generous first; below the last, cases are cut.  Not 2 pairs:
#: an interval from 2 pairs has one degree of freedom (t = 12.7), which no race can read.  Not 1 process:
#: pairs from one process share its luck, which their interval cannot see (joblib with one worker, which runs
#: in the calling process like the serial loop, read x1.033 [1.027, 1.040] from 3 pairs in 1 process; the
#: same code timed apart x0.991)
LEVELS = (Minimum(4, 2), Minimum(3, 2))


@dataclass(frozen=True)
class CaseEstimate:
    """One case's estimated cost: what is paid per process, and per pair (or per value)."""

    case: Case
    cycle_s: float  # the case's own cycle (serial: the serial cycle)
    pair_s: float  # reference + case cycle (serial: one cycle)
    process_s: float  # start-up and pool start of one process
    default_rounds: int  # rounds the profile takes without a budget (its case budget, at least its minimum)
    #: the warm-up rounds, paid once: a later process skips the warm-ups the first showed to be unneeded
    warmup_s: float = 0.0

    @property
    def serial(self) -> bool:
        return self.case.is_serial

    def cost(self, rounds: int, processes: int) -> float:
        """Seconds for ``rounds`` pairs (values) over ``processes`` fresh processes."""
        task_cycle = self.cycle_s if self.serial else 0.0  # the serial case's task-size cycle
        return processes * self.process_s + self.warmup_s + rounds * self.pair_s + task_cycle

    def minimum_s(self, minimum: Minimum) -> float:
        if self.serial:
            return self.cost(self.budgeted_rounds(minimum.pairs), 1)
        return self.cost(minimum.pairs, minimum.processes)

    def budgeted_rounds(self, least: int) -> int:
        """A serial case's values under a budget: its profile's, stopped after SERIAL_BUDGET_S of cycles."""
        wanted = math.ceil(SERIAL_BUDGET_S / self.pair_s) if self.pair_s > 0 else least
        return min(self.default_rounds, max(least, wanted))

    def default_s(self, processes: int) -> float:
        return self.cost(self.default_rounds, 1 if self.serial else processes)


@dataclass(frozen=True)
class Allocation:
    """What a budget buys: the minimum of the verdict's cases and of the others, the cases cut, the rest."""

    top: Minimum | None  # cases at each workload's largest core count (the verdict's); None: cut
    others: Minimum | None
    minimum_s: float  # cases at their minimum, serial cases included
    spare_s: float  # what is left for racing: more pairs where the verdict is not decided
    extra_pairs: int  # about how many pairs the spare buys
    cut: tuple[str, ...]  # keys of the cases the budget cannot measure
    #: with the other core counts cut: the one-worker one-core warm cases kept at this minimum (None: cut too)
    twins: Minimum | None = None
    #: the most the race can use: every case kept raced up to the profile's most pairs (a small matrix ends early)
    race_cap_s: float = math.inf

    @property
    def fits(self) -> bool:
        return self.spare_s >= 0


@dataclass(frozen=True)
class Plan:
    """The run's estimate by part, and (with a budget) what it buys."""

    estimates: tuple[CaseEstimate, ...]
    probes: Mapping[str, Probe]
    cpus: int
    calibration_s: float
    serial_s: float  # the serial cases
    pairs_s: float  # the parallel cases as the profile runs them without a budget
    minimum_pairs_s: float  # the parallel cases at the profile's minimum
    report_s: float
    budget_s: float | None
    allocation: Allocation | None
    #: the one-worker twins kept (``Allocation.twins``) are measured after the race, for the verdict's
    #: contenders only: the plan counts them all (what they cost at most); the race gets what they leave
    twins_on_demand: bool = False

    @property
    def run_s(self) -> float:
        """`bench run` without the report: the budget's own total when there is one."""
        if self.budget_s is None or self.allocation is None:
            return self.calibration_s + self.serial_s + self.pairs_s
        a = self.allocation
        spent = self.calibration_s + a.minimum_s + min(max(a.spare_s, 0.0), a.race_cap_s)
        return min(spent, self.budget_s)

    @property
    def total_s(self) -> float:
        return self.run_s + self.report_s

    def one_line(self) -> str:
        """What `bench run` prints when it starts."""
        parts = (f"{len(self.estimates)} cases, estimated {_duration(self.run_s)} "
                 f"(calibration {_duration(self.calibration_s)}, serial {_duration(self.serial_s)}, ")
        if self.allocation is None or self.budget_s is None:
            return parts + f"pairs {_duration(self.pairs_s)}) + report ~{_duration(self.report_s)}"
        a = self.allocation
        cut = f", {len(a.cut)} cases cut" if a.cut else ""
        return (parts + f"minimum pairs {_duration(a.minimum_s - self.serial_s)}, "
                f"racing {_duration(max(a.spare_s, 0))}) within the budget {_duration(self.budget_s)}{cut}; "
                f"report ~{_duration(self.report_s)} more")


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def case_cycle_s(case: Case, serial_cycle_s: float, n_tasks: int) -> float:
    """A parallel case's cycle: the serial cycle spread over the workers that can get a task, plus dispatch.

    Tasks are dealt in rounds of p (p = min(workers, cores)), so n tasks take ceil(n / p)
    rounds of a task each; a cold cycle also starts and closes its pool.  Deliberately
    simple: the probe times serial work only, and the run measures the rest.
    """
    p = max(1, min(case.workers, case.cores, n_tasks or 1))
    rounds = math.ceil(max(n_tasks, 1) / p)
    spread = serial_cycle_s * rounds / max(n_tasks, 1)
    # oversubscribed workers (I/O work, 2 per core) wait on each other, not on the CPU: as above with workers
    if case.workers > case.cores:
        spread = serial_cycle_s * math.ceil(max(n_tasks, 1) / min(case.workers, max(n_tasks, 1))) / max(n_tasks, 1)
    per_worker = COLD_START_S.get(case.strategy, COLD_START_PER_WORKER_S)
    start = per_worker * case.workers if case.mode == "cold" else 0.0
    return spread + start + DISPATCH_S


def estimate(case: Case, probe: Probe, timing: Timing) -> CaseEstimate:
    """One case's cost from its workload's probe."""
    serial = probe.cycle_s
    if case.is_serial:
        rounds = _rounds(serial, timing)
        return CaseEstimate(case, serial, serial, probe.process_s, rounds, timing.warmups * serial)
    cycle = case_cycle_s(case, serial, probe.n_tasks)
    pair = serial + cycle
    per_worker = COLD_START_S.get(case.strategy, WARM_START_PER_WORKER_S)
    start = per_worker * case.workers if case.mode == "warm" else 0.0
    return CaseEstimate(case, cycle, pair, probe.process_s + start, _rounds(pair, timing), timing.warmups * pair)


def _rounds(per_round_s: float, timing: Timing) -> int:
    """Rounds the profile takes without a budget: its case budget of cycle seconds, within min and max."""
    wanted = math.ceil(timing.case_budget_s / per_round_s) if per_round_s > 0 else timing.max_pairs
    return max(timing.min_pairs, min(timing.max_pairs, wanted))


def plan(cases: Sequence[Case], probes: Mapping[str, Probe], budget_s: float | None, *, cpus: int,
         timing: Timing = Timing(), calibration_s: float = 2 * CALIBRATION_S, report_s: float = REPORT_S,
         twins_on_demand: bool = False) -> Plan:
    """The run's plan: each case's cost from its workload's probe, by part, and what ``budget_s`` buys.

    ``cpus`` is the machine's CPU count (the cases already carry their cores and
    workers): `bench plan --cpus N` passes another machine's cases and count.
    A case whose workload has no probe is refused (KeyError): the caller probes every workload it plans.
    """
    estimates = tuple(estimate(case, probes[case.workload], timing) for case in cases)
    serial = [e for e in estimates if e.serial]
    parallel = [e for e in estimates if not e.serial]
    first = Minimum(timing.min_pairs, timing.processes)
    allocation = None if budget_s is None else allocate(estimates, budget_s - calibration_s, first,
                                                        max_pairs=timing.race_max_pairs)
    return Plan(estimates=estimates, probes=dict(probes), cpus=cpus, calibration_s=calibration_s,
                # under a budget a serial case stops after SERIAL_BUDGET_S (``budgeted_rounds``)
                serial_s=sum(e.default_s(1) if budget_s is None else e.minimum_s(first) for e in serial),
                pairs_s=sum(e.default_s(timing.processes) for e in parallel),
                minimum_pairs_s=sum(e.minimum_s(first) for e in parallel),
                report_s=report_s, budget_s=budget_s, allocation=allocation, twins_on_demand=twins_on_demand)


def top_cores(cases: Sequence[Case]) -> dict[str, int]:
    """Each workload instance's largest core count: where the verdict is read."""
    top: dict[str, int] = {}
    for case in cases:
        top[case.instance] = max(top.get(case.instance, 0), case.cores)
    return top


def levels(first: Minimum) -> tuple[Minimum, ...]:
    """The profile's own minimum, then the fallbacks below it."""
    lower = (Minimum(m.pairs, min(m.processes, first.processes)) for m in LEVELS)  # never more than asked
    return (first, *dict.fromkeys(m for m in lower if (m.pairs, m.processes) < (first.pairs, first.processes)))


#: a budget keeps this share for racing when the minimums allow it
RACE_SHARE = 0.3


def allocate(estimates: Sequence[CaseEstimate], available_s: float, first: Minimum = LEVELS[0],
             race_share: float = RACE_SHARE, max_pairs: int = 40) -> Allocation:
    """The most generous minimums that fit ``available_s`` (seconds for the cases), keeping a share for racing.

    The verdict's cases (each workload's largest core count) keep their minimum
    longest; the other core counts fall back first, then are cut.  When nothing
    fits even then, the verdict's cases run at the lowest minimum and the ones
    that do not fit are cut (the runner cuts them as the time runs out).
    """
    usable = available_s * (1 - MARGIN)
    top = top_cores([e.case for e in estimates])
    mine = [e for e in estimates if e.case.cores == top[e.case.instance]]
    other = [e for e in estimates if e.case.cores != top[e.case.instance]]
    twins = [e for e in other if single_worker_twin(e.case)]
    lowest = levels(first)[-1]
    for share, options in _passes(first, lowest if twins else None, race_share):
        for t, o, kept, keep in _with_twin_sets(options, twin_sets(twins, lowest)):
            cost = _cost(mine, t) + (_cost(other, o) if o else _cost(keep, kept))
            if cost <= usable * (1 - share):
                cut = [] if o else [e for e in other if kept is None or e not in keep]
                found = replace(_allocation(t, o, cost, usable, estimates, cut), twins=kept)
                return replace(found, race_cap_s=race_cap(estimates, found, max_pairs))
    return _squeezed(mine, other, lowest, usable)


def twin_sets(twins: Sequence[CaseEstimate], minimum: Minimum) -> list[list[CaseEstimate]]:
    """The twins a budget may keep, the most first: all, then without the costliest workload's, and so on.

    A workload's twins go together with their serial baseline.  Cutting the costliest
    workload's first keeps the most ``single_worker_speedup`` columns for the seconds given
    back to the race (ocr's one-worker cases, two tesseract pages a cycle in both arms, cost
    14 s of a 150 s quick run: as much as the other four workloads' together).
    """
    by: dict[str, list[CaseEstimate]] = {}
    for e in twins:
        by.setdefault(e.case.instance, []).append(e)
    order = sorted(by, key=lambda i: (-_cost(by[i], minimum), i))
    return [[e for i in order[k:] for e in by[i]] for k in range(len(order))] or [[]]


def _with_twin_sets(options: Sequence[Option], sets: Sequence[list[CaseEstimate]]
                    ) -> list[tuple[Minimum, Minimum | None, Minimum | None, list[CaseEstimate]]]:
    """Each option with the twins it keeps, in order; a run of options keeping twins is tried with every
    set, most twins first (for each set, every level of the verdict's cases)."""
    found: list[tuple[Minimum, Minimum | None, Minimum | None, list[CaseEstimate]]] = []
    for keeps, run in itertools.groupby(options, key=_keeps_twins):
        same = list(run)
        found += [(*o, keep) for keep in sets for o in same] if keeps else [(*o, list(sets[0])) for o in same]
    return found


def _keeps_twins(option: Option) -> bool:
    return option[1] is None and option[2] is not None


Option = tuple[Minimum, Minimum | None, Minimum | None]


def _passes(first: Minimum, twins: Minimum | None, race_share: float) -> list[tuple[float, list[Option]]]:
    """(share of the time kept for racing, options tried at it), in order; an option is
    (the verdict's minimum, the other core counts', the one-worker twins' when the others are cut).

    Every other core count at a minimum before any is cut; then, before cutting them all,
    the one-core one-worker warm cases alone at the lowest minimum (each parallel case's
    ``single_worker_speedup`` and the one-core known truths need them), for two thirds of the race's
    share, the costliest workload's cut first where all do not fit (``twin_sets``), else for a
    quarter of it, even at a stingier minimum for the verdict's cases; then everything else cut.
    All twins kept at a quarter of the share left the race 2-7 s of a quick run's 150 s and two
    or three of five verdicts' contenders at +-7-14 %; without ocr's twins the race had 20 s.
    """
    both = [(t, o) for t in levels(first) for o in levels(first) if (o.pairs, o.processes) <= (t.pairs, t.processes)]
    both.sort(key=lambda pair: (_rank(pair[1]), _rank(pair[0])))
    generous: list[Option] = [(t, o, None) for t, o in both]
    kept: list[Option] = [(t, None, twins) for t in levels(first)] if twins else []
    bare: list[Option] = [(t, None, None) for t in levels(first)]
    return [(race_share, generous), (race_share * TWINS_RACE_SHARE, kept), (race_share / 4, kept),
            (race_share, bare), (0.0, generous + kept + bare)]


#: the share of the race's share that the one-worker twins leave it before the costliest workload's go: at a half
#: (15 % of a quick run) the race had 20-25 s after re-measures and left ocr's, fib's and addweighted's
#: contenders at +-7-10 %, about 8 s short of +-5 %
TWINS_RACE_SHARE = 2 / 3


def single_worker_twin(case: Case) -> bool:
    """A warm one-core one-worker case (serial included): what ``single_worker_speedup`` and one-core truths read."""
    return case.single_worker == case and case.mode == "warm"


#: pairs in each more process of the race at the least (its start-up and warm-ups are paid per process, so not 1)
RACE_PAIRS = 3
#: ... and at the most: a race process takes enough pairs that its fixed cost (start-up, pool, warm-ups) is
#: at most a third of it, up to this many, so the race still spreads a case over fresh processes (each one's
#: luck is shared by its pairs).  At 3 pairs a process, a one-case race of fib on Pool.map (0.09 s a pair,
#: 0.3 s fixed) spent half its time starting processes
RACE_MAX_PAIRS = 12


#: at its minimum, a case's later process takes as many more pairs as cost at most this share of what the first
#: process spent beyond its pairs (start-up, pool, warm-ups), up to RACE_MAX_PAIRS a process: square's 2 ms pairs
#: read +-30-150 % at 3 pairs in 2 processes, where 10 more cost a fiftieth of a second
CHEAP_SHARE = 0.25


def pair_seconds(values: Sequence[float], reference: Sequence[float]) -> float:
    """One (reference, case) pair's seconds: the upper medians of the two (the case's own values where it has
    no reference); inf without values."""
    if not values:
        return math.inf
    values, reference = sorted(values), sorted(reference or values)
    return values[len(values) // 2] + reference[len(reference) // 2]


def cheap_pairs(pair_s: float, fixed_s: float, have: int, share: float = CHEAP_SHARE) -> int:
    """More pairs for a process that has ``have``: as many as cost ``share`` of ``fixed_s``, within RACE_MAX_PAIRS."""
    if not (pair_s > 0 and math.isfinite(pair_s) and fixed_s > 0 and share > 0):
        return 0
    return max(0, min(int(share * fixed_s / pair_s), RACE_MAX_PAIRS - have))


def sitting_pairs(pair_s: float, fixed_s: float, room: int = RACE_MAX_PAIRS) -> int:
    """Pairs in one more race process of a case: its fixed seconds at most a third of it, within the bounds.

    ``room`` is how many pairs the case may still take (its profile's most, less what it has).
    """
    wanted = math.ceil(2.0 * fixed_s / pair_s) if pair_s > 0 and math.isfinite(pair_s) else RACE_PAIRS
    return max(1, min(room, RACE_MAX_PAIRS, max(RACE_PAIRS, wanted)))


def race_cap(estimates: Sequence[CaseEstimate], allocation: Allocation, max_pairs: int) -> float:
    """The most the race could spend: every kept parallel case raced from its minimum up to ``max_pairs``."""
    total = 0.0
    for e in estimates:
        if e.serial or e.case.key in allocation.cut:
            continue
        minimum = allocation.top if allocation.top is not None else LEVELS[-1]
        more = max(0, max_pairs - minimum.pairs)
        fixed = e.process_s + e.warmup_s
        total += more * e.pair_s + math.ceil(more / sitting_pairs(e.pair_s, fixed)) * fixed
    return total


def _rank(minimum: Minimum | None) -> int:
    """0 for the most generous level, larger for stingier ones (None, cut: the stingiest)."""
    return len(LEVELS) + 1 if minimum is None else -(minimum.pairs * 10 + minimum.processes)


def _cost(estimates: Sequence[CaseEstimate], minimum: Minimum | None) -> float:
    if minimum is None:
        return 0.0
    return sum(e.minimum_s(minimum) for e in estimates)


def _allocation(top: Minimum, others: Minimum | None, cost: float, usable: float,
                estimates: Sequence[CaseEstimate], cut: Sequence[CaseEstimate]) -> Allocation:
    spare = usable - cost
    pairs = [e.pair_s for e in estimates if not e.serial and e not in cut]
    mean_pair = sum(pairs) / len(pairs) if pairs else math.inf
    return Allocation(top=top, others=others, minimum_s=cost, spare_s=spare,
                      extra_pairs=int(spare / mean_pair) if spare > 0 and pairs else 0,
                      cut=tuple(e.case.key for e in cut))


def _squeezed(mine: Sequence[CaseEstimate], other: Sequence[CaseEstimate], lowest: Minimum,
              usable: float) -> Allocation:
    """Nothing fits: the verdict's cases at the lowest minimum, in order, as far as the time goes."""
    spent, kept, cut = 0.0, [], list(other)
    for e in mine:
        cost = e.minimum_s(lowest)
        if spent + cost <= usable or e.serial:  # a serial case is every parallel case's baseline
            spent += cost
            kept.append(e)
        else:
            cut.append(e)
    return replace(_allocation(lowest, None, spent, usable, kept, cut), spare_s=min(0.0, usable - spent))
