"""scaling-bench: how does your Python code scale across cores?

The public Python API (pyperf's convention: a small API re-exported here, the
modules behind it private)::

    import bench
    results = bench.run(work, inputs, strategies="threads,pool-map", cores=[1, 2])
    results.verdict()            # which strategy, how many workers, what speed-up
    results.table()              # the tidy table (pandas)
    results.report("run.html")   # the HTML report
    results.save("run.json"); bench.load("run.json").compare(results)

``bench run`` and ``bench ab`` themselves, without argparse and in this process:
``bench.run_matrix(bench.RunRequest(...))`` and ``bench.run_ab(bench.ABRequest(...))``
(the request's fields are the commands' options, with the same defaults).

Names are loaded on first use, so ``import bench`` stays cheap for the case
processes, which import this package too.
"""
from __future__ import annotations

from typing import Any

__all__ = ["run", "load", "Results", "BenchError", "BOUNDS", "MODES", "RunRequest", "run_matrix", "ABRequest",
           "run_ab", "Side"]

_WHERE = {"run": "bench.api", "load": "bench.api", "Results": "bench.api",
          "BenchError": "bench.model", "BOUNDS": "bench.model", "MODES": "bench.model",
          "RunRequest": "bench.execute.session", "run_matrix": "bench.execute.session",
          "ABRequest": "bench.execute.ab_session", "run_ab": "bench.execute.ab_session", "Side": "bench.execute.ab"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'bench' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_WHERE[name]), name)


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
