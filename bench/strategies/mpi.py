"""MPI through ``mpi4py.futures.MPIPoolExecutor``: the concurrent.futures interface over MPI processes.

An extra (``make extras`` installs ``mpi4py`` and the ``mpich`` wheel from
PyPI: no system MPI needed).  The case process becomes an MPI singleton and
spawns ``workers`` MPI processes (``MPI_Comm_spawn``) through MPICH's process
manager, ``mpiexec`` from the same environment, which must be on PATH (without
it the spawn hangs instead of failing: the strategy puts the interpreter's own
bin folder first, and says it is unavailable when no ``mpiexec`` is found).
The workers inherit the case's CPU affinity and pin themselves to it again in
their initializer, so "cores=2" still means two CPUs.  ``map`` sends tasks in
chunks of Pool.map's size (``chunksize``), like every chunked strategy here.
``close`` shuts the executor down and waits: the workers disconnect and exit,
then mpiexec; cold mode starts and stops them inside the cycle.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Any, Callable, ClassVar, Sequence

from bench.strategies.base import StrategyBase, pool_chunksize


def _bin_folder() -> str:
    """This interpreter's bin folder, where the mpich wheel installs mpiexec."""
    return os.path.dirname(sys.executable)


def _path_with_bin() -> str:
    path = os.environ.get("PATH", "")
    return path if _bin_folder() in path.split(os.pathsep) else os.pathsep.join([_bin_folder(), path])


def _children() -> dict[int, Any]:
    """This process's descendants by pid (mpiexec, its proxy, the MPI workers)."""
    import psutil

    return {child.pid: child for child in psutil.Process().children(recursive=True)}


def _is_worker(process: Any) -> bool:
    """An MPI worker, not MPICH's process manager (mpiexec, hydra_pmi_proxy), which serves the singleton
    for as long as MPI lives in this process: killing it crashes the next spawn."""
    try:
        return "mpi4py.futures.server" in " ".join(process.cmdline())
    except Exception:  # gone already
        return False


def _running(process: Any) -> bool:
    """Still running: a zombie has exited (mpiexec's proxy, its parent, reaps it in its own time)."""
    try:
        return bool(process.is_running() and process.status() != "zombie")
    except Exception:  # psutil.NoSuchProcess: gone
        return False


def _reap(processes: list[Any], timeout: float = 10.0) -> None:
    """Wait for the workers to exit after a shutdown (~0.25 s here); kill any left after ``timeout``."""
    deadline = time.monotonic() + timeout
    while any(_running(p) for p in processes) and time.monotonic() < deadline:
        time.sleep(0.02)
    for process in processes:
        if _running(process):
            try:
                process.kill()
            except Exception:  # exited meanwhile
                pass


def pin_worker(cores: Sequence[int]) -> None:
    """Runs in each MPI worker as it starts: the case's cores, whatever the process manager did."""
    if cores:
        os.sched_setaffinity(0, cores)


class MPIPool(StrategyBase):
    name = "mpi"
    summary = "mpi4py.futures.MPIPoolExecutor(max_workers=w).map, MPI processes spawned by mpiexec (extra)"
    uses_processes = True
    needs_pickle = True
    requires: ClassVar[tuple[str, ...]] = ("mpi4py",)
    dispatch_rule = "pool-chunks"

    @classmethod
    def unavailable_reason(cls) -> str | None:
        missing = super().unavailable_reason()
        if missing is None and shutil.which("mpiexec", path=_path_with_bin()) is None:
            return "mpi4py is installed but no mpiexec was found (pip install mpich, or `make extras`)"
        return missing

    @classmethod
    def honours_start_method(cls, scheduler: str | None = None) -> bool:
        return False  # mpiexec starts the workers, not multiprocessing

    def start(self) -> None:
        os.environ["PATH"] = _path_with_bin()
        from mpi4py.futures import MPIPoolExecutor

        self._before = _children()
        # main=False: the workers do not import the case process's __main__ (tasks travel by name)
        # and see this process's sys.path, so a task function importable here is importable there
        self._pool: Any = MPIPoolExecutor(max_workers=self.workers, main=False, path=list(sys.path),
                                          initializer=pin_worker, initargs=(tuple(self.options.cores),))
        try:
            self._pool.bootup(wait=True)  # the workers are spawned and connected now, not at the first map
        except BaseException:
            self.close()
            raise

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        self.check_picklable(fn, tasks)
        return list(self._pool.map(fn, tasks, chunksize=pool_chunksize(len(tasks), self.workers)))

    def close(self) -> None:
        """Shut the executor down, then wait for mpiexec and its workers to exit (killed after 10 s)."""
        pool = getattr(self, "_pool", None)
        if pool is None:
            return
        self._pool = None
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        finally:
            _reap([child for pid, child in _children().items() if pid not in self._before and _is_worker(child)])

    def describe(self) -> dict[str, Any]:
        from mpi4py import MPI

        return {"mpi_library": MPI.Get_library_version().splitlines()[0].strip()}
