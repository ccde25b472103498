"""A preloaded fork server for case processes (multiprocessing's forkserver-with-preload idea).

Every case still runs in a fresh process of its own, pinned, in its own
process group, killable on timeout.  What changes is how that process comes
to be: instead of starting an interpreter and importing bench, numpy, dask,
joblib ... about 200 times a matrix (0.2-1 s each on a small VM, a third of
the quick matrix), the runner starts one *launcher* that imports them once and
forks one child per case.  Nothing measured runs in the launcher: it never
creates a pool or calls a task, so a child inherits modules, not state.

Protocol (JSON lines; the runner writes requests to the launcher's stdin and
reads one answer line per request from its stdout):

- ``{"launch": {"args": [SPEC, OUT], "log": PATH, "cpus": [...], "env": {...}}}``
  -> ``{"pid": N}``: the child sets its process group, mask and environment,
  sends its output to PATH and runs ``bench.entrypoints.case_process.main(args)``;
- ``{"reap": N}`` -> ``{"returncode": R}`` (negative: killed by that signal);
  the runner asks only once the child is gone (it waits on a pidfd).

Where this cannot work (no ``os.fork``/``os.pidfd_open``, another interpreter,
thread limits off so BLAS pools may already run threads, BENCH_LAUNCHER=0) the
runner starts ``python -m bench.entrypoints.case_process`` as before.
"""
from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
import traceback
from typing import IO, Any, Sequence

from bench.execute.killing import kill_group

#: set to 0 to start every case as a new interpreter instead
DISABLE_VARIABLE = "BENCH_LAUNCHER"


def supported() -> bool:
    return (hasattr(os, "fork") and hasattr(os, "pidfd_open") and hasattr(os, "sched_setaffinity")
            and os.environ.get(DISABLE_VARIABLE, "1") != "0")


#: packages whose workload and strategy modules are preloaded as well (a user's
#: module is imported by its case, as without a launcher: it may do anything at import)
OWN_PACKAGES = ("bench.", "workloads.")


def preload_modules(objects: Sequence[Any]) -> list[str]:
    """The modules of built-in workloads/strategies and every ``preload`` entry, without repeats."""
    seen: dict[str, None] = {}
    for obj in objects:
        module = obj.__module__ if isinstance(obj, type) else type(obj).__module__
        if module.startswith(OWN_PACKAGES):
            seen.setdefault(module, None)
        for entry in getattr(obj, "preload", ()) or ():
            seen.setdefault(str(entry), None)
    return list(seen)


#: what every case process imports (the entry point and what measuring a case imports):
#: imported once in the launcher, inherited by every forked case
CASE_MODULES = ("bench.entrypoints.case_process", "bench.measure.cpu_usage", "bench.measure.equality",
                "bench.measure.metadata", "bench.measure.threadlimits", "bench.execute.isolation", "bench.registry",
                "bench.analysis.stats")


def _preload(entries: Sequence[str]) -> None:
    """Import each "module" (or call "module:function"); what fails is left to the case."""
    for module in CASE_MODULES:
        importlib.import_module(module)
    for entry in entries:
        module, _, function = entry.partition(":")
        try:
            loaded = importlib.import_module(module)
            if function:
                getattr(loaded, function)()
        except Exception:  # the case will report the same failure with its own message
            pass


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def _child(request: dict[str, Any], answers: IO[str], launcher_pid: int) -> None:
    """In the forked child: become the case process, then exit through normal shutdown."""
    from bench.execute.isolation import die_with_parent

    os.setpgid(0, 0)
    die_with_parent(launcher_pid)  # and the launcher dies with the runner (see serve)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    os.sched_setaffinity(0, request["cpus"])
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(null, 0)
    os.dup2(null, answers.fileno())  # the protocol pipe must not stay open in the case
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
    from bench.entrypoints import case_process

    code = 1
    try:
        code = case_process.main(request["args"])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    # SystemExit unwinds out of serve() (which catches nothing) so that atexit
    # handlers of the case's libraries run, as in a normally started process
    raise SystemExit(code)


def _become_case(request: dict[str, Any], answers: IO[str], launcher_pid: int) -> None:
    """The child's whole life: it must never fall back into the launcher's loop."""
    try:
        _child(request, answers, launcher_pid)
    except SystemExit:
        raise
    except BaseException:  # set-up failed (a bad CPU list, an unwritable log): exit, never serve
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(70)


def serve(requests: IO[str], answers: IO[str]) -> None:
    """Answer requests until the runner closes the pipe; then no case it started may live on.

    The pipe also closes when the runner is killed (``kill -9``): the case
    being measured and its workers (its process group) are killed here.
    """
    launched: set[int] = set()
    me = os.getpid()
    try:
        _serve(requests, answers, launched)
    finally:
        if os.getpid() == me:  # a case child unwinds through here too (SystemExit): not its job
            _kill_cases(launched)


def _kill_cases(pids: set[int]) -> None:
    """Kill the process group of every case not yet reaped, then reap it."""
    for pid in pids:
        kill_group(pid)
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _serve(requests: IO[str], answers: IO[str], launched: set[int]) -> None:
    for line in requests:
        request = json.loads(line)
        if "launch" in request:
            if _threads() != 1:  # forking a threaded process is unsafe: refuse, the runner execs
                answers.write(json.dumps({"error": f"launcher has {_threads()} threads"}) + "\n")
                answers.flush()
                continue
            launcher_pid = os.getpid()
            pid = os.fork()
            if pid == 0:
                _become_case(request["launch"], answers, launcher_pid)
            launched.add(pid)
            try:
                os.setpgid(pid, pid)  # as the child does: whoever runs first, the group exists
            except (PermissionError, ProcessLookupError):
                pass
            answers.write(json.dumps({"pid": pid}) + "\n")
        elif "reap" in request:
            _, status = os.waitpid(int(request["reap"]), 0)
            launched.discard(int(request["reap"]))
            answers.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        answers.flush()


def main(argv: list[str]) -> int:
    # requests on fd 0, answers on fd 1; stdout is then pointed at stderr so
    # that nothing a preloaded module prints can corrupt the protocol
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    _preload(json.loads(argv[0]) if argv else [])
    answers.write(json.dumps({"ready": os.getpid()}) + "\n")
    answers.flush()
    serve(sys.stdin, answers)
    return 0


class LauncherError(RuntimeError):
    pass


class Launcher:
    """The runner's handle on one launcher process."""

    def __init__(self, env: dict[str, str], preload: Sequence[str] = (), python: str = sys.executable) -> None:
        self.process = subprocess.Popen(
            [python, "-m", "bench.execute.launcher", json.dumps(list(preload))], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True)
        try:
            ready = self._answer()
        except (ValueError, LauncherError) as exc:  # ValueError: not JSON, something wrote to the pipe
            ready = {"error": str(exc)}
        if "ready" not in ready:
            self.close()
            raise LauncherError(f"launcher did not start: {ready}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise LauncherError("launcher exited")
        return json.loads(line)

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise LauncherError(f"launcher gone: {exc}") from exc
        return self._answer()

    def launch(self, args: Sequence[str], log: str, cpus: Sequence[int], env: dict[str, str]) -> int:
        answer = self._ask({"launch": {"args": list(args), "log": log, "cpus": list(cpus), "env": env}})
        if "pid" not in answer:
            raise LauncherError(str(answer.get("error", answer)))
        return int(answer["pid"])

    def wait(self, pid: int, timeout: float | None) -> int | None:
        """The case's exit code, or None when ``timeout`` passed first (the caller kills it, then waits again)."""
        fd = os.pidfd_open(pid)
        try:
            ready, _, _ = select.select([fd], [], [], timeout)
        finally:
            os.close(fd)
        if not ready:
            return None
        return int(self._ask({"reap": pid})["returncode"])

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
