"""Foreign load: CPU time that *other* processes used on the case's CPUs during its cycles.

The harness pins a case to its CPUs, so everything the case's process tree runs lands on
them.  Around every timed cycle of each arm (just outside the timer) this reads the CPUs'
busy time from /proc/stat (steal included: a hypervisor's other guests are tenants too) and
the tree's own CPU; busy minus our own is what the machine's other tenants took.  A
neighbour spinning on one of two CPUs during a 2-core case reads about half of its
capacity; a quiet machine a few per cent (kernel threads, the runner).  Summed over the
cycles, not judged per cycle: both counters tick in 10 ms steps, whose truncation cancels
over many cycles but not within one short one.  ``bench.machine.foreign`` judges the
stored numbers (share, ``disturbed``, the words).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from bench import procstat
from bench.measure.cpu_usage import TreeSnapshot, light_snapshot, tree_cpu

#: the arm names of ``bench.measure.core`` and the prefix their metrics take
PREFIXES = {"case": "", "reference": "ref_"}


@dataclass
class ArmLoad:
    """One arm's sums over its cycles: busy core-seconds of its CPUs, our tree's CPU, capacity."""

    busy: float = 0.0
    own: float = 0.0
    capacity: float = 0.0  # len(cpus) x window seconds
    cycles: int = 0


class ForeignLoad:
    """Call ``before()`` just before a cycle's timer starts and ``after(arm)`` just after it stops.

    Never raises: where /proc/stat or the tree cannot be read the cycle is not counted.
    """

    def __init__(self, cpus: Sequence[int] | None = None,
                 read: Callable[[], Mapping[int, procstat.CpuTicks] | None] = procstat.read,
                 tree: Callable[[], TreeSnapshot] = light_snapshot,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.cpus = list(cpus) if cpus is not None else sorted(os.sched_getaffinity(0))
        self.arms: dict[str, ArmLoad] = {}
        self._read, self._tree, self._clock = read, tree, clock
        self._start: tuple[Any, TreeSnapshot, float] | None = None

    def before(self) -> None:
        try:
            self._start = (self._read(), self._tree(), self._clock())
        except Exception:  # foreign load must never fail a case
            self._start = None

    def after(self, arm: str) -> None:
        start, self._start = self._start, None
        if start is None or start[0] is None:
            return
        try:
            ticks, tree, now = self._read(), self._tree(), self._clock()
        except Exception:
            return
        busy = procstat.busy_seconds(start[0], ticks, self.cpus) if ticks is not None else None
        if busy is None:
            return
        load = self.arms.setdefault(arm, ArmLoad())
        load.busy += busy
        load.own += tree_cpu(start[1], tree)
        load.capacity += len(self.cpus) * (now - start[2])
        load.cycles += 1

    def metrics(self) -> dict[str, float]:
        """Per arm, per-cycle means: ``foreign_cpu_s`` (others' core-seconds, never below 0) and
        ``foreign_capacity_s`` (its CPUs x the cycle's window); the reference arm's prefixed ``ref_``."""
        found: dict[str, float] = {}
        for arm, load in self.arms.items():
            if load.cycles and arm in PREFIXES:
                prefix = PREFIXES[arm]
                found[prefix + "foreign_cpu_s"] = max(0.0, load.busy - load.own) / load.cycles
                found[prefix + "foreign_capacity_s"] = load.capacity / load.cycles
        return found
