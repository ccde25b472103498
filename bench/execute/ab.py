"""Interleaved A/B runs: two code versions or two environments measured value by value in turn.

Two runs made one after the other put any slow drift of the machine (another
tenant, thermal state, a noisy neighbour's cron job) entirely on one side.  Here
each case is measured on both sides at once: one long-lived case process per
side, both pinned to the same CPUs, each serving the arms of the one measuring
core (``bench.measure.core``: the same cycles, checks and metadata as ``bench
run``).  The driver runs the core's ``interleave`` over them: rounds of A B,
B A, A B ... (ABBA), or with ``references`` (to compare speed-ups) rounds of
A-reference A B-reference B, reversed every other round, so each side's values
pair with its own serial reference exactly as in ``bench run``.  Only one
process works at any moment; the other waits on its pipe.  Warm-ups are
interleaved the same way and kept apart.  Both sides stop together once the
paired A/B ratio (and each side's speed-up) is precise enough or the budget is
spent, and are written to two ordinary results files that ``bench compare
A.json B.json`` takes.  The values of a case are shared among ``processes``
pairs started one after the other (``core.session_plans``): a single process carries
its own luck (measured: one pool's 5 values all 10 % above the other side's,
under load; a pure-Python task's pairs spread with sd 3-7 % on a quiet machine),
so each side's file records how its values split by pair (``process_values``)
and `bench compare` takes an interval over the pairs' own means as well
(``stats.between_processes``): luck is not taken for a difference.

A side is a Python interpreter (``python``), directories put first on its
PYTHONPATH (``pythonpath``: a checkout of another commit, e.g. a git worktree),
environment variables (``env``) and workload parameter overrides (``sets``).
The side's settings are recorded in the file's ``config["ab"]``, not in the case
identity, so the two files match case for case.  Serial results are checked per
side: side A's parallel cases must reproduce side A's serial results.
"""
from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from bench.execute.isolation import reap_descendants
from bench.execute.killing import kill_group
from bench.measure import core
from bench.measure.core import CASE, REFERENCE, Arm, ArmRecord, CaseFailed, Precision, TimingPlan, interleave
from bench.model import Case, CaseResult

LABELS = ("A", "B")
ROOT = Path(__file__).resolve().parents[2]  # the checkout this harness runs from (bench/execute/ -> bench/ -> here)
WORKER_SOURCE = Path(core.__file__)  # passed with -c: see bench.measure.core


class SideFailed(Exception):
    """One side's case process failed; the message is the one-line reason."""


@dataclass(frozen=True)
class Side:
    """What distinguishes one side of the comparison."""

    label: str
    python: str | None = None
    pythonpath: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    sets: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        return {"side": self.label, "python": self.python or sys.executable, "pythonpath": list(self.pythonpath),
                "env": dict(self.env), "sets": list(self.sets)}


def side_env(base: Mapping[str, str], side: Side) -> dict[str, str]:
    """The case's environment with the side's variables; its code first on PYTHONPATH.

    This checkout comes after the side's directories so that the harness is
    importable even when it is not installed, without shadowing the side's code;
    then the current folder, from which `python -m bench` imports a user's
    workload module (the case process itself runs in a scratch folder).
    """
    env = {**base, **side.env}
    paths = [*side.pythonpath, str(ROOT), os.getcwd(), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


# ---------------------------------------------------------------- one side's process

class Channel:
    """A running side: send a command, read one JSON reply, kill the whole tree."""

    def __init__(self, argv: Sequence[str], cpus: Sequence[int], env: dict[str, str], cwd: Path,
                 log_path: Path) -> None:
        def pin() -> None:  # in the child before exec: every descendant inherits the mask
            os.sched_setaffinity(0, list(cpus))

        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                         env=env, cwd=cwd, start_new_session=True, preexec_fn=pin)
        assert self.proc.stdin is not None and self.proc.stdout is not None  # both are PIPEs
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        self.buffer = b""

    def request(self, command: str, timeout: float) -> dict[str, Any]:
        try:
            self.stdin.write(f"{command}\n".encode())
            self.stdin.flush()
        except (BrokenPipeError, OSError):
            raise SideFailed(self._died()) from None
        return self.receive(timeout)

    def receive(self, timeout: float) -> dict[str, Any]:
        """The next reply line; SideFailed on death, timeout or garbage."""
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.stdout, selectors.EVENT_READ)
            while b"\n" not in self.buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SideFailed(f"timed out after {timeout:g} s; case process tree killed")
                if selector.select(min(left, 0.5)):
                    chunk = os.read(self.stdout.fileno(), 65536)
                    if not chunk:
                        raise SideFailed(self._died())
                    self.buffer += chunk
                elif self.proc.poll() is not None:  # dead, though a forked child may hold the pipe
                    raise SideFailed(self._died())
        line, _, self.buffer = self.buffer.partition(b"\n")
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            raise SideFailed(f"case process sent garbage: {line[:80]!r}") from None

    def _died(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        how = f"killed by signal {-code}" if code and code < 0 else f"exit code {code}"
        lines = [ln for ln in self.log_path.read_text(errors="replace").splitlines() if ln.strip()]
        return f"case process died ({how})" + (f": {lines[-1].strip()[:200]}" if lines else "")

    def kill(self) -> None:
        kill_group(self.proc.pid)
        for stream in (self.stdin, self.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.proc.wait()


# ---------------------------------------------------------------- one case on both sides

def arm_names(labels: Sequence[str], references: bool) -> list[str]:
    """The arms of a comparison: (A, B), or (A-reference, A, B-reference, B) for speed-ups."""
    return [name for label in labels for name in ((reference_arm(label), label) if references else (label,))]


def reference_arm(label: str) -> str:
    return f"{label}-{REFERENCE}"


def side_of(arm: str) -> str:
    return arm.split("-", 1)[0]


def channel_arms(channels: Mapping[str, Channel], names: Sequence[str], timeout: float) -> dict[str, Arm]:
    """Each arm asks its side's process for one cycle; a side that died fails both of its arms."""
    dead: dict[str, str] = {}

    def arm(name: str) -> Arm:
        label = side_of(name)
        command = f"cycle {REFERENCE if name != label else CASE}"

        def cycle() -> float:
            if label in dead:
                raise CaseFailed(dead[label])
            try:
                reply = channels[label].request(command, timeout)
            except SideFailed as exc:
                dead[label] = str(exc)
                raise CaseFailed(str(exc)) from None
            if "error" in reply:
                raise CaseFailed(str(reply["error"]))
            return float(reply["value"])
        return cycle

    return {name: arm(name) for name in names if side_of(name) in channels}


def precision_of(names: Sequence[str]) -> Precision:
    """The stopping rule: the widest paired interval among A/B and, with references, each side's speed-up."""
    from bench.analysis.stats import paired_halfwidth

    sides = [name for name in names if side_of(name) == name]
    ratios = [(sides[0], sides[-1])] if len(sides) == 2 else []
    ratios += [(reference_arm(label), label) for label in sides if reference_arm(label) in names]

    def widest(records: Mapping[str, ArmRecord]) -> float:
        live = [(a, b) for a, b in ratios if a in records and b in records
                and not (records[a].error or records[b].error)]
        return max((paired_halfwidth(records[a].values, records[b].values) for a, b in live), default=float("inf"))
    return widest


def _start_and_wait(channel: Channel, timeout: float) -> str:
    """'' once the side is set up; else why it is not."""
    try:
        reply = channel.receive(timeout)
    except SideFailed as exc:
        return str(exc)
    return "" if reply.get("ready") else str(reply.get("error", "case process failed to start"))


def _finish(channel: Channel, timeout: float) -> tuple[dict[str, Any], str]:
    try:
        reply = channel.request("stop", timeout)
    except SideFailed as exc:
        return {}, str(exc)
    return reply, str(reply.get("error", ""))


@dataclass
class SideRecord:
    """What one side of a case has produced over all its processes."""

    arms: dict[str, ArmRecord] = field(default_factory=dict)
    error: str = ""
    final: dict[str, Any] = field(default_factory=dict)
    stops: list[str] = field(default_factory=list)
    #: per process, in order: how many values, warm-ups and reference warm-ups of this side it measured
    sittings: list[tuple[int, int, int]] = field(default_factory=list)

    def extend(self, name: str, record: ArmRecord) -> None:
        mine = self.arms.setdefault(name, ArmRecord())
        mine.values += record.values
        mine.warmups += record.warmups
        mine.starts += record.starts
        self.error = self.error or record.error


def measure_pair(channels: Mapping[str, Channel], records: Mapping[str, SideRecord], plan: TimingPlan,
                 timeout: float, references: bool = False, keep: frozenset[int] = frozenset()) -> None:
    """Drive started channels to the end; on return every process below this one is dead but ``keep``.

    ``keep`` must be taken before the channels started: by now their pool workers exist too.
    """
    try:
        for label, channel in channels.items():
            records[label].error = records[label].error or _start_and_wait(channel, timeout)
        live = {label: channel for label, channel in channels.items() if not records[label].error}
        names = arm_names(list(live), references)
        arms, reason = interleave(channel_arms(live, names, timeout), plan, precision_of(names))
        for name, record in arms.items():
            records[side_of(name)].extend(name, record)
        for label, channel in live.items():
            records[label].stops.append(reason)
            records[label].sittings.append(_counts(arms, label))
            if not records[label].error:
                records[label].final, records[label].error = _finish(channel, timeout)
    finally:
        for channel in channels.values():
            channel.kill()
        reap_descendants(keep=set(keep))


def _counts(arms: Mapping[str, ArmRecord], label: str) -> tuple[int, int, int]:
    """One process's values, warm-ups and reference warm-ups of side ``label``."""
    own, reference = arms.get(label, ArmRecord()), arms.get(reference_arm(label), ArmRecord())
    return len(own.values), len(own.warmups), len(reference.warmups)


def to_result(case: Case, record: SideRecord, side: str, processes: int = 1) -> CaseResult:
    if record.error:
        return CaseResult(case=case, values=(), warmups=(), ok=False, error=record.error,
                          metadata={"ab_side": side})
    own, reference = record.arms.get(side, ArmRecord()), record.arms.get(reference_arm(side), ArmRecord())
    metadata = {**record.final.get("metadata", {}), "ab_side": side, "order": "ABBA", "ab_processes": processes,
                "stop_reason": ",".join(dict.fromkeys(record.stops)), "rounds": len(own.values),
                "value_starts": [round(s, 3) for s in own.starts],
                # how the lists split by process pair: `bench compare` takes the pair as the unit that repeats,
                # and the pyperf file has one run per process (``storage.process_slices``)
                **{key: [counts[i] for counts in record.sittings]
                   for i, key in enumerate(("process_values", "process_warmups", "process_reference_warmups"))}}
    return CaseResult(case=case, values=tuple(own.values), warmups=tuple(own.warmups), ok=True,
                      metrics=record.final.get("metrics", {}), metadata=metadata,
                      reference=tuple(reference.values), reference_warmups=tuple(reference.warmups))
