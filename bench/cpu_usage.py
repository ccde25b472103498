"""CPU time of the timed cycles: the serial profile that checks a workload's declared bound.

Wraps a cycle so that the process's own CPU seconds (all its threads), its waited-for
children's CPU seconds (``RUSAGE_CHILDREN``: e.g. tesseract runs), the calling thread's
time spent runnable but waiting for a CPU (Linux schedstat: on a shared machine a
CPU-bound process is often preempted, which is neither I/O nor idleness) and the wall
seconds are summed over the cycles only, never over result checks or pool start-up
between them.  The two snapshots sit inside each timed cycle, so they are kept cheap
(~10 us together): two getrusage calls and one pread on a descriptor opened once.
"""
from __future__ import annotations

import os
import resource
import time
from typing import Any, Callable

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
