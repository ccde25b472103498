"""Fresh, pinned, killable processes, and the guarantee that none outlives a run.

The runner makes itself a *child subreaper* (Linux prctl), so a worker that a
case leaves behind (a pool that was never joined, a dask nanny, a loky worker)
is re-parented to the runner instead of init, where `reap_descendants` finds
and kills it.  Each case process also gets its own session, so killing its
process group takes the whole tree down in one signal.

A case whose answer is complete is taken even when its process cannot exit (a
task left a non-daemon thread running): after a short grace the group is
killed, and the outcome says so (``lingered``).  If the runner itself is killed
(``kill -9``), the case and its workers die with it: a case the launcher forked
gets a parent-death signal (Linux prctl), and the launcher kills the process
group of each case it started when its request pipe closes; an exec'd case runs
under GUARD, which kills its group on its own parent-death signal.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import AbstractSet, Any, Callable, Sequence

import psutil

from bench.execute import case_log, interrupts
from bench.execute.killing import kill_group

_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_PDEATHSIG = 1
#: seconds a case may take to exit once its answer file is complete, before its group is killed
EXIT_GRACE_SECONDS = 2.0
#: how often a running case is checked for a complete answer
_POLL_SECONDS = 0.1


def _load_libc() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


#: loaded once, here: a child between fork and exec must not dlopen (another thread may hold its lock)
_LIBC = _load_libc()


def _prctl(option: int, value: int) -> bool:
    try:
        return _LIBC is not None and _LIBC.prctl(option, value, 0, 0, 0) == 0
    except AttributeError:  # no prctl: not Linux
        return False


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux only); False where not supported."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent(parent_pid: int, signum: int = signal.SIGKILL) -> None:
    """In a child: get ``signum`` when the process that started it dies, even by SIGKILL (Linux only).

    If the parent is already gone (it died between fork and here), exit now.
    """
    _prctl(_PR_SET_PDEATHSIG, signum)
    if os.getppid() != parent_pid:
        os._exit(70)


@dataclass(frozen=True)
class Outcome:
    returncode: int | None
    timed_out: bool
    seconds: float
    started_by: str = "exec"  # "launcher": forked by bench.execute.launcher; "exec": a new interpreter
    #: its answer was complete but it did not exit within EXIT_GRACE_SECONDS: killed, answer taken
    lingered: bool = False


def descendant_pids() -> set[int]:
    try:
        return {child.pid for child in psutil.Process().children(recursive=True)}
    except psutil.Error:
        return set()


def reap_descendants(keep: AbstractSet[int] = frozenset(), timeout: float = 5.0) -> int:
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


Waiter = Callable[[int, float | None], "int | None"]


def _wait_or_answer(pid: int, wait: Waiter, timeout: float, answered: Callable[[], bool],
                    log_path: str | None = None) -> tuple[int | None, bool]:
    """(exit code, lingered): the exit code, or None when it timed out or lingered after its answer.

    Waits in short slices so a complete answer is noticed; a process that has
    answered gets EXIT_GRACE_SECONDS to exit (atexit handlers, a pool's clean-up).
    """
    deadline = time.monotonic() + timeout
    answered_at: float | None = None
    while True:
        now = time.monotonic()
        if answered_at is None and answered():
            answered_at = now
        if answered_at is not None and now - answered_at >= EXIT_GRACE_SECONDS:
            return None, True
        if now >= deadline:
            return None, answered_at is not None
        code = wait(pid, min(deadline - now, _POLL_SECONDS))
        if code is not None:
            return code, False
        case_log.trim(log_path)


def _supervise(start: Callable[[], int], wait: Waiter, timeout: float, started_by: str,
               answered: Callable[[], bool] = lambda: False, log_path: str | None = None) -> Outcome:
    """Start a case (``start`` returns its pid, also its process group), wait, kill, reap.

    ``wait(pid, seconds)`` returns the exit code, or None when the time ran out
    first (``seconds=None`` waits for good).  ``answered()`` says the case's answer
    is complete (see _wait_or_answer).  The case's log is kept to its head and
    tail (``case_log``).  Processes that existed before the call are
    left alone (a test's own helpers, say); everything the case started is killed.
    """
    existing = descendant_pids()
    started = time.perf_counter()
    interrupts.RUNNING["launching"] = True  # a stop request now only records itself (see interrupts)
    try:
        pid = start()
    finally:
        interrupts.RUNNING["launching"] = False
    interrupts.RUNNING["pgid"] = pid
    returncode, lingered = None, False
    try:
        if interrupts.requested():
            kill_group(pid)
        returncode, lingered = _wait_or_answer(pid, wait, timeout, answered, log_path)
    finally:
        timed_out = returncode is None and not lingered
        interrupts.RUNNING["pgid"] = None
        kill_group(pid)
        try:
            if returncode is None:
                returncode = wait(pid, None)
        finally:
            reap_descendants(keep=existing)
            case_log.finish(log_path)
    return Outcome(returncode, timed_out, time.perf_counter() - started, started_by, lingered)


def _answer_exists(answer_path: str | None) -> Callable[[], bool]:
    """The case writes its answer atomically (rename), so existing means complete."""
    return (lambda: os.path.exists(answer_path)) if answer_path else (lambda: False)


def run_launched(launcher: Any, args: Sequence[str], cpus: Sequence[int], env: dict[str, str],
                 timeout: float, log_path: str, answer_path: str | None = None) -> Outcome:
    """As run_pinned, for a case forked by a bench.execute.launcher.Launcher (raises LauncherError)."""
    return _supervise(lambda: launcher.launch(args, log_path, cpus, env), launcher.wait, timeout, "launcher",
                      _answer_exists(answer_path), log_path)


#: A minimal parent for an exec'd case (``python -I -S -c GUARD RUNNER_PID ARGV...``): it leads the
#: case's process group, runs the case as its child and passes on its exit status.  When the runner
#: dies, even by SIGKILL, the parent-death signal (SIGTERM) makes it kill the whole group: the case
#: and its workers.  (A case forked by the launcher gets the same from the launcher itself.)
GUARD = r"""
import ctypes, os, signal, sys
def stop(signum, frame):
    os.killpg(0, signal.SIGKILL)
signal.signal(signal.SIGTERM, stop)
try:
    ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)
except (OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):
    stop(0, None)
pid = os.fork()
if pid == 0:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    except OSError as exc:
        print(f"cannot start {sys.argv[2]}: {exc.strerror}", file=sys.stderr)
        os._exit(127)
code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
"""


def guarded(argv: Sequence[str], runner_pid: int) -> list[str]:
    """argv run under GUARD, so that the case and its workers die with the runner."""
    return [sys.executable, "-I", "-S", "-c", GUARD, str(runner_pid), *argv]


def run_pinned(argv: Sequence[str], cpus: Sequence[int], env: dict[str, str], timeout: float,
               log_path: str | None = None, answer_path: str | None = None) -> Outcome:
    """Run argv pinned to cpus; kill its whole tree on timeout, after it exits, or once it lingers after answer_path."""
    command = guarded(argv, os.getpid())

    def pin() -> None:  # runs in the child before exec: the mask is inherited by all below
        os.sched_setaffinity(0, cpus)

    procs: list[subprocess.Popen] = []

    def start() -> int:
        log = open(log_path, "wb") if log_path else None
        output = log or subprocess.DEVNULL
        try:
            procs.append(subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=pin,
                                          stdin=subprocess.DEVNULL, stdout=output, stderr=output))
        finally:
            if log:
                log.close()
        return procs[0].pid

    def wait(pid: int, seconds: float | None) -> int | None:
        try:
            return procs[0].wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    return _supervise(start, wait, timeout, "exec", _answer_exists(answer_path), log_path)
