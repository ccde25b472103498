"""Runs the matrix: one fresh pinned process per case, serial first, results saved after each.

Order of work for each core count and workload: the serial baseline, then
every parallel case, each checked against the serial result fingerprints.
The results file is rewritten atomically after every case, so an interrupted
run keeps everything it measured and `--resume` can pick it up.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from bench import registry, storage
from bench.analysis.plan import cheap_pairs, pair_seconds
from bench.execute import interrupts, launcher, remeasure, scratch
from bench.execute.isolation import (
    EXIT_GRACE_SECONDS,
    Outcome,
    become_subreaper,
    descendant_pids,
    reap_descendants,
    run_launched,
    run_pinned,
)
from bench.machine import topology
from bench.measure.core import TimingPlan, merge_answers, session_plans, settled_arms
from bench.measure.threadlimits import SINGLE_THREAD
from bench.model import Case, CaseResult, Workload

#: rounds per case: a parallel case's round is a (reference, case) pair; it stops once its
#: paired speed-up is within +-target (relative half-width) or the budget of cycle seconds is spent
PLANS: dict[str, TimingPlan] = {
    "quick": TimingPlan(warmups=1, values=40, min_values=4, budget_seconds=0.5, target=0.03),
    "full": TimingPlan(warmups=2, values=400, min_values=10, budget_seconds=30.0, target=0.015),
}
#: fresh case processes per parallel case (``bench run --processes``): both profiles spread a case's
#: rounds over two, so that one process's luck widens the interval instead of shifting it.  The later
#: sitting skips the warm-ups that the first showed to be unneeded (``settled_arms``), so two cost the
#: cycles of one: a quick run here took 3354 cycles with 1 process and 3354 with 2 (3748 before the skip)
PROCESSES: dict[str, int] = {"quick": 2, "full": 2}
#: the whole run's default time budget (``bench run --budget``), calibration included: the quick
#: matrix in 160 s, so that `make bench` (its report takes 4-16 s more) ends within 3 minutes of setup
#: on a 2-core machine whatever its speed that day; the full profile takes what it takes
BUDGETS: dict[str, float | None] = {"quick": 160.0, "full": None}

@dataclass
class RunSettings:
    """How to run cases; independent of which cases."""

    output: Path
    plan: TimingPlan
    timeout: float = 120.0
    workload_modules: Sequence[str] = ()
    strategy_modules: Sequence[str] = ()
    scheduler: str | None = None
    #: False (bench run --no-thread-limits): no BLAS/OpenMP caps, to see what oversubscription costs
    thread_limits: bool = True
    #: CPUs in pinning order: a case of k cores gets the first k (distinct physical cores first, see topology)
    cpus: Sequence[int] = field(default_factory=lambda: topology.current().order)
    progress: bool = True
    #: fresh case processes per parallel case, its rounds shared among them (see session_plans)
    processes: int = 1
    #: seconds the whole run may take (bench run --budget; None: no budget), counted from ``started``
    #: (time.monotonic), so that what came before the runner (calibration) is inside it
    budget_s: float | None = None
    started: float | None = None
    #: a budgeted run that keeps only the one-core one-worker twins of the other core counts measures them after
    #: the race, for the verdict's contenders only (``bench.execute.session.twins_on_demand``)
    twins_on_demand: bool = False


def case_env(case: Case, workload: Workload, thread_limits: bool = True) -> dict[str, str]:
    # The workload's nested-thread limits apply to serial too: an unlimited
    # tesseract is ~2x slower even alone, and a handicapped baseline would
    # inflate every speed-up.  Without limits the caller's environment is
    # passed as it is (variables it already sets still apply, and are recorded).
    return {**base_env(thread_limits), **(workload.parallel_env if thread_limits else {})}


def base_env(thread_limits: bool = True) -> dict[str, str]:
    """The environment every case shares (the launcher starts with it)."""
    env = {**os.environ, **(SINGLE_THREAD if thread_limits else {})}
    env.setdefault("PYTHONHASHSEED", "0")  # deterministic str hashing in every worker
    return env


#: case metadata "case_exit" of a case that answered but could not exit
LINGERED_NOTE = ("killed: its answer was complete but its process did not exit "
                 f"(a non-daemon thread left running?) within {EXIT_GRACE_SECONDS:g} s")


def _cheap_more(answer: dict[str, Any], share: float, have: int) -> int:
    """The pairs a later sitting adds: ``plan.cheap_pairs`` from what the first sitting's pairs and process cost."""
    values, reference = answer.get("values") or [], answer.get("reference") or []
    if share <= 0 or not values or not reference:
        return 0
    fixed = float(answer.get("metadata", {}).get("case_process_s", 0.0)) - sum(values) - sum(reference)
    return cheap_pairs(pair_seconds(values, reference), fixed, have, share)


def _failure(case: Case, error: str) -> CaseResult:
    return CaseResult(case=case, values=(), warmups=(), ok=False, error=error)


class Runner:
    def __init__(self, settings: RunSettings, workloads: Mapping[str, Workload], results: storage.ResultSet):
        self.settings = settings
        self.workloads = workloads
        self.results = results
        scratch.sweep()  # what killed runs left behind
        self.scratch = scratch.make()
        self.launcher: launcher.Launcher | None = None
        self.measured = 0  # case measurements started (re-measures too): each gets its own scratch files
        #: each instance's serial fingerprints as one file, written once: every sitting of every case reads it
        #: (2 M inputs: 40 MB of JSON, written per sitting before)
        self._expected_files: dict[str, tuple[list[str], Path]] = {}

    def run(self, cases: Sequence[Case], on_case: Callable[[Case], None] = lambda case: None) -> storage.ResultSet:
        become_subreaper()
        existing = descendant_pids()
        self.launcher = self._start_launcher(cases)
        done = self.results.case_keys()
        todo = [case for case in cases if case.key not in done]
        progress = _progress(len(cases), len(cases) - len(todo), self.settings.progress)
        try:
            pacer = self._pacer(todo)
            for index, case in enumerate(todo):
                interrupts.check()
                progress.set_postfix_str(case.key, refresh=False)
                started = time.monotonic()  # the pace counts the harness's own seconds too (planning, saving)
                paced = pacer.plan_for(case, todo[index:]) if pacer else (None, None)
                if paced is None:  # cut by the budget (said in results.skipped), or a twin left for later
                    progress.update(1)
                    continue
                on_case(case)
                result = self.run_case(case, *paced)
                interrupts.check()  # a case killed by the stop request is not a result
                self.results.cases.append(result)
                storage.save(self.results, self.settings.output)
                if pacer:
                    pacer.done(case, result, time.monotonic() - started, paced[1])
                progress.update(1)
            if pacer:  # disturbed cases again first (within what the budget has left), then the race
                self._remeasure(limit_s=pacer.spare_s(), plan=pacer.remeasure_plan())
                pacer.race()
            else:
                self._remeasure()
            interrupts.check()
            self.results.complete = True
            storage.save(self.results, self.settings.output)
        finally:
            if self.launcher is not None:
                self.launcher.close()
                self.launcher = None
            # a signal can land between fork and bookkeeping: whatever this run
            # started and is still alive dies here, before the subreaper exits
            reap_descendants(keep=existing)
            shutil.rmtree(self.scratch, ignore_errors=True)  # specs, answers and logs of this run's cases
            progress.close()
        return self.results

    def _remeasure(self, limit_s: float | None = None, plan: TimingPlan | None = None) -> None:
        """Disturbed cases measured again once their CPUs are quiet (bench.execute.remeasure)."""
        remeasure.Remeasure(self.results.cases, lambda case: self.run_case(case, plan), self.cpus_for, self._save,
                            check=interrupts.check, limit_s=limit_s).run()

    def cpus_for(self, case: Case) -> list[int]:
        """The CPUs a case is pinned to: the first ``cores`` of the run's."""
        return list(self.settings.cpus)[: case.cores]

    def _save(self) -> None:
        storage.save(self.results, self.settings.output)

    def _pacer(self, todo: Sequence[Case]) -> Any:
        """A budgeted run's pacer (bench.execute.pacing), started: probed and planned; None without a budget."""
        from bench.execute import pacing

        if not todo:
            return None
        if self.settings.budget_s is None:  # --budget none: today's run, with its estimate said first
            if self.settings.progress:
                pacing.say_estimate(self, list(todo))
            return None
        pacer = pacing.Pacer.create(self, self.settings.budget_s, self.settings.started or time.monotonic())
        pacer.start(list(todo))
        return pacer

    def run_case(self, case: Case, plan: TimingPlan | None = None, processes: int | None = None) -> CaseResult:
        """Measure one case; ``plan`` and ``processes`` override the settings' (a budgeted run's minimum)."""
        workload = self.workloads[case.workload]
        expected = self.results.expected.get(case.instance)
        if not case.is_serial and expected is None:
            return _failure(case, "no serial baseline to check results against (serial case failed)")
        self.measured += 1
        answer = self._execute(case, workload, expected, plan or self.settings.plan,
                               processes or self.settings.processes)
        result = CaseResult(case=case, values=tuple(answer.get("values", ())),
                            warmups=tuple(answer.get("warmups", ())), ok=bool(answer.get("ok")),
                            error=str(answer.get("error", "")), metrics=answer.get("metrics", {}),
                            metadata=answer.get("metadata", {}), reference=tuple(answer.get("reference", ())),
                            reference_warmups=tuple(answer.get("reference_warmups", ())))
        if result.ok and case.is_serial and expected is None:
            self.results.expected[case.instance] = answer["fingerprints"]
        return result

    def _execute(self, case: Case, workload: Workload, expected: list[str] | None, timing: TimingPlan,
                 processes: int) -> dict[str, Any]:
        """The case's answer; a parallel case's rounds shared among ``processes`` fresh case processes."""
        plans = [timing] if case.is_serial else session_plans(timing, processes)
        answers: list[dict[str, Any]] = []
        skip: tuple[str, ...] = ()  # the arms the first sitting showed to need no warm-up skip it later
        more = 0  # pairs a later sitting adds where they are cheap (a budgeted minimum: TimingPlan.cheap_share)
        for sitting, plan in enumerate(plans):
            plan = replace(plan, skip_warmups=skip, values=plan.values + more, min_values=plan.min_values + more)
            answer = self._sitting(case, workload, expected, plan, sitting)
            if not answer.get("ok"):
                return answer
            answers.append(answer)
            if sitting == 0:
                skip = settled_arms(answer)
                more = _cheap_more(answer, timing.cheap_share, plans[-1].values)
        merged = merge_answers(answers)
        if len(answers) > 1:
            merged["metadata"]["warmups_skipped"] = ",".join(skip) or "none"
        return merged

    def sitting(self, case: Case, plan: TimingPlan, name: str, expected: list[str] | None = None) -> dict[str, Any]:
        """One fresh process of ``case`` outside the matrix's order (a probe, a raced case's more pairs)."""
        return self._sitting(case, self.workloads[case.workload], expected, plan, name)

    def _sitting(self, case: Case, workload: Workload, expected: list[str] | None, plan: TimingPlan,
                 sitting: int | str) -> dict[str, Any]:
        stem = self.scratch / f"case{self.measured}-{sitting}"
        expected_path = self._expected_file(case, expected) if expected is not None else None
        cpus = self.cpus_for(case)
        spec = {"case": case.to_dict(), "cpus": cpus, "plan": vars(plan),
                "workload_modules": list(self.settings.workload_modules),
                "strategy_modules": list(self.settings.strategy_modules),
                "expected_path": str(expected_path) if expected_path else None,
                "scheduler": self.settings.scheduler, "thread_limits": self.settings.thread_limits}
        spec_path, out_path, log_path = (stem.with_suffix(s) for s in (".spec.json", ".out.json", ".log"))
        spec_path.write_text(json.dumps(spec))
        outcome = self._start_case(case, [str(spec_path), str(out_path)], cpus,
                                   case_env(case, workload, self.settings.thread_limits), str(log_path),
                                   str(out_path))
        if outcome.timed_out:
            return {"ok": False, "error": f"timed out after {self.settings.timeout:g} s; case process tree killed"}
        if not out_path.exists():
            return {"ok": False, "error": _died(outcome.returncode, log_path)}
        answer = json.loads(out_path.read_text())
        # the whole case, from its launch to its exit: what the matrix really costs
        answer.setdefault("metadata", {})["case_process_s"] = round(outcome.seconds, 3)
        answer["metadata"]["case_started_by"] = outcome.started_by
        # the mark of the table's cpu_placement column: did k cores need siblings or a second NUMA node?
        answer["metadata"]["cpu_placement"] = topology.placement(topology.current(), cpus)
        if outcome.lingered:  # its answer is complete: taken, and the process that would not exit killed
            answer["metadata"]["case_exit"] = LINGERED_NOTE
        return answer

    def _expected_file(self, case: Case, expected: list[str]) -> Path:
        """The file that carries ``expected`` to a case process: one per instance and fingerprint list."""
        known = self._expected_files.get(case.instance)
        if known is not None and known[0] is expected:
            return known[1]
        path = self.scratch / f"expected{len(self._expected_files)}.json"
        path.write_text(json.dumps(expected))
        self._expected_files[case.instance] = (expected, path)
        return path

    def _start_launcher(self, cases: Sequence[Case]) -> launcher.Launcher | None:
        """A preloaded fork server for this interpreter's cases, or None (each case execs)."""
        own = [case for case in cases if case.python is None]
        # without thread limits a preloaded numpy may already run BLAS threads: no fork then
        if not own or not self.settings.thread_limits or not launcher.supported():
            return None
        names = sorted({c.workload for c in own})
        objects: list[object] = [self.workloads[name] for name in names if name in self.workloads]
        for name in sorted({c.strategy for c in own}):
            try:
                objects.append(registry.get_strategy(name))
            except Exception:  # unknown or broken: its cases will say so
                pass
        try:
            return launcher.Launcher(base_env(True), launcher.preload_modules(objects))
        except (OSError, launcher.LauncherError):
            return None

    def _start_case(self, case: Case, args: list[str], cpus: list[int], env: dict[str, str],
                    log_path: str, answer_path: str) -> Outcome:
        if self.launcher is not None and case.python is None:
            try:
                return run_launched(self.launcher, args, cpus, env, self.settings.timeout, log_path, answer_path)
            except launcher.LauncherError:
                self.launcher.close()  # from now on every case execs, as without a launcher
                self.launcher = None
        argv = [case.python or sys.executable, "-m", "bench.entrypoints.case_process", *args]
        return run_pinned(argv, cpus, env, self.settings.timeout, log_path, answer_path)


def _died(returncode: int | None, log_path: Path) -> str:
    how = f"killed by signal {-returncode}" if returncode and returncode < 0 else f"exit code {returncode}"
    tail = ""
    if log_path.exists():
        lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
        tail = f": {lines[-1].strip()[:200]}" if lines else ""
    return f"case process died ({how}){tail}"


def _progress(total: int, initial: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="case", dynamic_ncols=True,
                disable=None if enabled else True, file=sys.stderr,
                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}] {postfix}")
