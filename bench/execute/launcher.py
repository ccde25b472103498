"""A preloaded fork server for case processes (multiprocessing's forkserver-with-preload idea): the client.

The server is ``bench.entrypoints.launcher``; this module starts it and speaks its protocol.

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

import json
import os
import select
import subprocess
import sys
from typing import Any, Sequence

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


class LauncherError(RuntimeError):
    pass


class Launcher:
    """The runner's handle on one launcher process."""

    def __init__(self, env: dict[str, str], preload: Sequence[str] = (), python: str = sys.executable) -> None:
        self.process = subprocess.Popen(
            [python, "-m", "bench.entrypoints.launcher", json.dumps(list(preload))], env=env,
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
