"""Fresh, pinned, killable processes, and the guarantee that none outlives a run.

The runner makes itself a *child subreaper* (Linux prctl), so a worker that a
case leaves behind (a pool that was never joined, a dask nanny, a loky worker)
is re-parented to the runner instead of init, where `reap_descendants` finds
and kills it.  Each case process also gets its own session, so killing its
process group takes the whole tree down in one signal.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import psutil

_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux only); False where not supported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


#: the case process group being waited for, and whether one is being forked
_running: dict[str, Any] = {"pgid": None, "launching": False}


def stop_running_case() -> bool:
    """Called from a signal handler: kill the running case; True if that handles the stop.

    While a case runs the runner sits in wait(); killing the case ends the wait
    and the runner then sees the stop request between cases.  Raising instead
    could land inside fork's at-fork callbacks, where the exception is lost.
    """
    if _running["launching"]:
        return True
    if _running["pgid"] is not None:
        _kill_group(_running["pgid"])
        return True
    return False


def stop_requested() -> bool:
    from bench import interrupts

    return interrupts.requested()


@dataclass(frozen=True)
class Outcome:
    returncode: int | None
    timed_out: bool
    seconds: float
    started_by: str = "exec"  # "launcher": forked by bench.launcher; "exec": a new interpreter


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def descendant_pids() -> set[int]:
    try:
        return {child.pid for child in psutil.Process().children(recursive=True)}
    except psutil.Error:
        return set()


def reap_descendants(keep: set[int] = frozenset(), timeout: float = 5.0) -> int:  # type: ignore[assignment]
    """Kill every process below this one except `keep`; return how many were killed."""
    try:
        children = [c for c in psutil.Process().children(recursive=True) if c.pid not in keep]
    except psutil.Error:
        return 0
    for child in children:
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(children, timeout=timeout)
    return len(children)


def _supervise(start: Callable[[], int], wait: Callable[[int, float | None], int | None], timeout: float,
               started_by: str) -> Outcome:
    """Start a case (``start`` returns its pid, also its process group), wait, kill, reap.

    ``wait(pid, seconds)`` returns the exit code, or None when the time ran out
    first (``seconds=None`` waits for good).  Processes that existed before the call are
    left alone (a test's own helpers, say); everything the case started is killed.
    """
    existing = descendant_pids()
    started = time.perf_counter()
    _running["launching"] = True  # a stop request now only records itself (see interrupts)
    try:
        pid = start()
    finally:
        _running["launching"] = False
    _running["pgid"] = pid
    returncode = None
    try:
        if stop_requested():
            _kill_group(pid)
        returncode = wait(pid, timeout)
    finally:
        timed_out = returncode is None
        _running["pgid"] = None
        _kill_group(pid)
        try:
            if returncode is None:
                returncode = wait(pid, None)
        finally:
            reap_descendants(keep=existing)
    return Outcome(returncode, timed_out, time.perf_counter() - started, started_by)


def run_launched(launcher: Any, args: Sequence[str], cpus: Sequence[int], env: dict[str, str],
                 timeout: float, log_path: str) -> Outcome:
    """As run_pinned, for a case forked by a bench.launcher.Launcher (raises LauncherError)."""
    return _supervise(lambda: launcher.launch(args, log_path, cpus, env), launcher.wait, timeout, "launcher")


def run_pinned(argv: Sequence[str], cpus: Sequence[int], env: dict[str, str], timeout: float,
               log_path: str | None = None) -> Outcome:
    """Run argv pinned to cpus; kill its whole tree on timeout and after it exits."""
    def pin() -> None:  # runs in the child before exec: the mask is inherited by all below
        os.sched_setaffinity(0, cpus)

    procs: list[subprocess.Popen] = []

    def start() -> int:
        log = open(log_path, "wb") if log_path else subprocess.DEVNULL
        try:
            procs.append(subprocess.Popen(list(argv), env=env, start_new_session=True, preexec_fn=pin,
                                          stdin=subprocess.DEVNULL, stdout=log, stderr=log))
        finally:
            if log_path:
                log.close()  # type: ignore[union-attr]
        return procs[0].pid

    def wait(pid: int, seconds: float | None) -> int | None:
        try:
            return procs[0].wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    return _supervise(start, wait, timeout, "exec")
