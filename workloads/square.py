"""``square``: thousands of tiny tasks, a probe of per-task overhead.

Each task is a single multiplication, so any parallel strategy mostly
measures its own dispatch, pickling and result collection; losing to serial
is the honest, expected outcome and the interesting number is by how much.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from bench.model import Param, Params, WorkloadBase
from workloads._common import resolve

PARAMS = (
    # Kept at the low end of useful: task-per-item strategies (dask, one
    # future per task) pay ~0.1-0.5 ms each, and the quick matrix must stay short.
    Param("n", int, 2000, 100000, "number of tiny tasks (each squares one int)", minimum=1),
)


def square_task(x: int) -> int:
    """One task: ``x * x``."""
    return x * x


class SquareWorkload(WorkloadBase):
    """Many tiny tasks; measures per-task overhead, not compute."""

    name = "square"
    summary = "n tiny tasks x*x (cpu, but measures per-task overhead: parallel should lose)"
    bound = "cpu"
    task_count_param = "n"  # grown with the run's largest core count (README, "Task counts")
    params = PARAMS

    @property
    def task(self) -> Callable[[Any], Any]:
        return square_task

    def make_tasks(self, params: Params) -> Sequence[int]:
        values = resolve(self.params, params)
        return list(range(values["n"]))


WORKLOAD = SquareWorkload()
