"""Foreign load judged: did another tenant of the machine take a share of a case's CPUs?

The case process records, per arm and per cycle, the core-seconds others used on its
CPUs and the core-seconds those CPUs offered (``bench.measure.foreign_load``).  Their ratio
is the *foreign share*.  A case is *disturbed* when either arm's share exceeds
:data:`THRESHOLD`: then its speed-up measured the neighbour as much as the code, and the
table, ``bench explain`` and the verdict say so in words instead of resting on it.

Why 15 %: on this 2-core VM the 75 cases of a quiet known-truth run read a median of
1.6 %, a 95th percentile of 6.9 % and at most 8.1 % (kernel threads, the runner, ticks),
while a neighbour spinning on CPU 0 read 43-55 % of a 2-core case and 98 % of a 1-core case
on that CPU, and a case that straddles the neighbour's switch reads in between.  15 % sits well above quiet noise and
flags anything that took a seventh of the case's cores, the point at which a 2-core
speed-up loses about 0.3, more than the quick profile's interval.  It also probes whether
the machine is quiet again before a disturbed case is re-measured (:func:`probe_share`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from bench import procstat

#: a share of the case's CPUs above this, used by other processes, makes the case disturbed
THRESHOLD = 0.15
#: the core-seconds a cycle must offer for its share to mean anything: /proc/stat counts in clock ticks
#: (10 ms per CPU), so a cycle shorter than a few ticks reads 0 or a whole tick.  Measured: square's
#: 59 us reference cycles read 42-100 % "foreign" on a quiet machine (7 of 101 quick cases "disturbed",
#: all square); fib's and sleep's 0.06-0.2 core-second cycles read 1-8 %.  Below this: not judged (None).
RESOLVABLE_S = 0.05
ARMS = (("case", ""), ("reference", "ref_"))


@dataclass(frozen=True)
class ForeignLoad:
    """One case's foreign shares (None: not measured, e.g. files from before them) and its CPUs."""

    case_share: float | None
    reference_share: float | None
    cpus: tuple[int, ...]

    @property
    def worst(self) -> float | None:
        found = [s for s in (self.case_share, self.reference_share) if s is not None]
        return max(found) if found else None

    @property
    def disturbed(self) -> bool | None:
        """True above THRESHOLD in either arm; None where nothing was measured."""
        worst = self.worst
        return None if worst is None else worst > THRESHOLD


def share(foreign_s: Any, capacity_s: Any) -> float | None:
    """Others' core-seconds over the core-seconds the CPUs offered (per cycle); None where either is missing,
    or where a cycle offers too little for /proc/stat's clock ticks to resolve (:data:`RESOLVABLE_S`)."""
    if not isinstance(foreign_s, (int, float)) or not isinstance(capacity_s, (int, float)):
        return None
    if capacity_s < RESOLVABLE_S:
        return None
    return min(1.0, max(0.0, float(foreign_s) / float(capacity_s)))


def parse_cpus(text: Any) -> tuple[int, ...]:
    """The case's CPUs from its metadata's ``affinity`` ("0,1"); () where unknown."""
    try:
        return tuple(int(c) for c in str(text or "").split(",") if c.strip())
    except ValueError:
        return ()


def of_case(metrics: Mapping[str, Any], metadata: Mapping[str, Any]) -> ForeignLoad:
    """A stored case's foreign load (``case`` and ``reference`` arms)."""
    case, reference = (share(metrics.get(p + "foreign_cpu_s"), metrics.get(p + "foreign_capacity_s"))
                       for _, p in ARMS)
    return ForeignLoad(case, reference, parse_cpus(metadata.get("affinity")))


def cpus_label(cpus: Sequence[int]) -> str:
    """"core 0", "cores 0-1", "cores 0,2,5": how the words name a case's CPUs."""
    found = sorted(cpus)
    if not found:
        return "its cores"
    if len(found) == 1:
        return f"core {found[0]}"
    if found == list(range(found[0], found[-1] + 1)):
        return f"cores {found[0]}-{found[-1]}"
    return "cores " + ",".join(str(c) for c in found)


def words(load: ForeignLoad) -> str:
    """"another process used 48 % of cores 0-1 during this case" (the worse arm), or ''."""
    worst = load.worst
    if worst is None or not load.disturbed:
        return ""
    return f"another process used {worst:.0%} of {cpus_label(load.cpus)} during this case".replace("%", " %")


def probe_share(cpus: Sequence[int], window_s: float = 0.5,
                read: Callable[[], Mapping[int, procstat.CpuTicks] | None] = procstat.read,
                sleep: Callable[[float], None] = time.sleep) -> float | None:
    """The busy share of ``cpus`` over a window while this process sleeps: the machine's load
    there from everyone else (the runner's own share is nil meanwhile); None where unknown."""
    before = read()
    sleep(window_s)
    after = read()
    if before is None or after is None or window_s <= 0:
        return None
    busy = procstat.busy_seconds(before, after, cpus)
    return None if busy is None else min(1.0, busy / (len(cpus) * window_s))
