"""Interleaved A/B runs: two code versions or two environments measured value by value in turn.

Two runs made one after the other put any slow drift of the machine (another
tenant, thermal state, a noisy neighbour's cron job) entirely on one side.  Here
each case is measured on both sides at once: one long-lived case process per
side (``bench.ab_worker``), both pinned to the same CPUs, and the driver asks
them for one cycle at a time in the order A B, B A, A B ... (ABBA, so neither
side always runs first after the other).  Only one process works at any moment;
the other waits on its pipe.  Warm-ups are interleaved the same way and kept
apart.  The two sides then get the same number of values, stop together under
the profile's time budget, and are written to two ordinary results files that
``bench compare A.json B.json`` takes.  The values of a case are shared among
``processes`` pairs started one after the other (``session_plans``): a single
process carries its own luck (measured: one pool's 5 values all 10 % above the
other side's, under load), and values from two processes per side let the rank
test see some of that instead of calling it a difference.

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
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from bench.isolation import reap_descendants
from bench.model import Case, CaseResult
from bench.timing import TimingPlan

LABELS = ("A", "B")
ROOT = Path(__file__).resolve().parent.parent  # the checkout this harness runs from
WORKER_SOURCE = Path(__file__).with_name("ab_worker.py")


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
    importable even when it is not installed, without shadowing the side's code.
    """
    env = {**base, **side.env}
    paths = [*side.pythonpath, str(ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def order(round_index: int, labels: Sequence[str] = LABELS) -> list[str]:
    """ABBA: A first in even rounds, B first in odd ones."""
    return list(labels) if round_index % 2 == 0 else list(reversed(labels))


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
        self.buffer = b""

    def request(self, command: str, timeout: float) -> dict[str, Any]:
        try:
            self.proc.stdin.write(f"{command}\n".encode())  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            raise SideFailed(self._died()) from None
        return self.receive(timeout)

    def receive(self, timeout: float) -> dict[str, Any]:
        """The next reply line; SideFailed on death, timeout or garbage."""
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
            while b"\n" not in self.buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SideFailed(f"timed out after {timeout:g} s; case process tree killed")
                if selector.select(min(left, 0.5)):
                    chunk = os.read(self.proc.stdout.fileno(), 65536)  # type: ignore[union-attr]
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
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass
        self.proc.wait()


# ---------------------------------------------------------------- one case on both sides

@dataclass
class SideRecord:
    """What one side of a case has produced so far."""

    values: list[float] = field(default_factory=list)
    warmups: list[float] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)  # driver clock at each value's request
    spent: float = 0.0
    error: str = ""
    final: dict[str, Any] = field(default_factory=dict)


def session_plans(plan: TimingPlan, processes: int) -> list[TimingPlan]:
    """Split one case's plan over ``processes`` fresh pairs of processes.

    Each pair gets the warm-ups and an equal share of the values, of min_values and
    of the time budget, so even a slow case visits every pair: values from one
    process share its luck (where the scheduler put its pool workers among other
    tenants), which a rank test on values from a single process cannot see.
    """
    n = max(1, min(processes, plan.values))

    def share(total: int, i: int) -> int:
        return total // n + (i < total % n)

    return [TimingPlan(warmups=plan.warmups, values=share(plan.values, i), min_values=max(1, share(plan.min_values, i)),
                       budget_seconds=plan.budget_seconds / n) for i in range(n)]


def _done(records: Mapping[str, SideRecord], plan: TimingPlan, before: Mapping[str, tuple[int, float]]) -> bool:
    """This session's share is measured: enough values on every live side and its budget spent."""
    live = [label for label, r in records.items() if not r.error]
    if not live:
        return True
    enough = all(len(records[label].values) - before[label][0] >= plan.min_values for label in live)
    return enough and max(records[label].spent - before[label][1] for label in live) >= plan.budget_seconds


def interleave(channels: Mapping[str, Channel], records: Mapping[str, SideRecord], plan: TimingPlan,
               timeout: float, clock: Callable[[], float] = time.monotonic) -> None:
    """Warm-ups then values, one cycle per side per round in ABBA order; stop under the budget."""
    before = {label: (len(r.values), r.spent) for label, r in records.items()}
    for index in range(plan.warmups + plan.values):
        for label in order(index, list(channels)):
            record = records[label]
            if record.error:
                continue
            started = clock()
            try:
                reply = channels[label].request("cycle", timeout)
            except SideFailed as exc:
                record.error = str(exc)
                continue
            if "error" in reply:
                record.error = str(reply["error"])
                continue
            value = float(reply["value"])
            record.spent += value
            if index < plan.warmups:
                record.warmups.append(value)
            else:
                record.values.append(value)
                record.starts.append(started)
        if index >= plan.warmups and _done(records, plan, before):
            break


def _start_and_wait(channel: Channel, record: SideRecord, timeout: float) -> None:
    try:
        reply = channel.receive(timeout)
    except SideFailed as exc:
        record.error = str(exc)
        return
    if not reply.get("ready"):
        record.error = str(reply.get("error", "case process failed to start"))


def _finish(channel: Channel, record: SideRecord, timeout: float) -> None:
    if record.error:
        return
    try:
        reply = channel.request("stop", timeout)
    except SideFailed as exc:
        record.error = str(exc)
        return
    if "error" in reply:
        record.error = str(reply["error"])
    record.final = reply


def measure_pair(channels: Mapping[str, Channel], records: Mapping[str, SideRecord], plan: TimingPlan,
                 timeout: float, keep: set[int] = frozenset()) -> None:  # type: ignore[assignment]
    """Drive started channels to the end; on return every process below this one is dead but ``keep``.

    ``keep`` must be taken before the channels started: by now their pool workers exist too.
    """
    try:
        for label, channel in channels.items():
            _start_and_wait(channel, records[label], timeout)
        interleave(channels, records, plan, timeout)
        for label, channel in channels.items():
            _finish(channel, records[label], timeout)
    finally:
        for channel in channels.values():
            channel.kill()
        reap_descendants(keep=keep)


def to_result(case: Case, record: SideRecord, side: str, origin: float, processes: int = 1) -> CaseResult:
    if record.error:
        return CaseResult(case=case, values=(), warmups=(), ok=False, error=record.error,
                          metadata={"ab_side": side})
    final = record.final
    metadata = {**final.get("metadata", {}), "ab_side": side, "ab_order": "ABBA", "ab_processes": processes,
                "ab_value_starts": [round(s - origin, 6) for s in record.starts]}
    return CaseResult(case=case, values=tuple(record.values), warmups=tuple(record.warmups), ok=True,
                      metrics=final.get("metrics", {}), metadata=metadata)
