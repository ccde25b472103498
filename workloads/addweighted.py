"""``addweighted``: blend image pairs like OpenCV's ``cv2.addWeighted``.

``out = saturate(a * alpha + b * beta + gamma)`` over uint8 RGB images, done
with a few full-array numpy passes, so the time goes to moving memory rather
than to arithmetic: a memory-bandwidth-bound workload.

Design choice: a task carries only ``(index, size, alpha, beta, gamma)`` and
generates its two input images inside the task.  Carrying the arrays would
make every process strategy pickle ~2 * size*size*3 bytes per task on the way
in, which would measure IPC rather than blending, and would make the task
list itself heavy.  Generation is a single broadcast uint8 add per image
(two passes over 1 byte/pixel) against the blend's float32 passes (six passes
over 4 bytes/pixel), so it stays a small part (~10-20%) of each task.
The blended array still travels back, because results must be comparable.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from bench.model import Param, Params, WorkloadBase
from workloads._common import resolve

PARAMS = (
    # A 1024 px pair takes ~15-25 ms here (12 MB float32 accumulator: far out of
    # cache, so memory bound); 12 pairs ~0.2 s serial and split over 1-4 workers.
    Param("count", int, 8, 32, "number of image pairs to blend (one task each)", minimum=1),
    Param("size", int, 512, 1536, "side of the square RGB images, in pixels", minimum=1),
    # alpha + beta > 1 and gamma > 0 so that the saturating clip really happens.
    Param("alpha", float, 0.7, 0.7, "weight of the first image"),
    Param("beta", float, 0.5, 0.5, "weight of the second image"),
    Param("gamma", float, 8.0, 8.0, "scalar added to every blended value"),
)

AddWeightedTask = tuple[int, int, float, float, float]


def _pattern(size: int, index: int, kx: int, ky: int) -> np.ndarray:
    """A deterministic RGB gradient image of shape (size, size, 3), uint8.

    Only 1-D arrays are computed in int64.  The full image is a single
    broadcast uint8 add of a column vector and one interleaved RGB row (a
    long inner loop, unlike broadcasting over a length-3 channel axis, which
    is several times slower).  uint8 wraps modulo 256: stripes, on purpose.
    """
    cols = (np.arange(size) * kx + index * 37) % 256
    rgb_row = (cols[:, None] + np.array([0, 85, 170])) % 256  # (size, 3)
    rows = ((np.arange(size) * ky + index * 11) % 256).astype(np.uint8)
    flat = rows[:, None] + rgb_row.reshape(1, -1).astype(np.uint8)
    return flat.reshape(size, size, 3)


def make_pair(index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The two input images of task ``index`` (same every time, any process)."""
    a = _pattern(size, index, kx=1 + index % 3, ky=2 + index % 5)
    b = _pattern(size, index + 101, kx=5 - index % 4, ky=7 - index % 2)
    return a, b


def blend(a: np.ndarray, b: np.ndarray, alpha: float, beta: float, gamma: float) -> np.ndarray:
    """``cv2.addWeighted`` in numpy: round-half-even then saturate to uint8.

    float32 matches OpenCV's arithmetic for 8-bit inputs; in-place operations
    keep it to one temporary besides the accumulator.
    """
    acc = np.multiply(a, np.float32(alpha), dtype=np.float32)
    acc += np.multiply(b, np.float32(beta), dtype=np.float32)
    acc += np.float32(gamma)
    np.rint(acc, out=acc)
    np.clip(acc, 0, 255, out=acc)
    return acc.astype(np.uint8)


def addweighted_task(task: AddWeightedTask) -> np.ndarray:
    """One task: generate pair ``index`` and return the blended uint8 image."""
    index, size, alpha, beta, gamma = task
    a, b = make_pair(index, size)
    return blend(a, b, alpha, beta, gamma)


class AddWeightedWorkload(WorkloadBase):
    """numpy image blending, one pair per task."""

    name = "addweighted"
    summary = ("blend count pairs of size x size RGB images like cv2.addWeighted "
               "with numpy (memory-bandwidth bound)")
    bound = "memory"
    params = PARAMS

    @property
    def task(self) -> Callable[[Any], Any]:
        return addweighted_task

    def make_tasks(self, params: Params) -> Sequence[AddWeightedTask]:
        v = resolve(self.params, params)
        return [(index, v["size"], v["alpha"], v["beta"], v["gamma"])
                for index in range(v["count"])]


WORKLOAD = AddWeightedWorkload()
