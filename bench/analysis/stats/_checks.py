"""Shared by the statistics modules: argument checks and the types they use (private)."""
from __future__ import annotations

import inspect

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

Seed = int | np.random.Generator
FloatArray = NDArray[np.float64]

# scipy >= 1.15 calls the generator argument ``rng``; older releases ``random_state``.
_BOOTSTRAP_RNG_ARG = (
    "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"
)


# --------------------------------------------------------------------------- validation


def _finite(values: ArrayLike, name: str = "values") -> FloatArray:
    """Return ``values`` as a 1-D float array; raise ValueError if empty, NaN or infinite."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity")
    return array


def _positive(values: ArrayLike, name: str = "values") -> FloatArray:
    """Like ``_finite`` but also require every value > 0 (times, speed-ups)."""
    array = _finite(values, name)
    if np.any(array <= 0):
        raise ValueError(f"{name} must be positive, got {array[array <= 0][0]:g}")
    return array


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")


def _check_resamples(resamples: int) -> None:
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")


def _varies(values: FloatArray) -> bool:
    """True when resampling ``values`` can change anything (two or more distinct values)."""
    return values.size >= 2 and bool(np.ptp(values) > 0)
