"""CPU time of the timed cycles: the serial profile that checks a workload's declared bound.

Wraps a cycle so that the process's own CPU seconds (all its threads), its waited-for
children's CPU seconds (``RUSAGE_CHILDREN``: e.g. tesseract runs), the calling thread's
time spent runnable but waiting for a CPU (Linux schedstat: on a shared machine a
CPU-bound process is often preempted, which is neither I/O nor idleness) and the wall
seconds are summed over the cycles only, never over result checks or pool start-up
between them.  The two snapshots sit inside each timed cycle, so they are kept cheap
(~10 us together): two getrusage calls and one pread on a descriptor opened once.

:class:`TreeUsage` measures the same for the whole process tree (pool workers included)
from snapshots taken just outside the timed region: the input of ``bench.analysis.accounting``.
"""
from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from bench import procstat

_SCHEDSTAT_PATHS = ("/proc/thread-self/schedstat", "/proc/self/schedstat")


def _open_schedstat() -> int | None:
    """A descriptor on this thread's schedstat (None where Linux does not provide it)."""
    for path in _SCHEDSTAT_PATHS:
        try:
            return os.open(path, os.O_RDONLY)
        except OSError:
            continue
    return None


def runqueue_wait(fd: int | None) -> float | None:
    """Seconds the thread has spent runnable but not running (field 2 of schedstat, in ns)."""
    if fd is None:
        return None
    try:
        return int(os.pread(fd, 128, 0).split()[1]) / 1e9  # a /proc file is regenerated at offset 0
    except (OSError, ValueError, IndexError):
        return None


class CycleUsage:
    """Accumulates CPU, queued and wall seconds of every cycle it wraps (create it in the cycling thread)."""

    def __init__(self) -> None:
        self.cycles = 0
        self.totals = [0.0, 0.0, 0.0]  # own CPU, children CPU, wall
        self.wait: float | None = 0.0  # None once any snapshot lacked schedstat
        self._schedstat = _open_schedstat()

    def _snapshot(self) -> tuple[float, float, float, float | None]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime, time.perf_counter(),
                runqueue_wait(self._schedstat))

    def _add(self, before: tuple[float, float, float, float | None],
             after: tuple[float, float, float, float | None]) -> None:
        self.cycles += 1
        self.totals = [t + (a - b) for t, a, b in zip(self.totals, after[:3], before[:3])]
        if self.wait is not None and after[3] is not None and before[3] is not None:
            self.wait += after[3] - before[3]
        else:
            self.wait = None

    def wrap(self, cycle: Callable[[], Any]) -> Callable[[], Any]:
        def counted() -> Any:
            before = self._snapshot()
            try:
                return cycle()
            finally:
                self._add(before, self._snapshot())
        return counted

    def metrics(self) -> dict[str, float]:
        """Per-cycle means: cpu_self_s, cpu_children_s, wall_s, cpu_wait_s (empty when nothing ran)."""
        if not self.cycles:
            return {}
        own, children, wall = (t / self.cycles for t in self.totals)
        found = {"cpu_self_s": own, "cpu_children_s": children, "wall_s": wall}
        if self.wait is not None:
            found["cpu_wait_s"] = self.wait / self.cycles
        return found


# ------------------------------------------------------------------ the whole process tree
#
# TreeUsage answers "how many CPU seconds did this case cost, workers included?", which
# RUSAGE_SELF/RUSAGE_CHILDREN alone cannot: a warm pool's workers are alive (never reaped)
# when a cycle ends.  Its snapshots read /proc for every descendant (a few ms), so they
# sit just outside the timed region, never inside it.

#: /proc/PID/stat (what psutil reads) counts CPU in these units: 10 ms, longer than a short cycle
_TICK = 1.0 / procstat.TICKS_PER_S


@dataclass(frozen=True)
class ProcCpu:
    """One live descendant at one snapshot: its own CPU and that of its reaped children.

    ``own`` comes in clock ticks (10 ms) and counts every thread it ever had; ``threads``
    (tid -> on-CPU seconds, schedstat, in ns) is exact but only for the threads alive now.
    """

    own: float
    reaped: float
    threads: Mapping[int, float] = field(default_factory=dict)


def own_delta(before: ProcCpu | None, after: ProcCpu) -> float:
    """A descendant's own CPU inside the cycle (``before`` None: it was born in it).

    The ticks truncate: a 5 ms cycle reads 0 or 10 ms per process, which made square's
    overhead exceed p x wall.  The threads' exact times miss only a thread that ended in
    the cycle, and then the ticks grew by more than their 10 ms grain beyond them: only
    then are the ticks taken.
    """
    coarse = after.own - (before.own if before is not None else 0.0)
    if not after.threads:
        return coarse
    base = before.threads if before is not None else {}
    fine = sum(cpu - base.get(tid, 0.0) for tid, cpu in after.threads.items())
    return coarse if coarse - fine > 2 * _TICK else fine


def spent_before(proc: ProcCpu) -> float:
    """The best lower bound of a process's CPU so far: truncated ticks, or its live threads' exact sum."""
    return max(proc.own, sum(proc.threads.values()))


@dataclass(frozen=True)
class TreeSnapshot:
    """What one look at the process tree saw (every number cumulative since its start)."""

    self_cpu: float
    reaped_cpu: float  # RUSAGE_CHILDREN: children this process has waited for
    procs: Mapping[tuple[int, float], ProcCpu]  # (pid, create_time): pid reuse cannot mix two processes
    waits: Mapping[int, float]  # tid -> run-queue wait seconds, threads of self and descendants
    steal: float | None  # machine steal on the case's CPUs (/proc/stat), None where unknown


@dataclass(frozen=True)
class TreeDelta:
    """One cycle's cost: CPU of the case process, of its workers, and time queued for a CPU."""

    cpu_self: float
    cpu_workers: float
    wait: float
    steal: float | None
    workers_seen: int


def _reaped_growth(before: TreeSnapshot, after: TreeSnapshot) -> float:
    """CPU of processes reaped inside the cycle, by us or by a worker that is still alive."""
    growth = after.reaped_cpu - before.reaped_cpu
    return growth + sum(after.procs[k].reaped - p.reaped for k, p in before.procs.items() if k in after.procs)


def workers_cpu(before: TreeSnapshot, after: TreeSnapshot) -> float:
    """Descendants' CPU inside the cycle, whether they lived through it, started or ended in it.

    A process seen only in ``after`` started inside the cycle: all its CPU counts.  One seen
    only in ``before`` ended inside it: its whole life's CPU reappears in a reaper's
    children time, so what it had already spent at ``before`` is taken back out (at most
    what was reaped, in case it was reaped by someone we do not see, e.g. a subreaper).
    """
    lived = sum(own_delta(p, after.procs[k]) for k, p in before.procs.items() if k in after.procs)
    born = sum(spent_before(p) + p.reaped for k, p in after.procs.items() if k not in before.procs)
    growth = _reaped_growth(before, after)
    gone = sum(spent_before(p) + p.reaped for k, p in before.procs.items() if k not in after.procs)
    return max(0.0, lived + born + growth - min(gone, max(growth, 0.0)))


def wait_delta(before: Mapping[int, float], after: Mapping[int, float]) -> float:
    """Run-queue wait of every thread inside the cycle (a thread born in it counts whole).

    A thread that ended inside the cycle takes its last wait with it: /proc keeps nothing of
    it, so cold-mode workers (started and reaped inside the cycle) are not seen here.
    """
    return sum(w - before.get(tid, 0.0) for tid, w in after.items())


def tree_delta(before: TreeSnapshot, after: TreeSnapshot) -> TreeDelta:
    steal = after.steal - before.steal if after.steal is not None and before.steal is not None else None
    return TreeDelta(cpu_self=after.self_cpu - before.self_cpu, cpu_workers=workers_cpu(before, after),
                     wait=wait_delta(before.waits, after.waits), steal=steal, workers_seen=len(after.procs))


def _thread_stats(pid: int | str) -> dict[int, tuple[float, float]]:
    """tid -> (on-CPU seconds, run-queue wait seconds): schedstat fields 1 and 2, every live thread."""
    found: dict[int, tuple[float, float]] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as handle:
                fields = handle.read().split()
            found[int(tid)] = (int(fields[0]) / 1e9, int(fields[1]) / 1e9)
        except (OSError, ValueError, IndexError):
            continue  # the thread ended between listing and reading
    return found


def _proc_cpu(proc: Any, threads: Mapping[int, float]) -> tuple[tuple[int, float], ProcCpu] | None:
    """One descendant's identity and CPU times; None when it vanished meanwhile."""
    import psutil

    try:
        with proc.oneshot():
            times = proc.cpu_times()
            key = (proc.pid, proc.create_time())
    except (psutil.Error, OSError):
        return None
    return key, ProcCpu(own=times.user + times.system, reaped=times.children_user + times.children_system,
                        threads=threads)


def _descendants() -> list[Any]:
    import psutil

    try:
        return psutil.Process().children(recursive=True)
    except (psutil.Error, OSError):
        return []


def cpu_steal(cpus: Sequence[int]) -> float | None:
    """Steal seconds (hypervisor took the CPU) summed over ``cpus``, from /proc/stat.

    Linux reports steal per CPU, not per process: this is the machine's steal on the CPUs
    the case is pinned to, a separate metric, never added to a process's waiting.
    """
    return procstat.steal_total(procstat.read(), cpus)


def light_snapshot() -> TreeSnapshot:
    """The tree's CPU only, in clock ticks (no per-thread reads, no waits, no steal): cheap enough
    (under 1 ms here) to take around every cycle of both arms, for the foreign load."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = dict(found for proc in _descendants() if (found := _proc_cpu(proc, {})) is not None)
    return TreeSnapshot(self_cpu=own.ru_utime + own.ru_stime, reaped_cpu=children.ru_utime + children.ru_stime,
                        procs=procs, waits={}, steal=None)


def tree_cpu(before: TreeSnapshot, after: TreeSnapshot) -> float:
    """CPU seconds of the whole tree (this process and every descendant) between two snapshots."""
    return after.self_cpu - before.self_cpu + workers_cpu(before, after)


def _affinity() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def tree_snapshot(cpus: Sequence[int]) -> TreeSnapshot:
    """Look at the whole tree once; never raises for a process or thread that vanished."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    descendants = _descendants()
    stats = {proc.pid: _thread_stats(proc.pid) for proc in descendants}
    procs: dict[tuple[int, float], ProcCpu] = {}
    for proc in descendants:
        found = _proc_cpu(proc, {tid: cpu for tid, (cpu, _) in stats[proc.pid].items()})
        if found is not None:
            procs[found[0]] = found[1]
    waits = {tid: wait for tid, (_, wait) in _thread_stats("self").items()}
    for per_thread in stats.values():
        waits.update({tid: wait for tid, (_, wait) in per_thread.items()})
    return TreeSnapshot(self_cpu=own.ru_utime + own.ru_stime, reaped_cpu=children.ru_utime + children.ru_stime,
                        procs=procs, waits=waits, steal=cpu_steal(cpus))


class TreeUsage:
    """Per-cycle CPU of the case process and all its workers, and their time queued for a CPU.

    Create it in the case process; call ``before()`` just before the timer starts and
    ``after(wall)`` just after it stops (both cost a few ms: outside the timed region).
    """

    def __init__(self, cpus: Sequence[int] | None = None) -> None:
        self.cpus = list(cpus) if cpus is not None else _affinity()
        self.deltas: list[TreeDelta] = []
        self.walls: list[float] = []
        self._before: TreeSnapshot | None = None

    def before(self) -> None:
        self._before = self._safe_snapshot()

    def after(self, wall: float) -> None:
        """Close the cycle opened by ``before()``; an unmatched call is ignored, never raised."""
        if self._before is None:
            return
        snapshot = self._safe_snapshot()
        if snapshot is not None:
            self.deltas.append(tree_delta(self._before, snapshot))
            self.walls.append(wall)
        self._before = None

    def _safe_snapshot(self) -> TreeSnapshot | None:
        try:
            return tree_snapshot(self.cpus)
        except Exception:  # any error at all: accounting must never fail a case
            return None

    def metrics(self) -> dict[str, float]:
        """Per-cycle means (empty when no cycle was closed); see :func:`tree_metrics`."""
        return tree_metrics(self.deltas, self.walls)


def tree_metrics(deltas: Sequence[TreeDelta], walls: Sequence[float]) -> dict[str, float]:
    """Per-cycle means: cpu_total_s, cpu_self_s, cpu_workers_s, wait_total_s, wall_s,
    workers_seen, and steal_s where /proc/stat has it."""
    if not deltas:
        return {}
    n = len(deltas)
    cpu_self = sum(d.cpu_self for d in deltas) / n
    cpu_workers = sum(d.cpu_workers for d in deltas) / n
    found = {"cpu_total_s": cpu_self + cpu_workers, "cpu_self_s": cpu_self, "cpu_workers_s": cpu_workers,
             "wait_total_s": sum(d.wait for d in deltas) / n, "wall_s": sum(walls) / n,
             "workers_seen": sum(d.workers_seen for d in deltas) / n}
    steals = [d.steal for d in deltas if d.steal is not None]
    if len(steals) == n:  # /proc/stat had it in every cycle
        found["steal_s"] = sum(steals) / n
    return found
