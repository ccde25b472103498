"""``fib``: naive recursive Fibonacci, the textbook CPU-bound task.

Pure-Python recursion holds the GIL the whole time, so threads cannot
speed it up (on a GIL build) while processes should scale with cores.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from bench.model import Param, Params, WorkloadBase
from workloads._common import resolve

PARAMS = (
    Param("n", int, 8, 16, "number of tasks (each computes fib(k))", minimum=1),
    # fib(25) takes ~20-35 ms on a slow, shared 2-core VM: 8 tasks ~0.17-0.28 s serial
    # (each +1 on k costs x1.6); 8 splits evenly over 1, 2, 4 and 8 workers.
    Param("k", int, 25, 27, "argument of the naive recursive fib computed by each task",
          minimum=0),
)


def fib(k: int) -> int:
    """Exponential-time Fibonacci on purpose: the cost is the point."""
    return k if k < 2 else fib(k - 1) + fib(k - 2)


def fib_task(k: int) -> int:
    """One task: ``fib(k)``."""
    return fib(k)


class FibWorkload(WorkloadBase):
    """n equal tasks of naive recursive Fibonacci."""

    name = "fib"
    summary = "n tasks of naive recursive fib(k) in pure Python (cpu; holds the GIL)"
    bound = "cpu"
    task_count_param = "n"  # grown with the run's largest core count (README, "Task counts")
    params = PARAMS

    @property
    def task(self) -> Callable[[Any], Any]:
        return fib_task

    def make_tasks(self, params: Params) -> Sequence[int]:
        values = resolve(self.params, params)
        return [values["k"]] * values["n"]


WORKLOAD = FibWorkload()
