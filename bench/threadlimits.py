"""Nested thread pools (BLAS, OpenMP): what a case asked for and what it really got.

The runner sets the limits through the environment (runner.BLAS_LIMITS and the
workload's parallel_env) unless ``bench run --no-thread-limits``; inside the
case process, after the workload's and strategy's imports, threadpoolctl
reports the pools the loaded libraries actually run with.  The summary goes
into the case metadata, so a table shows whether a limit took effect.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping


def summarize(pools: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """threadpoolctl.threadpool_info() -> flat metadata.

    ``threadpools``: "openblas=1,openmp=1" (internal API = threads), or "none
    loaded" when no BLAS/OpenMP library was imported; ``threads_blas`` and
    ``threads_openmp``: the largest pool of each kind, when one is loaded.
    """
    pools = list(pools)
    found: dict[str, Any] = {"threadpools": ",".join(
        f"{p.get('internal_api', '?')}={p.get('num_threads', '?')}" for p in pools) or "none loaded"}
    for api in ("blas", "openmp"):
        sizes = [int(p["num_threads"]) for p in pools if p.get("user_api") == api and "num_threads" in p]
        if sizes:
            found[f"threads_{api}"] = max(sizes)
    return found


def threadpool_metadata() -> dict[str, Any]:
    """The effective pools of the libraries loaded in this process right now."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # a dependency, but an interpreter set up by hand may lack it
        return {"threadpools": "unknown (threadpoolctl not installed)"}
    return summarize(threadpool_info())
