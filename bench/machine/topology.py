"""The machine's CPU topology: which CPUs share a physical core (SMT) or a NUMA node, and where k cores go.

Why it matters: pinning "2 cores" to CPUs 0 and 1 measures one physical core's two hardware
threads on many SMT machines, and a k that spans NUMA nodes measures remote memory too.  So
the CPUs for k cores are chosen from the topology (``pin``): distinct physical cores first,
then their siblings, the cores of one NUMA node before the next (the node with the most usable
cores first).  Distinct cores win over one node: a sibling shares the core's execution units,
which a CPU-bound speed-up feels far more than a remote node.  The order is one list whose first
k CPUs are the pinning for k (``order``), so the calibration and every case of a run agree.

A core count whose CPUs include two threads of one core, or CPUs of two nodes, is marked
(``placement``: ``cores``, ``siblings``, ``nodes``, ``siblings+nodes``; ``unknown`` on a flat
topology), so the table and the report can say why a curve bends there.

The topology is read once per run (``current``) from ``/sys/devices/system/cpu`` and
``/sys/devices/system/node`` (the root is a parameter, so tests read fixture trees), only for the
CPUs that are online and in this process's affinity mask (containers, taskset).  Without a
readable /sys it is *flat*: every CPU its own core, one node, and ``source`` says so.
``synthetic`` builds the topology of a machine this one is not, for planning a run there.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

#: the default root of the files read; tests pass a fixture tree instead
SYS = Path("/sys")
#: ``placement`` of k CPUs whose sharing is not known (flat topology, CPUs outside the topology)
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Cpu:
    """One usable logical CPU: its id, its physical core (the lowest CPU id of the core) and its nodes."""

    id: int
    core: int
    package: int = 0
    node: int = 0


@dataclass(frozen=True)
class Topology:
    """The usable CPUs of a machine (online, in the affinity mask) and how they share cores and nodes."""

    cpus: tuple[Cpu, ...]
    #: logical CPUs online on the whole machine (the affinity mask may hold fewer)
    online: int
    offline: tuple[int, ...] = ()
    #: "sysfs", "synthetic", or "flat: why" (no core or node sharing known)
    source: str = "sysfs"

    @property
    def flat(self) -> bool:
        return self.source.startswith("flat")

    @property
    def physical_cores(self) -> int:
        return len({cpu.core for cpu in self.cpus})

    @property
    def sockets(self) -> int:
        return len({cpu.package for cpu in self.cpus})

    @property
    def nodes(self) -> int:
        return len({cpu.node for cpu in self.cpus})

    @property
    def threads_per_core(self) -> int:
        counts: dict[int, int] = {}
        for cpu in self.cpus:
            counts[cpu.core] = counts.get(cpu.core, 0) + 1
        return max(counts.values(), default=1)

    @property
    def smt(self) -> bool:
        return self.threads_per_core > 1

    @property
    def order(self) -> tuple[int, ...]:
        """The usable CPU ids in pinning order: the first k are the CPUs for k cores (see the module doc)."""
        return pin_order(self.cpus)

    def pin(self, k: int) -> tuple[int, ...]:
        """The CPUs for k cores; ValueError when k is more than the usable CPUs."""
        if not 1 <= k <= len(self.cpus):
            raise ValueError(f"cannot pin {k} cores: {len(self.cpus)} usable CPUs")
        return self.order[:k]

    def summary(self) -> str:
        """One line for people: '2 sockets, 2 NUMA nodes, 64 physical cores, 128 CPUs (SMT x2)'."""
        return describe(self)

    def to_dict(self) -> dict[str, Any]:
        """What the results file stores (metadata ``topology``); ``from_dict`` reads it back."""
        return {"source": self.source, "online": self.online, "offline": list(self.offline),
                "cpus": [[c.id, c.core, c.package, c.node] for c in self.cpus],
                "physical_cores": self.physical_cores, "sockets": self.sockets, "nodes": self.nodes,
                "threads_per_core": self.threads_per_core, "order": list(self.order), "summary": self.summary()}


def metadata(topology: Topology) -> dict[str, Any]:
    """The results file's machine metadata: ``topology`` (structured) and ``cpu_topology`` (one line, pyperf too)."""
    return {"topology": topology.to_dict(), "cpu_topology": topology.summary()}


def from_dict(data: Mapping[str, Any]) -> Topology:
    """The topology a results file stored (``Topology.to_dict``)."""
    cpus = tuple(Cpu(int(i), int(core), int(package), int(node)) for i, core, package, node in data["cpus"])
    return Topology(cpus=cpus, online=int(data["online"]), offline=tuple(int(c) for c in data.get("offline", ())),
                    source=str(data.get("source", "sysfs")))


def describe(topology: Topology) -> str:
    """'1 socket, 1 NUMA node, 16 physical cores, 16 CPUs', with what limits or hides it."""
    def count(n: int, what: str) -> str:
        return f"{n} {what}{'' if n == 1 else 's'}"

    n = len(topology.cpus)
    if topology.flat:
        text = f"{count(n, 'CPU')}, sharing of cores and nodes unknown ({topology.source})"
    else:
        smt = f" (SMT x{topology.threads_per_core})" if topology.smt else ""
        text = (f"{count(topology.sockets, 'socket')}, {count(topology.nodes, 'NUMA node')}, "
                f"{count(topology.physical_cores, 'physical core')}, {count(n, 'CPU')}{smt}")
    if n < topology.online:
        text += f"; {n} of {topology.online} online CPUs in this process's affinity mask"
    if topology.offline:
        text += f"; offline CPUs {format_cpu_list(topology.offline)}"
    return text


def pin_order(cpus: Sequence[Cpu]) -> tuple[int, ...]:
    """Distinct physical cores first (nodes with the most usable cores first), then the second threads, ..."""
    by_node: dict[int, dict[int, list[int]]] = {}
    for cpu in sorted(cpus, key=lambda c: c.id):
        by_node.setdefault(cpu.node, {}).setdefault(cpu.core, []).append(cpu.id)
    nodes = sorted(by_node, key=lambda node: (-len(by_node[node]), node))
    depth = max((len(threads) for node in by_node.values() for threads in node.values()), default=0)
    order: list[int] = []
    for level in range(depth):
        for node in nodes:
            cores = sorted(by_node[node].values(), key=lambda threads: threads[0])
            order += [threads[level] for threads in cores if len(threads) > level]
    return tuple(order)


def placement(topology: Topology, cpus: Iterable[int]) -> str:
    """How CPUs share the machine: 'cores' (distinct cores of one node), 'siblings', 'nodes', 'siblings+nodes'."""
    known = {cpu.id: cpu for cpu in topology.cpus}
    chosen = [known.get(cpu) for cpu in cpus]
    if topology.flat or not chosen or any(cpu is None for cpu in chosen):
        return UNKNOWN
    found = [c for c in chosen if c is not None]
    marks = [mark for mark, shared in (("siblings", len({c.core for c in found}) < len(found)),
                                       ("nodes", len({c.node for c in found}) > 1)) if shared]
    return "+".join(marks) or "cores"


def placements(topology: Topology, ks: Iterable[int]) -> dict[int, str]:
    """The mark of each core count k (see ``placement``), for the table, the report and `bench plan`."""
    return {k: placement(topology, topology.pin(k)) for k in ks}


# ---------------------------------------------------------------- a machine this one is not

def synthetic(cpus: int, smt: bool = False, numa: int = 1) -> Topology:
    """A planned machine of ``cpus`` logical CPUs, two threads per core with ``smt``, cores split over ``numa`` nodes.

    Numbered as Linux usually numbers a 2-socket SMT server: the first threads of all cores
    (0 .. cores-1, node by node), then their siblings (cores .. 2*cores-1).  One socket per node.
    """
    threads = 2 if smt else 1
    if cpus < 1 or numa < 1 or cpus % threads or (cpus // threads) % numa:
        raise ValueError(f"cannot build {cpus} CPUs with smt={smt} over {numa} NUMA nodes: "
                         "the physical cores must split evenly")
    cores = cpus // threads
    per_node = cores // numa
    made = [Cpu(id=level * cores + core, core=core, package=core // per_node, node=core // per_node)
            for level in range(threads) for core in range(cores)]
    return Topology(cpus=tuple(sorted(made, key=lambda c: c.id)), online=cpus, source="synthetic")


# ---------------------------------------------------------------- reading /sys

def parse_cpu_list(text: str) -> list[int]:
    """The kernel's CPU list format: '0-3,8,10-11' -> [0, 1, 2, 3, 8, 10, 11]; '' -> []."""
    found: list[int] = []
    for part in text.strip().split(","):
        if not part.strip():
            continue
        low, _, high = part.partition("-")
        found += range(int(low), int(high or low) + 1)
    return found


def format_cpu_list(cpus: Iterable[int]) -> str:
    """[0, 1, 2, 5] -> '0-2,5': the kernel's format, short for people."""
    ranges: list[list[int]] = []
    for cpu in sorted(set(cpus)):
        if ranges and cpu == ranges[-1][1] + 1:
            ranges[-1][1] = cpu
        else:
            ranges.append([cpu, cpu])
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in ranges)


def _read(path: Path) -> str:
    return path.read_text().strip()


def _online(cpu_dir: Path) -> list[int]:
    """Online CPUs from cpu/online, else the cpuN folders (whose own 'online' file says 0 when offline)."""
    if (cpu_dir / "online").exists():
        return parse_cpu_list(_read(cpu_dir / "online"))
    found = []
    for entry in cpu_dir.glob("cpu[0-9]*"):
        state = entry / "online"
        if not state.exists() or _read(state) != "0":
            found.append(int(entry.name[3:]))
    return sorted(found)


def _core_of(topology_dir: Path, cpu: int) -> tuple[int, int]:
    """(core: the lowest CPU of its sibling list, package).  The sibling list, not core_id, names the core:
    core ids repeat across sockets and dies."""
    for name in ("core_cpus_list", "thread_siblings_list"):
        if (topology_dir / name).exists():
            siblings = parse_cpu_list(_read(topology_dir / name)) or [cpu]
            break
    else:
        raise OSError(f"no sibling list in {topology_dir}")
    package = int(_read(topology_dir / "physical_package_id"))
    return min(siblings), max(package, 0)


def _nodes(root: Path) -> dict[int, int]:
    """cpu -> NUMA node from node/nodeN/cpulist; empty when the kernel has no NUMA folder (one node)."""
    found: dict[int, int] = {}
    for entry in sorted((root / "devices/system/node").glob("node[0-9]*")):
        if (entry / "cpulist").exists():
            for cpu in parse_cpu_list(_read(entry / "cpulist")):
                found[cpu] = int(entry.name[4:])
    return found


def read(root: Path = SYS, affinity: Iterable[int] | None = None) -> Topology:
    """The topology of the usable CPUs (online, in ``affinity``: this process's mask by default).

    Falls back to a flat topology, saying why in ``source``, when /sys cannot be read.
    """
    mask = sorted(set(own_mask() if affinity is None else affinity))
    cpu_dir = root / "devices/system/cpu"
    try:
        online = _online(cpu_dir)
        if not online:
            raise OSError(f"no online CPUs listed in {cpu_dir}")
        offline = parse_cpu_list(_read(cpu_dir / "offline")) if (cpu_dir / "offline").exists() else []
        nodes = _nodes(root)
        usable = [cpu for cpu in mask if cpu in set(online)]
        cpus = []
        for cpu in usable:
            core, package = _core_of(cpu_dir / f"cpu{cpu}" / "topology", cpu)
            cpus.append(Cpu(id=cpu, core=core, package=package, node=nodes.get(cpu, 0)))
    except (OSError, ValueError) as exc:
        return flat(mask, f"flat: {root} not readable ({exc})")
    if not cpus:
        return flat(mask, f"flat: none of the affinity mask's CPUs is online in {cpu_dir}")
    return Topology(cpus=tuple(cpus), online=len(online), offline=tuple(offline))


def own_mask() -> list[int]:
    """This process's affinity mask; every CPU where the platform has no affinity (not Linux)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def flat(mask: Sequence[int], why: str) -> Topology:
    """Every CPU of the mask its own core on one node: what is assumed when nothing is known.

    psutil (which also reads /proc/cpuinfo) adds the machine's physical core count to the reason where it knows it.
    """
    try:
        import psutil

        physical = psutil.cpu_count(logical=False)
    except Exception:  # psutil itself may fail without /sys or /proc
        physical = None
    if physical:
        why += f"; psutil counts {physical} physical cores on the machine"
    cpus = tuple(Cpu(id=cpu, core=cpu) for cpu in mask)
    return Topology(cpus=cpus, online=max(len(mask), os.cpu_count() or 0), source=why)


@functools.cache
def current() -> Topology:
    """This machine's topology, read once per process (a run's session, calibration and cases agree)."""
    return read()
