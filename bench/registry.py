"""Name -> factory registries for workloads and strategies.

Built-ins are registered lazily by import path (joblib's trick) so that
`bench list` does not import dask just to print a name.  Third parties plug in
through the entry-point groups ``bench.workloads`` and ``bench.strategies``, or
at run time with ``--workload-module pkg.mod``.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

from bench.model import BOUNDS, BenchError, Strategy, Workload

BUILTIN_WORKLOADS: dict[str, str] = {
    "sleep": "workloads.sleep:WORKLOAD",
    "fib": "workloads.fib:WORKLOAD",
    "square": "workloads.square:WORKLOAD",
    "addweighted": "workloads.addweighted:WORKLOAD",
    "ocr": "workloads.ocr:WORKLOAD",
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
})

_workloads: dict[str, str | Callable[[], Any]] = dict(BUILTIN_WORKLOADS)
_strategies: dict[str, str | Callable[[], Any]] = dict(BUILTIN_STRATEGIES)
_entry_points_loaded = False


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


def register_workload(name: str, target: str | Callable[[], Workload]) -> None:
    _workloads[name] = target


def register_strategy(name: str, target: str | Callable[[], type]) -> None:
    _strategies[name] = target


def workload_names() -> list[str]:
    _load_entry_points()
    return list(_workloads)


def strategy_names() -> list[str]:
    _load_entry_points()
    return list(_strategies)


def _unknown(kind: str, name: str, known: list[str]) -> BenchError:
    return BenchError(f"unknown {kind} {name!r}; known: {', '.join(known)}")


def get_workload(name: str) -> Workload:
    if name not in _workloads:
        _load_entry_points()
    if name not in _workloads:
        raise _unknown("workload", name, workload_names())
    return check_workload(_resolve(_workloads[name]), f"workload {name!r}")


def check_workload(workload: Any, where: str) -> Workload:
    """A workload's name and bound, checked where it enters (its bound picks the ceiling it is judged by)."""
    if not isinstance(workload, Workload):
        raise BenchError(f"{where} does not follow the Workload protocol")
    name = workload.name
    if not isinstance(name, str) or not name.strip() or name != name.strip() or any(c in name for c in ",/[]="):
        raise BenchError(f"{where} has an unusable name {name!r} (non-empty, without spaces around or , / [ ] =)")
    if workload.bound not in BOUNDS:
        raise BenchError(f"{where} declares bound {workload.bound!r}; known: {', '.join(BOUNDS)}")
    return workload


def get_strategy(name: str) -> type[Strategy]:
    if name not in _strategies:
        _load_entry_points()
    if name not in _strategies:
        raise _unknown("strategy", name, strategy_names())
    return _resolve(_strategies[name])


def _plugin_exports(module_name: str, kind: str, many: str, one: str) -> list[object]:
    """Import a user module and return what it exposes as ``many`` (a sequence) and ``one``."""
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import failure is the user's input problem
        raise BenchError(f"cannot import {kind} module {module_name!r}: {type(exc).__name__}: {exc}") from None
    found = list(getattr(module, many, ()))
    if hasattr(module, one):
        found.append(getattr(module, one))
    if not found:
        raise BenchError(f"{kind} module {module_name!r} defines neither {many} nor {one}")
    return found


def import_workload_module(module_name: str) -> list[str]:
    """Register the workloads a user module exposes; return their names.

    The module exposes ``WORKLOADS`` (a sequence) or ``WORKLOAD`` (one object),
    each following the Workload protocol.
    """
    names = []
    for index, workload in enumerate(_plugin_exports(module_name, "workload", "WORKLOADS", "WORKLOAD")):
        check_workload(workload, f"{module_name}: workload #{index}")
        register_workload(workload.name, lambda found_workload=workload: found_workload)
        names.append(workload.name)
    return names


def import_strategy_module(module_name: str) -> list[str]:
    """Register the strategy classes a user module exposes (``STRATEGIES`` or ``STRATEGY``)."""
    names = []
    for cls in _plugin_exports(module_name, "strategy", "STRATEGIES", "STRATEGY"):
        name = getattr(cls, "name", "") if isinstance(cls, type) else ""
        if not (isinstance(name, str) and name.strip() and callable(getattr(cls, "map", None))):
            raise BenchError(f"{module_name}: {cls!r} is not a strategy class with a name and a map method")
        register_strategy(cls.name, lambda found_class=cls: found_class)
        names.append(cls.name)
    return names
