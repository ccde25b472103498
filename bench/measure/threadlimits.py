"""Nested thread pools (BLAS, OpenMP): what a case asked for and what it really got.

The runner sets the limits through the environment (SINGLE_THREAD and the
workload's parallel_env) unless ``bench run --no-thread-limits``; inside the
case process, after the workload's and strategy's imports, threadpoolctl
reports the pools the loaded libraries actually run with.  The summary goes
into the case metadata, so a table shows whether a limit took effect.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

#: the variables that cap nested thread pools: 1 in every case (and in the calibration), so that a
#: numpy call cannot spawn threads behind the strategy's back (nested oversubscription)
LIMIT_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
SINGLE_THREAD: dict[str, str] = {name: "1" for name in LIMIT_VARS}
#: recorded in each case's metadata: the limits, and OpenMP's overall cap that a user may set
RECORDED_VARS = (*LIMIT_VARS, "OMP_THREAD_LIMIT")


def describe_pools(pools: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
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
    return describe_pools(threadpool_info())
