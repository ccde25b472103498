"""Shared plumbing for strategies: options, chunk sizes, start-method contexts."""
from __future__ import annotations

import multiprocessing
import pickle
from multiprocessing.context import BaseContext
from typing import Any, Callable, ClassVar, Sequence

from bench.model import StrategyOptions


def pool_chunksize(n_tasks: int, workers: int) -> int:
    """multiprocessing.Pool.map's own heuristic (about four chunks per worker).

    Every chunked strategy uses it, so they differ by mechanism and not by a
    default chunk size (ProcessPoolExecutor.map defaults to 1, a known trap).
    """
    chunks, extra = divmod(n_tasks, workers * 4)
    return max(1, chunks + (1 if extra else 0))


#: how a strategy hands its tasks to workers (``StrategyBase.dispatch_rule``):
#: "task" one per submission, "pool-chunks" runs of :func:`pool_chunksize`,
#: "partitions" dask.bag's about four partitions per worker, "adaptive" decided at run time
DISPATCH_RULES = ("task", "pool-chunks", "partitions", "adaptive")


def bag_partitions(n_tasks: int, workers: int) -> int:
    """dask.bag's partition count: about four per worker, never more than tasks, at least one."""
    return max(1, min(n_tasks, 4 * workers))


def dispatch_sizes(rule: str, n_tasks: int, workers: int) -> list[int] | None:
    """Chunk sizes in dispatch order for ``rule``; None when the size is decided at run time.

    One copy of each strategy's rule, so the task-size bound (``bench.analysis.taskbound``) schedules
    exactly the chunks the strategy sends.
    """
    if n_tasks < 1:
        return []
    size = {"task": 1, "pool-chunks": pool_chunksize(n_tasks, max(1, workers)),
            "partitions": -(-n_tasks // bag_partitions(n_tasks, workers))}.get(rule)
    if size is None:
        return None
    return [min(size, n_tasks - start) for start in range(0, n_tasks, size)]


def mp_context(start_method: str | None) -> BaseContext:
    return multiprocessing.get_context(start_method)


def effective_start_method(start_method: str | None) -> str:
    """The method a None (platform default) really means here, for the record."""
    return start_method or multiprocessing.get_start_method(allow_none=True) or \
        multiprocessing.get_context().get_start_method()


class NotPicklable(TypeError):
    """A task function, task or result cannot cross to or from a worker process; the message says what to do."""


#: the advice every picklability message ends with
THREADS_ADVICE = "or use a thread strategy (threads, dask-threads)"


def _dumps_for(pickler: str) -> Callable[[Any], Any]:
    """The serialiser a strategy really uses: stdlib pickle, or cloudpickle (loky, dask), which takes lambdas."""
    if pickler == "cloudpickle":
        try:
            import cloudpickle
        except ImportError:
            from joblib.externals import cloudpickle
        return cloudpickle.dumps
    return lambda obj: pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def pickle_problem(obj: Any, dumps: Callable[[Any], Any]) -> str | None:
    """None when ``obj`` pickles; else the error as one line ("PicklingError: Can't pickle ...")."""
    try:
        dumps(obj)
    except Exception as exc:  # PicklingError, TypeError, AttributeError: all mean "cannot travel"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


class StrategyBase:
    """Default capability flags and a no-op lifecycle."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    uses_processes: ClassVar[bool] = False
    needs_pickle: ClassVar[bool] = False
    #: extras and engines that are not installed say why here
    requires: ClassVar[tuple[str, ...]] = ()
    #: modules the case launcher imports once for every case ("mod" or "mod:function")
    preload: ClassVar[tuple[str, ...]] = ()
    #: how tasks reach workers, one of DISPATCH_RULES (see :func:`dispatch_sizes`)
    dispatch_rule: ClassVar[str] = "task"
    #: how tasks travel when needs_pickle: "pickle" (multiprocessing) or "cloudpickle" (loky, dask, ray)
    pickler: ClassVar[str] = "pickle"

    def __init__(self, options: StrategyOptions) -> None:
        self.options = options
        self.workers = options.workers

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """None when usable; else why not (a module that does not import)."""
        import importlib.util

        for module in cls.requires:
            if importlib.util.find_spec(module) is None:
                return f"needs the {module!r} package (pip install 'scaling-bench[extras]')"
        return None

    def start(self) -> None:
        """Create the pool; warm mode calls it before the timed region."""

    def pickles(self) -> bool:
        """Whether this instance really sends tasks to other processes (joblib with one worker does not)."""
        return self.needs_pickle

    def check_picklable(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> None:
        """On the first map only (a warm-up): raise NotPicklable now, with what to do.

        Otherwise an unpicklable task is dropped by a queue's feeder thread or
        hangs an executor's shutdown, and the case "times out" two minutes later.
        """
        if getattr(self, "_pickle_checked", False) or not self.pickles():
            return
        self._pickle_checked = True
        dumps = _dumps_for(self.pickler)
        problem = pickle_problem(fn, dumps)
        if problem:
            name = getattr(fn, "__qualname__", repr(fn))
            raise NotPicklable(f"task function {name} cannot be pickled, which strategy {self.name} needs "
                               f"({problem}): define the task at module level, {THREADS_ADVICE}")
        for index, task in enumerate(tasks):
            problem = pickle_problem(task, dumps)
            if problem:
                raise NotPicklable(f"task {index} cannot be pickled, which strategy {self.name} needs ({problem}): "
                                   f"make tasks plain data (no locks, open files or lambdas), {THREADS_ADVICE}")

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        raise NotImplementedError

    def close(self) -> None:
        """Shut the pool down and reap every worker."""

    @classmethod
    def dispatch(cls, n_tasks: int, workers: int) -> list[int] | None:
        """Chunk sizes in dispatch order (None: decided at run time, like joblib's "auto")."""
        return dispatch_sizes(cls.dispatch_rule, n_tasks, workers)

    @classmethod
    def honours_start_method(cls, scheduler: str | None = None) -> bool:
        """Whether the --start-methods axis applies (engines with their own, like loky, say no)."""
        return cls.uses_processes

    def describe(self) -> dict[str, Any]:
        """Settings worth recording in the case's metadata."""
        return {"start_method": effective_start_method(self.options.start_method)} if self.uses_processes else {}
