"""Where a case's time went: p x wall core-seconds as work + overhead + waiting + idle.

A user who sees "x1.66 on 2 workers" wants to know what to change.  p = min(workers, cores)
cores were available for ``wall`` seconds; those p x wall core-seconds were spent on

* **work**: the serial CPU time of the same tasks (the paired serial reference cycles'
  ``ref_cpu_total_s``; older files: the serial case's CPU);
* **overhead**: CPU beyond that, in the case process and in every worker (pickling, queues,
  scheduling): case ``cpu_total_s`` minus work;
* **waiting**: time our threads were runnable but queued for a CPU (``wait_total_s``), counted
  only up to the core-seconds our own CPU left free: queueing behind our own workers
  (oversubscription) costs no core-seconds, queueing behind a neighbour does;
* **idle**: the rest (a core with nothing of ours to run: uneven tasks, I/O, waiting on a queue).

**Start-up** (cold median minus warm median, wall seconds) is kept apart: a cold cycle's
start-up is already inside its overhead and idle.

The identity holds by construction except where the measured CPU exceeds the budget, which
only measurement error can do; :func:`identity_holds` checks it within ``TOLERANCE_REL`` of
p x wall plus ``TICK_S`` per process (the kernel counts a process's CPU in clock ticks).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

#: the identity's relative tolerance (share of p x wall)
TOLERANCE_REL = 0.05
#: and absolute, per process of the case (one clock tick of CPU accounting)
TICK_S = 0.01

#: the components in the order they are stacked and named
PARTS = ("work", "overhead", "waiting", "idle")


@dataclass(frozen=True)
class Accounting:
    """One case's p x wall core-seconds, split four ways (seconds), with what was adjusted."""

    p: int
    wall_s: float
    work_s: float
    overhead_s: float
    waiting_s: float
    idle_s: float
    wait_measured_s: float  # before capping to what our CPU left free
    notes: tuple[str, ...] = ()

    @property
    def budget_s(self) -> float:
        return self.p * self.wall_s

    @property
    def residual_s(self) -> float:
        """p x wall minus the four parts: zero unless measured CPU exceeded the budget."""
        return self.budget_s - (self.work_s + self.overhead_s + self.waiting_s + self.idle_s)

    def part(self, name: str) -> float:
        return float(getattr(self, f"{name}_s"))


def account(p: int, wall_s: float, work_s: float, cpu_total_s: float, wait_total_s: float) -> Accounting:
    """Split p x wall; a negative overhead (noise around zero) is shown as 0 and said so."""
    notes = []
    overhead = cpu_total_s - work_s
    if overhead < 0:
        notes.append(f"the case used {-overhead:.3g} s less CPU than serial (noise): overhead shown as 0")
        overhead = 0.0
    free = max(0.0, p * wall_s - work_s - overhead)
    waiting = min(max(wait_total_s, 0.0), free)
    if waiting < wait_total_s:
        notes.append(f"{wait_total_s - waiting:.3g} s of queueing overlapped our own busy cores "
                     "(more threads than cores): not a loss")
    return Accounting(p=p, wall_s=wall_s, work_s=work_s, overhead_s=overhead, waiting_s=waiting,
                      idle_s=max(0.0, free - waiting), wait_measured_s=wait_total_s, notes=tuple(notes))


def tolerance_s(budget_s: float, processes: int) -> float:
    """How far the four parts may miss p x wall: measurement granularity, stated once."""
    return TOLERANCE_REL * budget_s + TICK_S * max(1, processes)


def identity_holds(acc: Accounting, processes: int) -> bool:
    """work + overhead + waiting + idle == p x wall within :func:`tolerance_s`."""
    return abs(acc.residual_s) <= tolerance_s(acc.budget_s, processes)


# ------------------------------------------------------------------ from stored metrics


def work_seconds(metrics: Mapping[str, float], serial_metrics: Mapping[str, float] | None) -> float | None:
    """Serial CPU of the same tasks: the paired reference, else the serial case's own CPU."""
    if "ref_cpu_total_s" in metrics:
        return float(metrics["ref_cpu_total_s"])
    serial = serial_metrics or {}
    if "cpu_total_s" in serial:
        return float(serial["cpu_total_s"])
    if "cpu_self_s" in serial:
        return float(serial["cpu_self_s"]) + float(serial.get("cpu_children_s", 0.0))
    return None


def missing_reason(metrics: Mapping[str, float], work: float | None) -> str | None:
    """Why a case cannot be accounted for (an older results file), or None."""
    if "cpu_total_s" not in metrics:
        return "no CPU time of the workers recorded (results from before per-case tree accounting)"
    if work is None:
        return "no serial CPU time to call work"
    return None


def case_accounting(metrics: Mapping[str, float], serial_metrics: Mapping[str, float] | None,
                    p: int, median_s: float | None) -> Accounting | str:
    """The accounting of one stored case, or the reason it has none."""
    work = work_seconds(metrics, serial_metrics)
    reason = missing_reason(metrics, work)
    wall = float(metrics.get("wall_s") or median_s or 0.0)
    if reason is None and wall <= 0:
        reason = "no wall time"
    if reason is not None or work is None:  # missing_reason says why whenever work is None
        return reason or "no serial CPU time to call work"
    acc = account(p, wall, work, float(metrics["cpu_total_s"]), float(metrics.get("wait_total_s", 0.0)))
    if "wait_total_s" not in metrics:
        return _with_note(acc, "no run-queue wait recorded: waiting counted as idle")
    return acc


def _with_note(acc: Accounting, note: str) -> Accounting:
    return replace(acc, notes=(*acc.notes, note))


def startup_seconds(cold_median_s: float | None, warm_median_s: float | None) -> float | None:
    """Cold minus warm of the same case; negative means within noise of zero, kept as measured."""
    if cold_median_s is None or warm_median_s is None:
        return None
    return cold_median_s - warm_median_s


def as_columns(acc: Accounting | str) -> dict[str, Any]:
    """The tidy table's accounting columns (empty with the reason when there is none)."""
    if isinstance(acc, str):
        return {**{f"{name}_s": None for name in PARTS}, "accounting_note": acc}
    return {**{f"{name}_s": acc.part(name) for name in PARTS}, "accounting_note": "; ".join(acc.notes)}


def dominant_loss(acc: Accounting, startup_s: float | None = None) -> tuple[str, float] | None:
    """The largest of overhead, waiting, idle (core-seconds) and start-up (x p), or None if all ~0."""
    losses = {name: acc.part(name) for name in PARTS[1:]}
    if startup_s is not None and startup_s > 0:
        losses["start-up"] = startup_s * acc.p
    name = max(losses, key=lambda k: losses[k])
    return (name, losses[name]) if losses[name] > 0 else None


_LOSS_WORDS = {
    "overhead": "overhead (CPU beyond the work: pickling, queues, scheduling)",
    "waiting": "waiting for a CPU (queued behind other processes)",
    "idle": "idle cores (nothing ready to run: the GIL, uneven tasks, I/O, results)",
    "start-up": "start-up (the pool started and stopped inside the timing)",
}
#: below this share of p x wall lost in all, a case is "close to ideal"
SMALL_LOSS = 0.10


def loss_words(acc: Accounting, startup_s: float | None = None, bound: str = "") -> str:
    """The dominant loss in words, with its share of the p cores' time ('' when nothing was lost)."""
    found = dominant_loss(acc, startup_s)
    if found is None or acc.budget_s <= 0:
        return ""
    name, seconds = found
    words = _LOSS_WORDS[name]
    if name == "idle" and bound == "io-latency":
        words = "idle cores (the tasks wait on I/O, not on a CPU: expected here)"
    lost = (acc.budget_s - acc.work_s) / acc.budget_s
    if lost < SMALL_LOSS:
        return f"Close to ideal: {lost:.0%} of {acc.p} cores' time lost, mostly to {name}."
    share = seconds / acc.budget_s
    if share > 1.0:  # the CPU read around a cycle of a few ms spans more than the cycle itself
        return (f"Largest loss: {words}, more than all of {acc.p} cores' time ({share:.0%}: the cycle, "
                f"{acc.budget_s / acc.p * 1000:.1f} ms, is shorter than the CPU-time readings resolve).")
    return f"Largest loss: {words}, {share:.0%} of {acc.p} cores' time."


# ------------------------------------------------------------------ the tidy table's columns

COLUMNS = ["work_s", "overhead_s", "waiting_s", "idle_s", "startup_s", "task_bound_speedup", "accounting_note"]


def _median(values: tuple[float, ...]) -> float | None:
    from bench.analysis import stats

    return stats.median(values) if values else None


def of_result(result: Any, serial: Any | None) -> Accounting | str:
    """One stored case's accounting (``CaseResult``s in, no I/O)."""
    if not result.ok or not result.values:
        return "case failed or has no values"
    if result.case.is_serial:
        return serial_accounting(result.metrics, _median(result.values))
    p = result.case.parallelism
    return case_accounting(result.metrics, serial.metrics if serial else None, p, _median(result.values))


def serial_accounting(metrics: Mapping[str, float], median_s: float | None) -> Accounting | str:
    """The serial case is its own work: one core's wall split into work, waiting and idle."""
    work = work_seconds({}, metrics)
    own = {**metrics, "cpu_total_s": work, "wait_total_s": metrics.get("wait_total_s", metrics.get("cpu_wait_s"))}
    return case_accounting({k: v for k, v in own.items() if v is not None}, metrics, 1, median_s)


def bound_of_result(result: Any, serial: Any | None) -> Any:
    """The task-size bound of one stored case's dispatch (None without per-task times)."""
    from bench.analysis import taskbound

    times = taskbound.stored_task_seconds(serial.metadata if serial else None)
    if times is None:
        return None
    sizes = taskbound.case_dispatch(result.case.strategy, result.metadata, len(times), result.case.workers)
    return taskbound.task_bound(times, sizes, result.case.workers)


def columns(result: Any, serial: Any | None, warm: Any | None) -> dict[str, Any]:
    """work_s .. idle_s (core-seconds), startup_s (cold rows: cold minus warm median, wall
    seconds), task_bound_speedup and accounting_note."""
    startup = None
    if result.case.mode == "cold" and warm is not None and warm.ok:
        startup = startup_seconds(_median(result.values), _median(warm.values))
    bound = bound_of_result(result, serial)
    return {**as_columns(of_result(result, serial)), "startup_s": startup,
            "task_bound_speedup": bound.speedup if bound else None}
