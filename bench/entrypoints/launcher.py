"""The launcher process: a preloaded fork server for case processes (protocol: bench.execute.launcher).

It imports bench, numpy, dask ... once and forks one child per case; nothing
measured runs here.  Started as ``python -m bench.entrypoints.launcher PRELOAD_JSON``.
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import traceback
from typing import IO, Any, Sequence

from bench.execute.killing import kill_group

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
    case_process.exit_as_worker(code)


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
        if os.getpid() == me:  # a child that failed before measuring unwinds here too: not its job
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
