"""Measuring the machine's ceilings: k pinned copies of the same fixed work against one copy.

For each core count k, the first k CPUs of this process's affinity mask (the CPUs a case
with ``cores=k`` runs on) each get one worker process (``bench.entrypoints.calibration_worker``,
started with fork+exec by ``subprocess``, which is safe in a threaded parent and leaves no
multiprocessing helper behind), pinned before it starts.  The workers are started once and
kept; every repetition runs, for every k, the first k workers together on

* a fixed pure-Python loop (CPU ceiling), sized once so one copy takes ``target_seconds``;
* a numpy triad ``a = b + s*c`` over arrays ~4x the last-level cache (bandwidth ceiling).

Interleaving the k values within each repetition spreads slow drift of a shared machine
over all of them instead of biasing one.  Each worker times its own work; the arithmetic
(ratios, intervals) is in ``bench.machine.ceiling``.  Spawn costs are measured last, in one more
worker pinned to all the CPUs, once the others have stopped.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from bench.execute.killing import kill_group
from bench.machine import ceiling, topology
from bench.measure.threadlimits import SINGLE_THREAD
from bench.model import BenchError

DEFAULT_LLC_BYTES = 32 * 2**20
#: one worker's three arrays together are this many times the last-level cache ...
LLC_FACTOR = 4
#: ... but never more than this (a 256 MiB LLC must not cost gigabytes per worker)
MAX_WORKING_SET = 512 * 2**20
#: a worker that does not answer within this long is broken, not slow
ANSWER_TIMEOUT = 120.0
PROBE_SPIN = 100_000


@dataclass(frozen=True)
class CalibrationPlan:
    name: str
    repetitions: int  # measured repetitions per k (after one discarded warm-up)
    target_seconds: float  # one copy's work per phase
    spawn_repetitions: int
    thread_repetitions: int = 50
    #: a loaded machine makes every phase slower than sized: stop repeating after this
    #: many seconds of ceiling measurements, once min_repetitions are in
    budget_seconds: float = float("inf")
    min_repetitions: int = 3


BRIEF = CalibrationPlan("brief", repetitions=5, target_seconds=0.06, spawn_repetitions=3, thread_repetitions=30,
                        budget_seconds=3.0)
FULL = CalibrationPlan("full", repetitions=12, target_seconds=0.25, spawn_repetitions=10, budget_seconds=25.0)


class CalibrationError(BenchError):
    """A calibration worker failed or did not answer."""


# ------------------------------------------------------------------ cache size

def parse_cache_size(text: str) -> int | None:
    """'8192K' -> 8388608; None when it is not a size."""
    text = text.strip().upper()
    scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
    digits = text[:-1] if text[-1:] in "KMG" else text
    return int(digits) * scale if digits.isdigit() else None


def last_level_cache(cpu: int = 0) -> tuple[int, str]:
    """(bytes, where it came from): the highest data/unified cache level in sysfs, else the default."""
    best: tuple[int, int, str] | None = None
    for index in sorted(Path(f"/sys/devices/system/cpu/cpu{cpu}/cache").glob("index*")):
        try:
            if (index / "type").read_text().strip() == "Instruction":
                continue
            level = int((index / "level").read_text())
            size = parse_cache_size((index / "size").read_text())
        except (OSError, ValueError):
            continue
        if size and (best is None or level > best[0]):
            best = (level, size, str(index / "size"))
    return (best[1], best[2]) if best else (DEFAULT_LLC_BYTES, "default (sysfs unreadable)")


def triad_elements(llc_bytes: int) -> int:
    """float64 elements per array so the three arrays are LLC_FACTOR x the LLC (capped)."""
    working_set = min(LLC_FACTOR * llc_bytes, MAX_WORKING_SET)
    return max(1, working_set // (3 * 8))


# ------------------------------------------------------------------ workers

class Worker:
    """One pinned calibration process with a line protocol over its stdin/stdout."""

    def __init__(self, cpus: Sequence[int], elements: int) -> None:
        argv = [sys.executable, "-m", "bench.entrypoints.calibration_worker", str(elements)]
        env = {**os.environ, **SINGLE_THREAD}
        self.cpus = list(cpus)
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     start_new_session=True, preexec_fn=lambda: os.sched_setaffinity(0, cpus))

    def send(self, request: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()

    def receive(self, timeout: float = ANSWER_TIMEOUT) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else b""
        if not line:
            why = "did not answer" if not ready else f"died (exit code {self.proc.poll()})"
            raise CalibrationError(f"calibration worker on CPUs {self.cpus} {why}")
        answer = json.loads(line)
        if "error" in answer:
            raise CalibrationError(f"calibration worker on CPUs {self.cpus}: {answer['error']}")
        return answer

    def wait_ready(self) -> None:
        answer = self.receive()
        if sorted(answer["cpus"]) != sorted(self.cpus):  # pinning is the point: refuse to measure without it
            raise CalibrationError(f"calibration worker pinned to {answer['cpus']}, wanted {self.cpus}")

    def close(self) -> None:
        """Ask nicely, then kill the whole process group (a spawn child or tracker included)."""
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        kill_group(self.proc.pid)
        self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


class Workers:
    """Context manager: one worker per CPU, all closed (and killed) on the way out."""

    def __init__(self, cpus: Sequence[int], elements: int) -> None:
        self.cpus, self.elements = list(cpus), elements
        self.workers: list[Worker] = []

    def __enter__(self) -> list[Worker]:
        try:
            for cpu in self.cpus:
                self.workers.append(Worker([cpu], self.elements))
            for worker in self.workers:
                worker.wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self.workers

    def __exit__(self, *exc: Any) -> None:
        for worker in self.workers:
            worker.close()


def phase(workers: Sequence[Worker], request: dict[str, Any]) -> list[float]:
    """Start the same work on every worker at once; each one's seconds."""
    for worker in workers:
        worker.send(request)
    return [worker.receive()["seconds"] for worker in workers]


# ------------------------------------------------------------------ measuring

def _sizes(worker: Worker, target: float) -> tuple[int, int]:
    """Loop iterations and triad passes that take ~target seconds on one copy (best of two probes)."""
    spin = min(phase([worker], {"op": "spin", "n": PROBE_SPIN})[0] for _ in range(2))
    triad = min(phase([worker], {"op": "triad", "passes": 1})[0] for _ in range(2))
    return max(1000, int(PROBE_SPIN * target / spin)), max(1, round(target / triad))


def _rounds(workers: Sequence[Worker], ks: Sequence[int], requests: dict[str, dict[str, Any]],
            plan: CalibrationPlan) -> Iterator[list[tuple[str, int, list[float]]]]:
    """Measured rounds (every k, every kind); the first round is a discarded warm-up."""
    began = time.perf_counter()
    for rep in range(1 + plan.repetitions):
        measured = [(kind, k, phase(workers[:k], request)) for k in ks for kind, request in requests.items()]
        if rep:
            yield measured
        if rep >= plan.min_repetitions and time.perf_counter() - began > plan.budget_seconds:
            return


def measure_ceilings(cpus: Sequence[int], ks: Sequence[int], plan: CalibrationPlan,
                     elements: int) -> dict[str, Any]:
    with Workers(cpus[: max(ks)], elements) as workers:
        n, passes = _sizes(workers[0], plan.target_seconds)
        requests = {"cpu": {"op": "spin", "n": n}, "bandwidth": {"op": "triad", "passes": passes}}
        raw: dict[str, dict[str, list[list[float]]]] = {kind: {str(k): [] for k in ks} for kind in requests}
        rounds = 0
        for measured in _rounds(workers, ks, requests, plan):
            rounds += 1
            for kind, k, seconds in measured:
                raw[kind][str(k)].append(seconds)
    return {"raw": raw, "cpu_loop_iterations": n, "triad_passes": passes, "repetitions": rounds}


def measure_spawn_costs(cpus: Sequence[int], plan: CalibrationPlan) -> dict[str, list[float]]:
    worker = Worker(cpus, 0)
    try:
        worker.wait_ready()
        worker.send({"op": "spawn_costs", "repetitions": plan.spawn_repetitions,
                     "thread_repetitions": plan.thread_repetitions})
        return worker.receive()["samples"]
    finally:
        worker.close()


def core_counts(requested: Sequence[int], cpus: Sequence[int]) -> list[int]:
    ks = sorted({1, *requested})
    if ks[-1] > len(cpus):
        raise BenchError(f"cannot calibrate {ks[-1]} cores: only {len(cpus)} CPUs in this process's affinity mask")
    return ks


def _placements(cpus: Sequence[int], ks: Sequence[int]) -> dict[str, Any]:
    """What each k's CPUs shared (a ceiling on two threads of one core is low for that reason), and the machine."""
    machine = topology.current()
    return {"cpu_topology": machine.summary(),
            "cpu_placement": {str(k): topology.placement(machine, cpus[:k]) for k in ks}}


def calibrate(cores: Sequence[int], plan: CalibrationPlan = BRIEF, cpus: Sequence[int] | None = None) -> dict[str, Any]:
    """Measure and return the calibration dict stored as ``ResultSet.calibration``."""
    cpus = list(topology.current().order) if cpus is None else list(cpus)
    ks = core_counts(cores, cpus)
    llc, source = last_level_cache(cpus[0])
    elements = triad_elements(llc)
    began = time.perf_counter()
    load = os.getloadavg()[0]
    measured = measure_ceilings(cpus, ks, plan, elements)
    spawn = measure_spawn_costs(cpus[: ks[-1]], plan)
    calibration: dict[str, Any] = {
        "schema": 1, "plan": plan.name, "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cpus": cpus[: ks[-1]], "cores": ks, "warmups": 1,
        "target_seconds": plan.target_seconds, "llc_bytes": llc, "llc_source": source,
        "triad_array_bytes": elements * 8, "load_avg_1min": round(load, 2),
        **measured, "spawn_raw": spawn, **_placements(cpus, ks),
    }
    # bytes one copy streams per phase: multiply reads c, writes a; add reads a and b, writes a
    calibration["triad_bytes_per_copy"] = 5 * elements * 8 * measured["triad_passes"]
    calibration["seconds"] = round(time.perf_counter() - began, 2)
    calibration["summary"] = ceiling.calibration_summary(calibration)
    return calibration
