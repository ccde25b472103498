"""Shared state: n tasks each make k updates to a few shared counters, three ways of sharing.

The tutorials' ``multiprocessing.Manager`` example, against the alternatives a
user weighs (the sharing is the axis; run the three workloads side by side):

- ``shared-manager``: a Manager's server process holds a dict and a Lock; every
  update is four round trips to it through proxies (acquire, get, set, release).
  The server is a child of the case process, so its CPU is in the case's tree
  (``bench explain`` counts it as overhead: the serial reference pays the same
  round trips, but its work is only its own CPU).
- ``shared-memory``: the counters live in a shared-memory file (``/dev/shm``)
  that every worker maps, guarded by a lock on that file (``flock``).
  ``multiprocessing.Value`` and ``Lock`` travel only by inheritance (a pool's
  task queue refuses them: "should only be shared between processes through
  inheritance"), so a map over a pool cannot use them; a mapped file and a
  file lock are what they amount to, and travel as a path.
- ``shared-partials``: nothing shared; each task returns its own partial
  counters and ``reduce`` adds them up at the end (map-reduce).

The result checked against serial is the final state, exactly (integers): the
reduce step reads it and resets it for the next cycle, inside the timed cycle.
Update j of task i adds ``(31 i + j) % 7 + 1`` to counter ``(i + j) % slots``.
"""
from __future__ import annotations

import atexit
import fcntl
import mmap
import os
import pickle
import tempfile
import threading
from typing import Any, Callable, Sequence

from bench.model import Param, Params, WorkloadBase
from workloads._common import resolve

PARAMS = (
    Param("n", int, 8, 16, "number of tasks", minimum=1),
    # a Manager round trip is ~15-60 us here: 8 x 500 updates x 4 round trips ~0.25 s serial
    Param("k", int, 500, 5000, "updates each task makes to the shared state", minimum=1),
    Param("slots", int, 4, 4, "how many shared counters the updates are spread over", minimum=1),
)
WORD = 8  # bytes per counter in the shared-memory file (int64)


def updates(index: int, k: int, slots: int) -> Any:
    """The (slot, amount) of each of task ``index``'s k updates: the same in every mode."""
    return (((index + j) % slots, (31 * index + j) % 7 + 1) for j in range(k))


# ------------------------------------------------------------------ Manager proxies

class KeyedProxies:
    """The Manager's proxies with its authkey, for workers multiprocessing did not start.

    A proxy travels without the Manager's authkey and uses its process's own: the
    same in pool workers (inherited), another in MPI workers (started by mpiexec),
    whose connection was refused ("digest sent was rejected"). Unpickled, this
    gives the worker the key first, then rebuilds the proxies.
    """

    def __init__(self, authkey: bytes, proxies: tuple[Any, ...]) -> None:
        self.authkey, self.proxies = authkey, proxies

    def __reduce__(self) -> tuple[Any, ...]:
        return (_with_key, (self.authkey, pickle.dumps(self.proxies)))


def _with_key(authkey: bytes, payload: bytes) -> KeyedProxies:
    """In the worker: take the Manager's authkey where it differs, then unpickle (and connect) the proxies."""
    import multiprocessing

    process = multiprocessing.current_process()
    if bytes(process.authkey) != authkey:
        process.authkey = authkey
    return KeyedProxies(authkey, pickle.loads(payload))


def manager_task(task: tuple[int, int, int, KeyedProxies]) -> int:
    """k read-modify-writes of a Manager dict under a Manager Lock: four round trips each."""
    index, k, slots, shared = task
    state, lock = shared.proxies
    for slot, amount in updates(index, k, slots):
        with lock:
            state[slot] = state[slot] + amount
    return k


# ------------------------------------------------------------------ shared-memory file + file lock

class _Mapped(threading.local):
    """Per thread: an open file and its mapping per path (flock excludes per open file, so per thread)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[int, mmap.mmap, memoryview]] = {}


_mapped = _Mapped()


def _attach(path: str) -> tuple[int, memoryview]:
    """This thread's fd and int64 view of the shared file, opened once per thread and process.

    Keyed by pid too: a forked worker inherits its parent's fds, and an inherited fd is the same
    open file, whose flock the parent and every sibling would share (no exclusion at all).
    """
    key = f"{os.getpid()}:{path}"
    found = _mapped.files.get(key)
    if found is None:
        fd = os.open(path, os.O_RDWR)
        area = mmap.mmap(fd, 0)
        found = _mapped.files[key] = (fd, area, memoryview(area).cast("q"))
    return found[0], found[2]


def shm_task(task: tuple[int, int, int, str]) -> int:
    """k read-modify-writes of a counter in shared memory, each under the file lock."""
    index, k, slots, path = task
    fd, counters = _attach(path)
    for slot, amount in updates(index, k, slots):
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            counters[slot] += amount
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    return k


def _shared_file(slots: int) -> str:
    """A zeroed shared-memory file of ``slots`` counters, removed when this process exits."""
    folder = "/dev/shm" if os.path.isdir("/dev/shm") else None
    fd, path = tempfile.mkstemp(prefix="bench-shared-", dir=folder)
    os.write(fd, bytes(WORD * slots))
    os.close(fd)
    atexit.register(_remove_if_mine, path, os.getpid())
    return path


def _remove_if_mine(path: str, creator: int) -> None:
    """At exit of the process that made the file (not of a forked worker that inherited the hook)."""
    if os.getpid() == creator and os.path.exists(path):
        os.unlink(path)


# ------------------------------------------------------------------ per-task partials

def partial_task(task: tuple[int, int, int]) -> tuple[int, ...]:
    """k updates to local counters, returned whole: nothing is shared until the reduce."""
    index, k, slots = task
    counters = [0] * slots
    for slot, amount in updates(index, k, slots):
        counters[slot] += amount
    return tuple(counters)


class SharedStateWorkload(WorkloadBase):
    """n tasks x k updates of shared counters; ``sharing`` says how they are shared."""

    bound = "cpu"
    params = PARAMS

    def __init__(self, sharing: str, task: Callable[[Any], Any], summary: str) -> None:
        self.sharing, self.name, self.summary, self._task = sharing, f"shared-{sharing}", summary, task
        self._state: Any = None  # the shared state of the last make_tasks (manager dict or file path)

    @property
    def task(self) -> Callable[[Any], Any]:
        return self._task

    def make_tasks(self, params: Params) -> Sequence[Any]:
        v = resolve(self.params, params)
        n, k, slots = int(v["n"]), int(v["k"]), int(v["slots"])
        if self.sharing == "partials":
            return [(i, k, slots) for i in range(n)]
        if self.sharing == "memory":
            self._state = _shared_file(slots)
            return [(i, k, slots, self._state) for i in range(n)]
        self._manager = _manager()
        self._state = self._manager.dict({slot: 0 for slot in range(slots)})
        import multiprocessing

        shared = KeyedProxies(bytes(multiprocessing.current_process().authkey), (self._state, self._manager.Lock()))
        return [(i, k, slots, shared) for i in range(n)]

    def reduce(self, params: Params, results: list[Any]) -> list[Any]:
        """The final state, read and reset for the next cycle (the partials: summed)."""
        slots = int(resolve(self.params, params)["slots"])
        if self.sharing == "partials":
            return [tuple(sum(column) for column in zip(*results))] if results else [(0,) * slots]
        if self.sharing == "memory":
            _, counters = _attach(self._state)
            final = tuple(counters.tolist())
            counters[:] = memoryview(bytes(WORD * slots)).cast("q")
            return [final]
        final = tuple(self._state[slot] for slot in range(slots))
        self._state.update({slot: 0 for slot in range(slots)})
        return [final]

    def summarize(self, params: Params, results: Sequence[Any]) -> dict[str, float]:
        v = resolve(self.params, params)
        return {"updates": float(int(v["n"]) * int(v["k"]))}


def _manager() -> Any:
    """A started Manager; its server process is a child of this (the case) process, shut down at exit."""
    import multiprocessing

    return multiprocessing.Manager()


MANAGER = SharedStateWorkload("manager", manager_task, "n tasks x k updates of shared counters through "
                              "Manager proxies (a dict + a Lock in the Manager's server process)")
SHARED_MEMORY = SharedStateWorkload("memory", shm_task, "n tasks x k updates of counters in shared memory "
                                    "(a /dev/shm file every worker maps) under a file lock")
PARTIALS = SharedStateWorkload("partials", partial_task, "n tasks x k updates of their own partial counters, "
                               "summed at the end (map-reduce: nothing shared)")
WORKLOADS = (MANAGER, SHARED_MEMORY, PARTIALS)
