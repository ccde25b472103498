"""Purpose-built bad workloads and strategies for the fault tests.

Each fault fires only inside a worker (another process or thread), so the
serial baseline succeeds and the parallel case is the one that misbehaves.
"""
from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import threading
import time

from bench.model import Param, WorkloadBase
from bench.strategies.threads import Threads


def in_worker() -> bool:
    return multiprocessing.parent_process() is not None or threading.current_thread() is not threading.main_thread()


def _spawn_escaped_orphan() -> None:
    """A grandchild in its own session, double-forked: it escapes the case's process group."""
    code = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(600)\n"
    subprocess.Popen([sys.executable, "-c", code], start_new_session=True).wait()


def faulty_task(task: tuple[int, str]) -> int:
    index, fault = task
    if fault == "always":  # serial too: no case of the workload can succeed
        raise ValueError(f"always fails (task {index})")
    if fault == "linger":  # serial too: a non-daemon thread keeps the process from exiting
        threading.Thread(target=time.sleep, args=(600,), name="lingering").start()
    if fault == "random":  # serial too: every cycle gives other results
        return index * index + random.randrange(1_000_000)
    if fault == "lambda":  # serial too: a result that cannot be fingerprinted
        return lambda: index  # type: ignore[return-value]  # the fault: a result that is a function
    if in_worker() and index == 1:
        if fault == "raise":
            raise ValueError(f"boom in task {index}")
        if fault == "exit":
            os._exit(7)
        if fault == "kill":  # what the kernel's OOM killer does
            os.kill(os.getpid(), signal.SIGKILL)
        if fault == "hang":
            time.sleep(3600)
        if fault == "wrong":
            return -index
        if fault == "unpicklable":  # a result only a worker makes, that cannot travel back
            return lambda: index  # type: ignore[return-value]  # the fault: a result that is a function
        if fault == "memory":
            bytearray(1 << 44)  # 16 TiB: MemoryError, as from a capped worker
        if fault == "orphan":
            _spawn_escaped_orphan()
    return index * index


class Faulty(WorkloadBase):
    name = "faulty"
    summary = "tasks that misbehave in workers on demand"
    bound = "cpu"
    params = (Param("fault", str, "none", "none",
                    "none|raise|exit|kill|hang|wrong|memory|orphan|always|unpicklable|lock|linger|lambda"),
              Param("n", int, 4, 4, "tasks", minimum=1))
    task = staticmethod(faulty_task)

    def make_tasks(self, params):
        if params["fault"] == "lock":  # a task argument no process strategy can send
            return [(i, threading.Lock()) for i in range(params["n"])]
        return [(i, params["fault"]) for i in range(params["n"])]


class LambdaTask(Faulty):
    """A task function that is a lambda: fine in threads, not picklable for processes."""

    name = "lambdatask"
    summary = "a lambda as the task function"
    params = (Param("n", int, 4, 4, "tasks", minimum=1),)
    task = staticmethod(lambda task: task * task)

    def make_tasks(self, params):
        return list(range(params["n"]))


WORKLOAD = Faulty()
WORKLOADS = [LambdaTask()]


class Reversing(Threads):
    """A strategy that lies: right values, wrong order."""

    name = "reversing"
    summary = "returns results in reverse order"

    def map(self, fn, tasks):
        return list(reversed(super().map(fn, tasks)))


class Dropping(Threads):
    name = "dropping"
    summary = "loses the last result"

    def map(self, fn, tasks):
        return super().map(fn, tasks)[:-1]


STRATEGIES = [Reversing, Dropping]
