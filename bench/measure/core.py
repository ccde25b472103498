"""The one measuring core: arms measured in interleaved rounds, for `bench run` and `bench ab`.

An *arm* is one kind of cycle, called repeatedly: it runs the cycle, checks the
results against serial outside the timed region, and returns the cycle's seconds.
A *cycle* is ``strategy.map`` in warm mode and ``start + map + close`` in cold
mode (the *case* arm), or the plain serial loop over the same tasks (the
*reference* arm).  A *round* calls every arm once, in ABBA order (the given
order in even rounds, reversed in odd ones), so neither arm always runs first
and a linear drift within a round lands on both alike.

- ``bench run``: one case process measures (reference, case) in rounds; a
  round's two values are a *pair*, and the speed-up comes from the pairs
  (``bench.analysis.stats.paired_speedup``).  Drift of the machine slower than one pair
  cancels in each pair's ratio.  The serial case itself is one arm.
- ``bench ab``: one process per side serves the same arms over a line protocol
  (``serve``), and the driver interleaves (A, B), or (A-reference, A,
  B-reference, B) when speed-ups are compared, with the same ``interleave``.

A case stops taking rounds after ``min_values`` rounds once every tracked
ratio's interval is narrow enough (``target``: "precision"), or its time budget
is spent ("budget"), or at ``values`` rounds ("max_values"); the reason is kept.

``bench ab`` passes this file's *source* with ``python -c`` to a side whose
PYTHONPATH may point at an older checkout, so this module imports only
long-standing APIs of the code under test (registry, equality, metadata,
model.StrategyOptions), lazily, and nothing that needs numpy.
"""
from __future__ import annotations

import functools
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence, TextIO

Arm = Callable[[], float]
#: the worst relative half-width over the tracked ratios, from the values so far
Precision = Callable[[Mapping[str, "ArmRecord"]], float]
REFERENCE, CASE = "reference", "case"


@dataclass(frozen=True)
class TimingPlan:
    """How many rounds a case takes: ``warmups`` discarded, then ``min_values`` to ``values``."""

    warmups: int
    values: int
    min_values: int = 3
    budget_seconds: float = float("inf")  # stop after min_values once this much was spent
    target: float = 0.0  # stop after min_values once every tracked ratio is this precise (0: off)
    skip_warmups: Sequence[str] = ()  # arms that take no warm-up here (see settled_arms)
    #: a later sitting takes as many more values as cost this share of the first sitting's fixed seconds
    #: (``bench.analysis.plan.cheap_pairs``; 0: none): a budgeted run's minimum, where pairs are cheap
    cheap_share: float = 0.0


def session_plans(plan: TimingPlan, processes: int) -> list[TimingPlan]:
    """Split one case's plan over ``processes`` fresh case processes (``bench ab``: pairs of them).

    Each gets the warm-ups and an equal share of the values, of min_values and of the
    time budget, so even a slow case visits every process: values from one process
    share its luck (where the scheduler put it and its pool workers among other
    tenants, how its memory was laid out), which no interval over values from a single
    process can see.  On the 2-core VM here one case process's workers ran fib 13 %
    faster, another's 35 % slower, than its own serial loop, in every pair.
    """
    n = max(1, min(processes, plan.values))

    def share(total: int, i: int) -> int:
        return total // n + (i < total % n)

    return [replace(plan, values=share(plan.values, i), min_values=max(1, share(plan.min_values, i)),
                    budget_seconds=plan.budget_seconds / n) for i in range(n)]


#: a first cycle at most this much slower than the upper median of its arm's values had nothing to warm
WARMUP_TOLERANCE = 0.05


def settled_arms(answer: Mapping[str, Any], tolerance: float = WARMUP_TOLERANCE) -> tuple[str, ...]:
    """The arms whose first warm-up in this sitting was no slower than their values (within tolerance).

    "No slower" is against the upper median (``values[n // 2]`` sorted): with the quick
    profile's 2 values a sitting, the slower of the two.

    A later sitting of the same case starts as fresh as this one did (a process forked
    alike, a new pool), so an arm whose first cycle was not slower here has no first-cycle
    cost to discard there: ``session_plans``' later sittings skip its warm-ups.  An arm
    that did need one (first touch of memory, a fresh pool's workers importing) keeps it.
    Noise cuts both ways: a settled arm may keep its warm-up, and a first-cycle cost of a
    few per cent may pass as none, costing at most that on one value of a later sitting.
    """
    arms = {CASE: ("warmups", "values"), REFERENCE: ("reference_warmups", "reference")}
    settled = []
    for name, (warm_key, value_key) in arms.items():
        warmups, values = answer.get(warm_key) or [], sorted(answer.get(value_key) or [])
        if warmups and values and warmups[0] <= (1 + tolerance) * values[len(values) // 2]:
            settled.append(name)
    return tuple(settled)


class CaseFailed(Exception):
    """A cycle failed or its results were wrong; the message is the one-line reason."""


@dataclass
class ArmRecord:
    """What one arm produced; ``starts`` are wall-clock stamps (epoch s) of each value's cycle."""

    values: list[float] = field(default_factory=list)
    warmups: list[float] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    error: str = ""


def order(round_index: int, names: Sequence[str]) -> list[str]:
    """ABBA: the given order in even rounds, reversed in odd ones."""
    return list(names) if round_index % 2 == 0 else list(reversed(names))


def stop_reason(records: Mapping[str, ArmRecord], plan: TimingPlan, spent: float,
                precision: Precision | None) -> str | None:
    """Why the case stops after this round, or None to take another."""
    live = [r for r in records.values() if not r.error]
    if not live:
        return "failed"
    rounds = min(len(r.values) for r in live)
    if rounds >= plan.values:
        return "max_values"
    if rounds < plan.min_values:
        return None
    if plan.target > 0 and precision is not None and precision(records) <= plan.target:
        return "precision"
    return "budget" if spent >= plan.budget_seconds else None


def _call(arm: Arm, record: ArmRecord, stamp: Callable[[], float]) -> tuple[float | None, float]:
    started = stamp()
    try:
        return arm(), started
    except CaseFailed as exc:
        record.error = str(exc) or "cycle failed"
        return None, started


def interleave(arms: Mapping[str, Arm], plan: TimingPlan, precision: Precision | None = None,
               stamp: Callable[[], float] = time.time, fail_fast: bool = False) -> tuple[dict[str, ArmRecord], str]:
    """Warm-ups then values, one cycle per arm per round in ABBA order; records and why it stopped.

    An arm that fails (CaseFailed) is skipped from then on; the others go on, unless
    ``fail_fast`` (a case of `bench run`, whose pairs are worthless without both arms).
    """
    records = {name: ArmRecord() for name in arms}
    spent = 0.0
    for index in range(plan.warmups + max(plan.values, 1)):
        for name in order(index, list(arms)):
            record = records[name]
            if record.error or (index < plan.warmups and name in plan.skip_warmups):
                continue
            value, started = _call(arms[name], record, stamp)
            if value is None and fail_fast:
                return records, "failed"
            if value is None:
                continue
            spent += value
            if index < plan.warmups:
                record.warmups.append(value)
            else:
                record.values.append(value)
                record.starts.append(started)
        reason = stop_reason(records, plan, spent, precision) if index >= plan.warmups else None
        if reason is None and all(r.error for r in records.values()):
            reason = "failed"
        if reason:
            return records, reason
    return records, "max_values"


# ---------------------------------------------------------------- the arms of one case


def one_line(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, CaseFailed) else f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0] if text else type(exc).__name__


#: case cycles (after the first, a warm-up) whose CPU is also read for the whole process tree:
#: reading every worker costs milliseconds outside the timed region, so a few cycles give the means
TREE_CYCLES = 2


def _usage() -> Any:
    """CPU time per cycle (checks the workload's declared bound); None in a checkout without it."""
    try:
        from bench.measure.cpu_usage import CycleUsage
    except ImportError:
        return None
    return CycleUsage()


def _tree_usage() -> Any:
    """CPU and run-queue wait of the case process and all its workers (where this checkout has it)."""
    try:
        from bench.measure.cpu_usage import TreeUsage
    except ImportError:
        return None
    return TreeUsage()


def _foreign_load() -> Any:
    """Other processes' CPU on the case's CPUs around every cycle (where this checkout has it)."""
    try:
        from bench.measure.foreign_load import ForeignLoad
    except ImportError:
        return None
    return ForeignLoad()


class CaseArms:
    """The workload and strategy of one case, set up once; its reference and case cycles on request.

    ``spec`` is the runner's case spec: ``case`` (a Case as a dict), ``cpus``,
    ``expected`` (serial fingerprints, or None for the serial case itself),
    ``workload_modules``, ``strategy_modules``, ``scheduler``.
    """

    def __init__(self, spec: Mapping[str, Any], clock: Callable[[], float] = time.perf_counter) -> None:
        from bench import registry
        from bench.model import StrategyOptions

        for module in spec.get("workload_modules", []):
            registry.import_workload_module(module)
        for module in spec.get("strategy_modules", []):
            getattr(registry, "import_strategy_module", lambda name: None)(module)
        self.case = dict(spec["case"])
        self.workload = registry.get_workload(self.case["workload"])
        self.tasks = self.workload.make_tasks(self.case["params"])
        options = StrategyOptions(workers=self.case["workers"], start_method=self.case.get("start_method"),
                                  scheduler=spec.get("scheduler"), cores=tuple(spec.get("cpus", ())))
        self.strategy = registry.get_strategy(self.case["strategy"])(options)
        self.serial = registry.get_strategy("serial")(options)
        self.expected = spec.get("expected")
        self.thread_limits = "on" if spec.get("thread_limits", True) else "off"
        self.clock = clock
        self.usage = {CASE: _usage(), REFERENCE: _usage()}
        self.tree = _tree_usage()
        self.foreign = _foreign_load()
        self.case_cycles = 0
        self.previous: list[str] | None = None  # the serial case's last fingerprints
        self.results: list[Any] = []  # the case arm's last results (the answer's fingerprints and summary)
        self.reference_results: list[Any] = []
        self.warm = self.case["mode"] == "warm"
        self.started = False

    @property
    def is_serial(self) -> bool:
        return self.case["strategy"] == "serial"

    def start(self) -> None:
        """Warm mode: the pool starts before any timed cycle."""
        if self.warm and not self.started:
            self.strategy.start()
            self.started = True

    def close(self) -> None:
        if self.started:
            self.started = False
            self.strategy.close()

    def _case_cycle(self) -> list[Any]:
        if self.warm:
            return self.strategy.map(self.workload.task, self.tasks)
        self.strategy.start()
        try:
            return self.strategy.map(self.workload.task, self.tasks)
        finally:
            self.strategy.close()

    def _reference_cycle(self) -> list[Any]:
        return self.serial.map(self.workload.task, self.tasks)

    def _reduced(self, mapped: Callable[[], list[Any]]) -> list[Any]:
        """The map, then the workload's reduce (a merge, the final shared state): both inside the timed cycle."""
        results = mapped()
        reduce = getattr(self.workload, "reduce", None)  # none in a checkout from before it (a bench ab side)
        return list(reduce(self.case["params"], results)) if reduce is not None else results

    def cycle(self, arm: str) -> float:
        """Time one cycle of ``arm``; CaseFailed when it raises or its results differ from serial."""
        cycle = functools.partial(self._reduced, self._case_cycle if arm == CASE else self._reference_cycle)
        usage = self.usage[arm]
        counted = usage.wrap(cycle) if usage is not None else cycle
        tree = self._tree_for(arm)
        try:
            if tree is not None:
                tree.before()
            if self.foreign is not None:
                self.foreign.before()
            start = self.clock()
            results = counted()
            elapsed = self.clock() - start
        except CaseFailed:
            raise
        except Exception as exc:  # the task or the strategy failed: one line, the case fails
            raise CaseFailed(("reference cycle: " if arm == REFERENCE else "") + one_line(exc)) from exc
        if self.foreign is not None:
            self.foreign.after(arm)
        if tree is not None:
            tree.after(elapsed)
        self._check(results, arm)
        # each arm keeps its last results alive until its next cycle: had the reference freed
        # its own, the next reference cycle would fault that memory in again while the case did
        # not (addweighted, one thread on one core: reference 33 % slower, a false x1.4)
        if arm == CASE:
            self.results = results
        else:
            self.reference_results = results
        return elapsed

    def _tree_for(self, arm: str) -> Any:
        """The tree reader for this cycle: case cycles 2 to TREE_CYCLES + 1 only."""
        if arm != CASE:
            return None
        self.case_cycles += 1
        return self.tree if 1 < self.case_cycles <= TREE_CYCLES + 1 else None

    def _check(self, results: list[Any], arm: str) -> None:
        """Against serial's fingerprints; the serial case against its own previous cycle (nondeterminism)."""
        from bench.measure import equality

        found = equality.fingerprints(results)
        if self.expected is None:
            repeatable = getattr(equality, "check_repeatable", lambda previous, new: None)
            problem, self.previous = repeatable(self.previous, found), found
        else:
            problem = equality.explain_mismatch(self.expected, found)
        if problem:
            raise CaseFailed(("reference cycle: " if arm == REFERENCE else "") + problem)

    def arms(self) -> dict[str, Arm]:
        """(reference, case) for a parallel case; the serial case is its own reference."""
        names = [CASE] if self.is_serial else [REFERENCE, CASE]
        return {name: functools.partial(self.cycle, name) for name in names}

    def finish(self, fingerprints: bool = True) -> dict[str, Any]:
        """Metrics, metadata and (``fingerprints``) result fingerprints, once the cycles are done."""
        from bench.measure.equality import fingerprints as fingerprints_of
        from bench.measure.metadata import case_metadata

        self.close()
        metadata = {**case_metadata(), **_threadpools(), **self.strategy.describe(),
                    "bound": getattr(self.workload, "bound", None), "n_tasks": len(self.tasks),
                    "thread_limits": self.thread_limits}
        found = {"metrics": {**self._workload_metrics(), **self._usage_metrics()}, "metadata": metadata}
        return {**found, "fingerprints": fingerprints_of(self.results)} if fingerprints else found

    def _workload_metrics(self) -> dict[str, float]:
        metrics = dict(self.workload.summarize(self.case["params"], self.results))
        ideal = self.workload.ideal_seconds(self.case["params"], self.case["workers"])
        if ideal is not None:
            metrics["ideal_seconds"] = ideal
        return metrics

    def _usage_metrics(self) -> dict[str, float]:
        """Per-cycle CPU of each arm: the case's own, its workers' (tree), the reference's (``ref_``)."""
        found: dict[str, float] = {}
        for arm, prefix in ((CASE, ""), (REFERENCE, "ref_")):
            usage = self.usage[arm]
            if usage is not None:
                found.update({prefix + k: v for k, v in usage.metrics().items()})
        if "ref_cpu_self_s" in found:  # the serial loop has no workers: its tree is itself and its children
            found["ref_cpu_total_s"] = found["ref_cpu_self_s"] + found.get("ref_cpu_children_s", 0.0)
        if self.tree is not None and not self.is_serial:
            found.update(self.tree.metrics())
        if self.foreign is not None:
            found.update(self.foreign.metrics())
        return found

    def task_seconds(self) -> list[float]:
        """Each task timed alone, in one extra serial cycle outside the values (the task-size bound)."""
        from bench.analysis.taskbound import task_seconds

        return task_seconds(self.workload.task, self.tasks)


def _threadpools() -> dict[str, Any]:
    try:
        from bench.measure.threadlimits import threadpool_metadata
    except ImportError:
        return {}
    return threadpool_metadata()


# ---------------------------------------------------------------- bench run: one case, in-process


def answer(arms: CaseArms, records: Mapping[str, ArmRecord], reason: str) -> dict[str, Any]:
    """The case's JSON answer: raw values of every arm, the stamps, why it stopped."""
    failed = next((r.error for r in records.values() if r.error), "")
    if failed:
        raise CaseFailed(failed)
    from bench.storage import stored_metadata

    case, reference = records[CASE], records.get(REFERENCE)
    extra = {"task_seconds": arms.task_seconds()} if arms.is_serial else {}
    # a parallel case's fingerprints were checked here against serial's, cycle by cycle: nobody reads them
    # after (2 M inputs: 2 M strings through the pipe per case)
    final = arms.finish(fingerprints=arms.is_serial)
    final["metadata"] = stored_metadata({**final["metadata"], **extra})
    final["metadata"].update({"stop_reason": reason, "rounds": len(case.values), "order": "ABBA",
                              "value_starts": [round(s, 3) for s in case.starts]})
    return {"values": case.values, "warmups": case.warmups, "ok": True, "error": "",
            "reference": reference.values if reference else [],
            "reference_warmups": reference.warmups if reference else [], **final}


def merge_answers(answers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One case's answer from its sittings in fresh processes (``session_plans``), all ok.

    Values, pairs and their stamps in the order measured; per-cycle metrics (CPU per
    cycle, the workload's summary) the mean over sittings; the first sitting's
    fingerprints and metadata, with the rounds, stop reasons and process seconds of all.
    """
    if len(answers) == 1:
        return dict(answers[0])
    merged = dict(answers[0])
    for key in ("values", "warmups", "reference", "reference_warmups"):
        merged[key] = [v for answer in answers for v in answer.get(key, [])]
    metrics = [answer.get("metrics", {}) for answer in answers]
    merged["metrics"] = {k: sum(m[k] for m in metrics) / len(metrics) for k in metrics[0]
                         if all(isinstance(m.get(k), (int, float)) for m in metrics)}
    metadata = [answer.get("metadata", {}) for answer in answers]
    merged["metadata"] = {**metadata[0], "processes": len(answers),
                          "rounds": sum(m.get("rounds", 0) for m in metadata),
                          "stop_reason": ",".join(dict.fromkeys(str(m.get("stop_reason", "")) for m in metadata)),
                          "value_starts": [s for m in metadata for s in m.get("value_starts", [])],
                          # how the joined lists split by process: the results file keeps one pyperf run each
                          **{f"process_{key}": [n for answer in answers for n in _process_split(answer, key)]
                             for key in ("values", "warmups", "reference_warmups")},
                          "case_process_s": round(sum(m.get("case_process_s", 0.0) for m in metadata), 3)}
    return merged


def _process_split(answer: Mapping[str, Any], key: str) -> list[int]:
    """How an answer's ``key`` list splits by process: its own record where it is a join already
    (a raced case joined again), else one process."""
    n = len(answer.get(key, []))
    counts = answer.get("metadata", {}).get(f"process_{key}")
    if isinstance(counts, list) and all(isinstance(c, int) and c >= 0 for c in counts) and sum(counts) == n:
        return list(counts)
    return [n]


def measure_case(spec: Mapping[str, Any], precision: Precision | None = None) -> dict[str, Any]:
    """Set up, measure in rounds, take the results apart: what ``bench.entrypoints.case_process`` writes."""
    arms = CaseArms(spec)
    try:
        arms.start()
        records, reason = interleave(arms.arms(), TimingPlan(**spec["plan"]), precision, fail_fast=True)
        return answer(arms, records, reason)
    finally:
        arms.close()


# ---------------------------------------------------------------- bench ab: a side over a pipe

def _channel() -> TextIO:
    """Keep the real stdout for replies; send everything else printed to stderr."""
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return reply


def _send(reply: TextIO, message: Mapping[str, Any]) -> None:
    reply.write(json.dumps(message) + "\n")
    reply.flush()


def _reply(arms: CaseArms, command: str) -> dict[str, Any]:
    """Protocol: "cycle [case|reference]" -> {"value": s}; "stop" -> finish(); errors -> {"error": ...}."""
    try:
        if command == "stop":
            return arms.finish()
        return {"value": arms.cycle(command.split()[1] if " " in command else CASE)}
    except BaseException as exc:
        return {"error": one_line(exc)}


def serve(spec: Mapping[str, Any], requests: TextIO, reply: TextIO) -> None:
    """One side of `bench ab`: {"ready": ...} after set-up, then one reply per request line."""
    try:
        arms = CaseArms(spec)
        arms.start()
    except BaseException as exc:  # set-up failed: say why, in one line
        _send(reply, {"ready": False, "error": one_line(exc), "traceback": traceback.format_exc()})
        return
    _send(reply, {"ready": True})
    for line in requests:
        command = line.strip()
        _send(reply, _reply(arms, command))
        if command == "stop":
            return


def serve_main(argv: Sequence[str]) -> int:
    with open(argv[0]) as handle:
        spec = json.load(handle)
    if spec.get("cpus") and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, spec["cpus"])
    serve(spec, sys.stdin, _channel())
    return 0


if __name__ == "__main__":  # `python -c SOURCE SPEC.json`, as bench.execute.ab starts a side
    sys.exit(serve_main(sys.argv[1:]))
