"""Disturbed cases measured again, later in the run, once the machine is quiet.

A case is *disturbed* when another process used more than ``bench.machine.foreign.THRESHOLD``
of its CPUs during its cycles: its speed-up then measured the neighbour.  Pairing cannot
cancel that (a serial reference needs one free CPU, the case needs all of them), but
waiting can: a neighbour on a shared VM or a laptop comes and goes.  After the matrix, each
disturbed case is measured again once a probe finds its CPUs quiet, at most
``Policy.attempts`` times and within ``Policy.budget_share`` of the matrix's own time, the
cases at the most cores (where the verdict is decided) first.  The
new measurement replaces the old one in the results, and every earlier attempt's values
stay in the file (``metadata["earlier_attempts"]``), so nothing measured is lost and the
reader sees what changed.  A case still disturbed after that is said to be so by the table,
``bench explain`` and the verdict.  If the machine never becomes quiet within
``Policy.quiet_wait_s``, re-measuring stops for the run: a busy machine stays busy.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

from bench.machine import foreign
from bench.model import Case, CaseResult

#: per-cycle metrics of an attempt kept with its values (the foreign load explains why it was redone)
KEPT_METRICS = ("foreign_cpu_s", "foreign_capacity_s", "ref_foreign_cpu_s", "ref_foreign_capacity_s")


@dataclass(frozen=True)
class Policy:
    """How hard to try: re-measures per case, the wait for quiet, the share of the matrix's time."""

    attempts: int = 2
    quiet_wait_s: float = 30.0  # longer than `bench noise`'s default 20 s busy phase
    probe_s: float = 0.5
    budget_share: float = 1.0  # of the matrix's own case seconds (case_process_s): at most doubles the run
    min_budget_s: float = 60.0  # a small matrix still gets to wait out one busy phase of a neighbour


#: re-measures per disturbed case (default Policy.attempts; 0 turns re-measuring off, as the tests do)
ATTEMPTS_VARIABLE = "BENCH_REMEASURE"


def policy_from_env() -> Policy:
    """The default policy, with ``BENCH_REMEASURE`` attempts where it is set to a whole number."""
    text = os.environ.get(ATTEMPTS_VARIABLE, "").strip()
    return Policy(attempts=max(0, int(text))) if text.isdigit() else Policy()


def disturbed(result: CaseResult) -> bool:
    """A successful case whose CPUs were taken by another process beyond the threshold."""
    return result.ok and foreign.of_case(result.metrics, result.metadata).disturbed is True


def attempts_of(result: CaseResult) -> int:
    return len(result.metadata.get("earlier_attempts") or [])


def attempt_record(result: CaseResult) -> dict[str, Any]:
    """What is kept of a superseded attempt: its raw values and why it was redone."""
    return {"values": list(result.values), "reference": list(result.reference), "warmups": list(result.warmups),
            "reference_warmups": list(result.reference_warmups),
            "value_starts": list(result.metadata.get("value_starts") or []),
            "metrics": {k: result.metrics[k] for k in KEPT_METRICS if k in result.metrics},
            "note": foreign.words(foreign.of_case(result.metrics, result.metadata))}


def superseded(new: CaseResult, old: CaseResult) -> CaseResult:
    """``new`` carrying every earlier attempt, the first first."""
    earlier = [*(old.metadata.get("earlier_attempts") or []), attempt_record(old)]
    return replace(new, metadata={**new.metadata, "earlier_attempts": earlier})


def wait_quiet(cpus: Sequence[int], policy: Policy, probe: Callable[[Sequence[int], float], float | None],
               clock: Callable[[], float]) -> bool:
    """Probe until the CPUs are quiet (True) or ``quiet_wait_s`` has passed (False).

    A probe that cannot read the load (None) counts as quiet: nothing to wait for.
    """
    deadline = clock() + policy.quiet_wait_s
    while True:
        found = probe(cpus, policy.probe_s)
        if found is None or found <= foreign.THRESHOLD:
            return True
        if clock() >= deadline:
            return False


def case_seconds(results: Sequence[CaseResult]) -> float:
    """The matrix's own time, from its cases' process seconds: what the budget is a share of."""
    return sum(float(r.metadata.get("case_process_s") or 0.0) for r in results)


@dataclass
class Remeasure:
    """Runs the re-measuring over a run's results (``cases`` is modified in place)."""

    cases: list[CaseResult]
    measure: Callable[[Case], CaseResult]
    cpus_of: Callable[[Case], Sequence[int]]
    save: Callable[[], None]
    policy: Policy = field(default_factory=policy_from_env)
    probe: Callable[[Sequence[int], float], float | None] = lambda cpus, s: foreign.probe_share(cpus, s)
    clock: Callable[[], float] = time.monotonic
    check: Callable[[], None] = lambda: None  # raises to stop (Ctrl-C)
    limit_s: float | None = None  # what a run's time budget has left for this (None: no budget)

    def run(self) -> int:
        """Re-measure what is disturbed; returns how many re-measures were made."""
        if self.policy.attempts < 1:
            return 0
        budget = max(self.policy.min_budget_s, self.policy.budget_share * case_seconds(self.cases))
        if self.limit_s is not None:
            budget = min(budget, self.limit_s)
        deadline = self.clock() + budget
        made = 0
        for _ in range(self.policy.attempts):
            todo = [i for i, r in enumerate(self.cases) if disturbed(r) and attempts_of(r) < self.policy.attempts]
            todo.sort(key=lambda i: -self.cases[i].case.cores)  # the verdict rests on the most cores: first
            for index in todo:
                self.check()
                old = self.cases[index]
                # under a run's time budget only what fits is started (its first measurement's seconds)
                cost = float(old.metadata.get("case_process_s") or 0.0) if self.limit_s is not None else 0.0
                left = deadline - self.clock()
                if left <= 0:
                    return made
                if left <= cost:
                    continue  # a shorter one may still fit
                waiting = replace(self.policy, quiet_wait_s=min(self.policy.quiet_wait_s, left - cost))
                if not wait_quiet(self.cpus_of(old.case), waiting, self.probe, self.clock):
                    return made  # the machine stays busy: what is disturbed stays so, and says so
                new = self.measure(old.case)
                self.check()
                made += 1
                if new.ok:
                    self.cases[index] = superseded(new, old)
                    self.save()
        return made
