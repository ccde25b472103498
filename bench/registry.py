"""Name -> factory registries for workloads and strategies.

Built-ins are registered lazily by import path (joblib's trick) so that
`bench list` does not import dask just to print a name.  Third parties plug in
through the entry-point groups ``bench.workloads`` and ``bench.strategies``, or
at run time with ``--workload-module pkg.mod``.

The plugin contract (README, "Writing a workload"): a workload or strategy is
any object of the right shape, base classes optional.  What it omits of the
optional members is filled in from ``WorkloadBase`` / ``StrategyBase``; what it
omits of the required ones is refused at registration, in one line naming them.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable, TypeVar

from bench import function_workload
from bench.model import BOUNDS, BenchError, CompleteStrategy, Workload, WorkloadBase

T = TypeVar("T")

BUILTIN_WORKLOADS: dict[str, str] = {
    "sleep": "workloads.sleep:WORKLOAD",
    "fib": "workloads.fib:WORKLOAD",
    "square": "workloads.square:WORKLOAD",
    "addweighted": "workloads.addweighted:WORKLOAD",
    "ocr": "workloads.ocr:WORKLOAD",
}

#: built-in workloads that run only when named with --workloads (issue 31: the quick matrix, which
#: `make bench` runs in a time budget, keeps its five; `bench list` shows them all)
OPT_IN_WORKLOADS: dict[str, str] = {
    "dask-array": "workloads.dask_array:WORKLOAD",
    "shared-manager": "workloads.shared_state:MANAGER",
    "shared-memory": "workloads.shared_state:SHARED_MEMORY",
    "shared-partials": "workloads.shared_state:PARTIALS",
    "wordcount": "workloads.wordcount:WORKLOAD",
    "wordcount-ocr": "workloads.wordcount:OCR_WORKLOAD",
}

BUILTIN_STRATEGIES: dict[str, str] = {
    "serial": "bench.strategies.serial:Serial",
    "threads": "bench.strategies.threads:Threads",
    "processes": "bench.strategies.processes:Processes",
    "pool-map": "bench.strategies.pool:PoolMap",
    "pool-async": "bench.strategies.pool:PoolAsync",
    "process-pool": "bench.strategies.futures:ProcessPool",
    "joblib": "bench.strategies.joblib_backend:Joblib",
    "dask-threads": "bench.strategies.dask_local:DaskThreads",
    "dask-processes": "bench.strategies.dask_local:DaskProcesses",
}

#: strategies in the default matrix (the others join when named with --strategies)
DEFAULT_STRATEGIES: tuple[str, ...] = tuple(BUILTIN_STRATEGIES)

BUILTIN_STRATEGIES.update({
    "pool-map-async": "bench.strategies.pool:PoolMapAsync",
    "joblib-threads": "bench.strategies.joblib_backend:JoblibThreads",
    "joblib-auto": "bench.strategies.joblib_backend:JoblibAuto",
    # issue 6: scale out, and the optional engines (skipped with a reason when not installed)
    "dask-distributed": "bench.strategies.dask_distributed:DaskDistributed",
    "loky": "bench.strategies.loky_direct:Loky",
    "mpire": "bench.strategies.mpire_pool:Mpire",
    "ray": "bench.strategies.ray_local:Ray",
    "interpreters": "bench.strategies.interpreters:Interpreters",
    # issue 31: the seeds' remaining systems
    "dask-delayed-threads": "bench.strategies.dask_delayed:DelayedThreads",
    "dask-delayed-processes": "bench.strategies.dask_delayed:DelayedProcesses",
    "mpi": "bench.strategies.mpi:MPIPool",
})

_workloads: dict[str, str | Callable[[], Any]] = {**BUILTIN_WORKLOADS, **OPT_IN_WORKLOADS}
_strategies: dict[str, str | Callable[[], Any]] = dict(BUILTIN_STRATEGIES)
_entry_points_loaded = False


#: what a workload must define itself; everything else has a default (WorkloadBase's)
REQUIRED_WORKLOAD = ("name", "bound", "task", "make_tasks")
OPTIONAL_WORKLOAD = ("summary", "params", "parallel_env", "preload", "unavailable_reason", "summarize",
                     "ideal_seconds", "reduce")
#: what a strategy class must define itself; the rest comes from StrategyBase
REQUIRED_STRATEGY = ("name", "map")
OPTIONAL_STRATEGY = ("summary", "uses_processes", "needs_pickle", "requires", "preload", "start", "close",
                     "describe", "unavailable_reason", "honours_start_method", "dispatch")
_WORKLOAD_DEFAULTS = WorkloadBase()


def _missing(obj: Any, members: tuple[str, ...]) -> list[str]:
    return [member for member in members if getattr(obj, member, None) in (None, "")]


class CompletedWorkload:
    """A plugin workload that omits optional members, with WorkloadBase's defaults for them."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, attr: str) -> Any:
        try:
            return getattr(self._inner, attr)
        except AttributeError:
            return getattr(_WORKLOAD_DEFAULTS, attr)


def checked_workload(workload: Any, where: str) -> Workload:
    """The workload, completed with defaults; BenchError naming what is missing or a bad bound."""
    missing = _missing(workload, REQUIRED_WORKLOAD)
    label = getattr(workload, "name", None) or type(workload).__name__
    if missing:
        raise BenchError(f"{where}: workload {label!r} is missing {', '.join(missing)} (required: "
                         f"{', '.join(REQUIRED_WORKLOAD)})")
    name = workload.name
    if not isinstance(name, str) or not name.strip() or name != name.strip() or any(c in name for c in ",/[]="):
        raise BenchError(f"{where} has an unusable name {name!r} (non-empty, without spaces around or , / [ ] =)")
    if workload.bound not in BOUNDS:
        raise BenchError(f"{where}: workload {label!r} declares bound {workload.bound!r}; known: {', '.join(BOUNDS)}")
    if all(hasattr(workload, member) for member in OPTIONAL_WORKLOAD):
        return workload
    return CompletedWorkload(workload)


def checked_strategy(cls: Any, where: str) -> type[CompleteStrategy]:
    """The strategy class, with StrategyBase's defaults under what it omits; BenchError if unusable."""
    if not isinstance(cls, type):
        raise BenchError(f"{where}: {cls!r} is not a strategy class")
    missing = _missing(cls, REQUIRED_STRATEGY)
    if missing:
        raise BenchError(f"{where}: strategy {getattr(cls, 'name', '') or cls.__name__!r} is missing "
                         f"{', '.join(missing)} (required: {', '.join(REQUIRED_STRATEGY)})")
    if all(hasattr(cls, member) for member in OPTIONAL_STRATEGY):
        return cls
    from bench.strategies.base import StrategyBase

    plugin: type[Any] = cls  # a class of any shape: its own __init__ takes the options
    own_init = plugin.__init__

    def __init__(self: Any, options: Any) -> None:  # StrategyBase's members rely on these two
        self.options, self.workers = options, options.workers
        if own_init is not object.__init__:
            own_init(self, options)

    # cls first: its own members win, StrategyBase only fills the gaps
    return type(cls.__name__, (cls, StrategyBase), {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
                                                    "__init__": __init__})


def _resolve(target: str | Callable[[], Any]) -> Any:
    if callable(target):
        return target()
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib import metadata as importlib_metadata  # slow import: only when needed

    for group, table in (("bench.workloads", _workloads), ("bench.strategies", _strategies)):
        for entry in importlib_metadata.entry_points(group=group):
            table.setdefault(entry.name, entry.value.replace(" ", ""))


def _returning(value: T) -> Callable[[], T]:
    """A factory for an object already in hand: the registries hold factories and import paths."""
    return lambda: value


def register_workload(name: str, target: str | Callable[[], Workload] | Workload) -> None:
    """Register an import path, a factory, or a workload object (checked now)."""
    if not isinstance(target, (str, type)) and not inspect.isroutine(target):  # the workload object itself
        target = _returning(checked_workload(target, f"workload {name!r}"))
    _workloads[name] = target


def register_strategy(name: str, target: str | Callable[[], type]) -> None:
    """Register an import path, a factory, or a strategy class (checked now)."""
    if isinstance(target, type):
        target = _returning(checked_strategy(target, f"strategy {name!r}"))
    _strategies[name] = target


def workload_names(everything: bool = False) -> list[str]:
    """The workloads of the default matrix (all but the opt-in built-ins); ``everything``: every registered one."""
    _load_entry_points()
    return [name for name in _workloads if everything or name not in OPT_IN_WORKLOADS]


def strategy_names() -> list[str]:
    _load_entry_points()
    return list(_strategies)


def _unknown(kind: str, name: str, known: list[str]) -> BenchError:
    return BenchError(f"unknown {kind} {name!r}; known: {', '.join(known)}")


def get_workload(name: str) -> Workload:
    if name not in _workloads:
        _load_entry_points()
    if name not in _workloads:
        raise _unknown("workload", name, workload_names(everything=True))
    return checked_workload(_resolve(_workloads[name]), f"workload {name!r}")


def get_strategy(name: str) -> type[CompleteStrategy]:
    if name not in _strategies:
        _load_entry_points()
    if name not in _strategies:
        raise _unknown("strategy", name, strategy_names())
    return checked_strategy(_resolve(_strategies[name]), f"strategy {name!r}")


def _plugin_exports(module_name: str, kind: str, many: str, one: str) -> list[object]:
    """Import a user module and return what it exposes as ``many`` (a sequence) and ``one``."""
    function_workload.cwd_on_path()  # as `python -m` does; the installed `bench` script does not
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import failure is the user's input problem
        raise BenchError(f"cannot import {kind} module {module_name!r}: {type(exc).__name__}: {exc} "
                         f"({function_workload.where_looked()})") from None
    found = list(getattr(module, many, ()))
    if hasattr(module, one):
        found.append(getattr(module, one))
    if not found:
        raise BenchError(f"{kind} module {module_name!r} defines neither {many} nor {one}")
    return found


def import_workload_module(module_name: str) -> list[str]:
    """Register the workloads a user module exposes; return their names.

    The module exposes ``WORKLOADS`` (a sequence) or ``WORKLOAD`` (one object),
    each following the Workload protocol.  A ``bench-function:`` entry instead
    describes a plain function and its inputs (``bench.function_workload``).
    """
    found: list[object]
    if function_workload.is_entry(module_name):
        found = [function_workload.load_entry(module_name)]
    else:
        found = _plugin_exports(module_name, "workload", "WORKLOADS", "WORKLOAD")
    workloads = [checked_workload(workload, module_name) for workload in found]  # all checked before any registers
    for workload in workloads:
        register_workload(workload.name, _returning(workload))
    return [workload.name for workload in workloads]


def import_strategy_module(module_name: str) -> list[str]:
    """Register the strategy classes a user module exposes (``STRATEGIES`` or ``STRATEGY``)."""
    classes = [checked_strategy(cls, module_name)
               for cls in _plugin_exports(module_name, "strategy", "STRATEGIES", "STRATEGY")]
    for cls in classes:
        register_strategy(cls.name, _returning(cls))
    return [cls.name for cls in classes]
