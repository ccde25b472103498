"""Per-CPU busy time from /proc/stat: the one parser that the case process and the runner share.

Linux counts, per CPU, the clock ticks (``USER_HZ``, 100 per second) spent in each state
since boot.  A CPU is *busy* when it runs anything at all: user, nice, system, irq,
softirq, and *steal* (a hypervisor gave it to another guest: for the case as lost as a
neighbour process).  ``guest`` time is already inside ``user`` and is not added again;
``idle`` and ``iowait`` are free time.  Pure arithmetic on snapshots apart from
:func:`read`, so tests feed it recorded text (a ground-floor module: ``measure`` and
``machine`` both use it without importing each other).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Sequence

#: /proc/stat's per-CPU counters are in these units whatever the kernel's HZ
TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_BUSY = (0, 1, 2, 5, 6, 7)  # user nice system . . irq softirq steal (idle=3, iowait=4 are free)
_STEAL = 7


@dataclass(frozen=True)
class CpuTicks:
    """One CPU's cumulative busy and steal ticks (steal is inside busy)."""

    busy: int
    steal: int


Snapshot = Mapping[int, CpuTicks]


def parse(text: str) -> dict[int, CpuTicks]:
    """CPU number -> its ticks, from the text of /proc/stat (the aggregate ``cpu`` line is skipped)."""
    found: dict[int, CpuTicks] = {}
    for line in text.splitlines():
        fields = line.split()
        if not fields or not fields[0].startswith("cpu") or fields[0] == "cpu":
            continue
        try:
            number, counts = int(fields[0][3:]), [int(f) for f in fields[1:]]
        except ValueError:
            continue
        counts += [0] * (8 - len(counts))  # old kernels lack steal and later fields
        found[number] = CpuTicks(busy=sum(counts[i] for i in _BUSY), steal=counts[_STEAL])
    return found


def read(path: str = "/proc/stat") -> dict[int, CpuTicks] | None:
    """The machine's per-CPU ticks now; None where /proc/stat cannot be read (not Linux)."""
    try:
        with open(path, encoding="ascii") as handle:
            return parse(handle.read())
    except OSError:
        return None


def _delta(before: Snapshot, after: Snapshot, cpus: Sequence[int], field: str) -> float | None:
    """Seconds of ``field`` on ``cpus`` between the snapshots; None if a CPU is missing in either."""
    if not cpus or any(c not in before or c not in after for c in cpus):
        return None
    ticks: int = sum(getattr(after[c], field) - getattr(before[c], field) for c in cpus)
    return ticks / TICKS_PER_S


def busy_seconds(before: Snapshot, after: Snapshot, cpus: Sequence[int]) -> float | None:
    """Core-seconds ``cpus`` were busy (anyone's work, steal included) between two snapshots."""
    return _delta(before, after, cpus, "busy")


def steal_seconds(before: Snapshot, after: Snapshot, cpus: Sequence[int]) -> float | None:
    """Core-seconds the hypervisor took from ``cpus`` between two snapshots."""
    return _delta(before, after, cpus, "steal")


def steal_total(snapshot: Snapshot | None, cpus: Sequence[int]) -> float | None:
    """Cumulative steal seconds on ``cpus`` (None where unknown): for readers that keep totals."""
    if snapshot is None or not cpus or any(c not in snapshot for c in cpus):
        return None
    return sum(snapshot[c].steal for c in cpus) / TICKS_PER_S
