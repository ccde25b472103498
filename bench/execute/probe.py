"""The probe before a run: each workload's serial cycle, timed briefly in a fresh pinned process.

What a run costs is mostly its cycles, and a cycle's time depends on the machine's
speed that day (fib(25) x 8 took 0.10 s one day and 0.25 s another here).  So the
plan (``bench.analysis.plan``) starts from a measurement, not a guess: one serial case
per workload at one core, with one warm-up and three values (and the task-size cycle a
serial case always adds), a second or so per workload.  The probe's own process also
says what a fresh case process costs beyond its cycles.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Sequence

from bench.analysis.plan import PROCESS_S, Probe
from bench.measure.core import TimingPlan
from bench.model import Case

#: one warm-up and three values, the fastest taken: the cycle's size, not its spread.  With one value a slow
#: cycle made the plan: ocr's probe read 0.4 s for a 0.23 s cycle, and the plan cut ocr's one-worker cases
#: and gave the race 23 s it then had 37 s for
PROBE_PLAN = TimingPlan(warmups=1, values=3, min_values=3)
#: a workload whose probe failed is planned with this cycle (its cases will fail and say why)
FALLBACK_CYCLE_S = 0.1


def probe_cases(cases: Sequence[Case]) -> list[Case]:
    """One serial case per workload (as the run parameterises it), at one core."""
    found: dict[str, Case] = {}
    for case in cases:
        if case.workload not in found:
            found[case.workload] = replace(case, strategy="serial", cores=1, workers=1, mode="warm",
                                           start_method=None)
    return list(found.values())


def probe_answer(workload: str, answer: Mapping[str, Any]) -> Probe:
    """The probe from one serial sitting's answer: its fastest cycle, and its process beyond its cycles."""
    values = list(answer.get("values") or [])
    if not answer.get("ok") or not values:
        return Probe(workload, FALLBACK_CYCLE_S, 1)
    metadata = answer.get("metadata", {})
    cycles = sum(values) + sum(answer.get("warmups") or []) + sum(metadata.get("task_seconds") or [])
    process = float(metadata.get("case_process_s", 0.0)) - cycles
    return Probe(workload, min(values), int(metadata.get("n_tasks", 1)),
                 process_s=process if process > 0 else PROCESS_S)


def probe(runner: Any, cases: Sequence[Case]) -> dict[str, Probe]:
    """Probe each workload of ``cases`` with the runner's launcher and scratch folder (a ``Runner``, not imported:
    the runner imports this module through ``bench.execute.pacing``)."""
    found = {}
    for index, case in enumerate(probe_cases(cases)):
        answer = runner.sitting(case, PROBE_PLAN, f"probe{index}")
        found[case.workload] = probe_answer(case.workload, answer)
    return found
