"""Scaling models: Amdahl and USL fitted on log speed-up, Karp-Flatt (pure)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, sparse, stats

from bench.analysis.stats._checks import FloatArray, Seed, _check_confidence, _check_resamples, _finite, _positive

#: floor on a point's log-scale standard error: no timing on a shared machine is better than 0.5 %
_MIN_LOG_SE = 0.005
#: a fitted parameter this close to a bound is reported as exactly the bound
_SNAP = 1e-9


# --------------------------------------------------------------------------- scaling models


def amdahl_speedup(p: ArrayLike, serial_fraction: float) -> FloatArray:
    """Amdahl's law ``S(p) = 1 / (f + (1 - f) / p)``; the limit as p grows is ``1/f``."""
    workers = np.asarray(p, dtype=float)
    return 1.0 / (serial_fraction + (1.0 - serial_fraction) / workers)


def usl_speedup(p: ArrayLike, sigma: float, kappa: float) -> FloatArray:
    """Gunther's Universal Scalability Law ``S(p) = p / (1 + sigma (p-1) + kappa p (p-1))``.

    ``sigma`` is contention (the serialised share, Amdahl's f), ``kappa`` coherency (the
    pairwise cost of keeping workers consistent); ``kappa > 0`` makes speed-up peak and fall.
    """
    workers = np.asarray(p, dtype=float)
    return workers / (1.0 + sigma * (workers - 1.0) + kappa * workers * (workers - 1.0))


def karp_flatt(speedup: float, p: float) -> float | None:
    """Karp-Flatt experimentally determined serial fraction ``e = (1/S - 1/p) / (1 - 1/p)``.

    Amdahl's f solved from a single measurement; if ``e`` grows with p the loss is overhead
    that grows with workers, not a fixed serial part.  None for ``p == 1`` (0/0).
    """
    if not math.isfinite(speedup) or speedup <= 0:
        raise ValueError(f"speedup must be positive and finite, got {speedup}")
    if not math.isfinite(p) or p < 1:
        raise ValueError(f"p must be >= 1, got {p}")
    if p == 1:
        return None
    return (1.0 / speedup - 1.0 / p) / (1.0 - 1.0 / p)


@dataclass(frozen=True)
class TooFewPoints:
    """A model could not be fitted: ``reason`` says what was missing."""

    reason: str
    n_points: int
    n_distinct: int


@dataclass(frozen=True)
class AmdahlFit:
    """Amdahl's law fitted to speed-ups; ``serial_fraction`` f is in [0, 1].

    ``ci_method`` is "parametric bootstrap" (from per-point intervals) or "t interval"
    (from the residuals); ``rms_log_residual`` is the typical misfit (0.02 ~ 2 %).
    """

    serial_fraction: float
    ci_low: float
    ci_high: float
    n_points: int
    confidence: float
    ci_method: str
    rms_log_residual: float

    @property
    def max_speedup(self) -> float | None:
        """Asymptotic ceiling ``1/f``; None when f == 0 (unbounded)."""
        return 1.0 / self.serial_fraction if self.serial_fraction > 0 else None

    def predict(self, p: ArrayLike) -> FloatArray:
        return amdahl_speedup(p, self.serial_fraction)


@dataclass(frozen=True)
class USLFit:
    """Universal Scalability Law fitted to speed-ups; ``sigma, kappa >= 0``.

    ``peak_workers = floor(sqrt((1 - sigma) / kappa))`` (1 if sigma >= 1) when kappa > 0,
    None when kappa == 0 (speed-up rises forever towards ``1/sigma``); ``peak_speedup`` is
    the model at ``peak_workers``; ``extrapolated`` is True when the peak lies beyond the
    largest measured p (or is unbounded): then it is a forecast, not an observation.
    """

    sigma: float
    kappa: float
    sigma_ci_low: float
    sigma_ci_high: float
    kappa_ci_low: float
    kappa_ci_high: float
    peak_workers: int | None
    peak_speedup: float | None
    extrapolated: bool
    n_points: int
    max_measured_p: float
    confidence: float
    ci_method: str
    rms_log_residual: float

    def predict(self, p: ArrayLike) -> FloatArray:
        return usl_speedup(p, self.sigma, self.kappa)


LogModel = Callable[[FloatArray, FloatArray], FloatArray]


def _log_amdahl(p: FloatArray, theta: FloatArray) -> FloatArray:
    """log S for each row of ``theta`` (shape (B, 1)) at each p: shape (B, n)."""
    f = theta[:, :1]
    return -np.log(f + (1.0 - f) / p)


def _log_usl(p: FloatArray, theta: FloatArray) -> FloatArray:
    sigma, kappa = theta[:, :1], theta[:, 1:2]
    return np.log(p) - np.log1p(sigma * (p - 1.0) + kappa * p * (p - 1.0))


@dataclass(frozen=True)
class _Points:
    """Validated fit input: p, log speed-ups and per-point log standard errors (or None)."""

    p: FloatArray
    log_s: FloatArray
    log_se: FloatArray | None

    @property
    def weights(self) -> FloatArray:
        return np.ones_like(self.p) if self.log_se is None else 1.0 / self.log_se


def _points(
    p: ArrayLike,
    speedups: ArrayLike,
    ci_low: ArrayLike | None,
    ci_high: ArrayLike | None,
    point_confidence: float,
) -> _Points:
    """Validate fit input; turn per-point intervals into log standard errors.

    A normal interval on log S has width ``2 z se``, so ``se = (log hi - log lo) / (2 z)``
    with ``z`` the ``(1+point_confidence)/2`` normal quantile, floored at ``_MIN_LOG_SE``
    so that a point measured once (interval of width 0) does not get infinite weight.
    """
    workers, values = _finite(p, "p"), _positive(speedups, "speedups")
    if workers.size != values.size:
        raise ValueError(f"p has {workers.size} values but speedups has {values.size}")
    if np.any(workers < 1):
        raise ValueError(f"p must be >= 1, got {workers[workers < 1][0]:g}")
    if (ci_low is None) != (ci_high is None):
        raise ValueError("give both speedup_ci_low and speedup_ci_high, or neither")
    if ci_low is None or ci_high is None:
        return _Points(workers, np.log(values), None)
    low, high = _positive(ci_low, "speedup_ci_low"), _positive(ci_high, "speedup_ci_high")
    if low.size != values.size or high.size != values.size:
        raise ValueError("speedup_ci_low/high must have one value per speed-up")
    if np.any(low > high):
        raise ValueError("speedup_ci_low must not exceed speedup_ci_high")
    _check_confidence(point_confidence)
    z = stats.norm.ppf(0.5 + point_confidence / 2.0)
    log_se = np.maximum((np.log(high) - np.log(low)) / (2.0 * z), _MIN_LOG_SE)
    return _Points(workers, np.log(values), log_se)


def _solve(
    model: LogModel,
    points: _Points,
    targets: FloatArray,
    x0: FloatArray,
    bounds: tuple[FloatArray, FloatArray],
    tolerance: float,
) -> optimize.OptimizeResult:
    """Weighted least squares of ``model`` on each row of ``targets`` (log S), all at once.

    The B fits are independent, so they are stacked into one ``least_squares`` problem with
    a block-diagonal Jacobian sparsity: one call instead of B keeps a bootstrap of a few
    hundred refits around a second.  ``result.x`` holds the B parameter vectors end to end.
    """
    rows, k = targets.shape[0], x0.size
    lower, upper = bounds

    def residuals(flat: FloatArray) -> FloatArray:
        fitted = model(points.p, flat.reshape(rows, k))
        return ((fitted - targets) * points.weights).ravel()

    start = np.clip(x0, lower + _SNAP, np.where(np.isfinite(upper), upper - _SNAP, np.inf))
    sparsity = sparse.kron(sparse.eye(rows), np.ones((points.p.size, k))) if rows > 1 else None
    return optimize.least_squares(
        residuals,
        np.tile(start, rows),
        bounds=(np.tile(lower, rows), np.tile(upper, rows)),
        jac_sparsity=sparsity,
        x_scale="jac",
        xtol=tolerance,
        ftol=tolerance,
    )


def _weighted_cost(model: LogModel, points: _Points, targets: FloatArray, theta: FloatArray) -> FloatArray:
    """Sum of squared weighted log residuals of each row of ``targets`` at its own scalar theta."""
    squares = ((model(points.p, theta[:, None]) - targets) * points.weights) ** 2
    return np.asarray(squares.sum(axis=1), dtype=float)


def _gauss_newton_step(model: LogModel, points: _Points, targets: FloatArray, theta: FloatArray) -> FloatArray:
    """One Gauss-Newton step for each row's scalar parameter (central-difference slope)."""
    h = 1e-7 * np.maximum(1.0, np.abs(theta))
    residual = (model(points.p, theta[:, None]) - targets) * points.weights
    slope = (model(points.p, (theta + h)[:, None]) - model(points.p, (theta - h)[:, None]))
    jac = slope / (2.0 * h)[:, None] * points.weights
    step = -(jac * residual).sum(axis=1) / np.maximum((jac * jac).sum(axis=1), 1e-300)
    return np.asarray(step, dtype=float)


def _solve_scalar(
    model: LogModel,
    points: _Points,
    targets: FloatArray,
    x0: FloatArray,
    bounds: tuple[FloatArray, FloatArray],
    tolerance: float = 1e-9,
    max_iterations: int = 200,
) -> FloatArray:
    """Least squares of a one-parameter ``model`` on each row of ``targets``: shape (B,).

    Projected Gauss-Newton on all rows at once, halving a step that would raise a row's
    cost.  For Amdahl's bootstrap this replaces ``_solve``'s stacked ``least_squares``:
    about 30 times faster on the quick matrix's fits (the report spent 12 of its 26 s
    there), and never at a higher cost on any of 32,000 refits tried (``least_squares``
    stops early where the cost is flat, by up to 80 % of a refit's cost).
    """
    lower, upper = float(bounds[0][0]), float(bounds[1][0])
    theta = np.full(targets.shape[0], min(max(float(x0[0]), lower), upper))
    cost = _weighted_cost(model, points, targets, theta)
    for _ in range(max_iterations):
        step, scale = _gauss_newton_step(model, points, targets, theta), np.ones_like(theta)
        trial = np.clip(theta + step, lower, upper)
        trial_cost = _weighted_cost(model, points, targets, trial)
        for _ in range(40):  # halve the steps that made a row worse
            worse = trial_cost > cost
            if not worse.any():
                break
            scale = np.where(worse, scale / 2.0, scale)
            trial = np.where(worse, np.clip(theta + scale * step, lower, upper), trial)
            trial_cost = np.where(worse, _weighted_cost(model, points, targets, trial), trial_cost)
        better = trial_cost <= cost
        moved = np.where(better, np.abs(trial - theta), 0.0)
        theta, cost = np.where(better, trial, theta), np.where(better, trial_cost, cost)
        if np.all(moved <= tolerance * (np.abs(theta) + tolerance)):
            break
    return theta


def _snap(theta: FloatArray, bounds: tuple[FloatArray, FloatArray]) -> FloatArray:
    """Parameters within ``_SNAP`` of a bound become the bound (kappa = 0 reads as 0)."""
    lower, upper = bounds
    theta = np.where(theta - lower < _SNAP, lower, theta)
    return np.where(upper - theta < _SNAP, upper, theta)


def _parametric_ci(
    model: LogModel,
    points: _Points,
    log_se: FloatArray,
    theta: FloatArray,
    bounds: tuple[FloatArray, FloatArray],
    confidence: float,
    resamples: int,
    seed: Seed,
) -> FloatArray:
    """Percentile interval of refits to ``fitted + N(0, (se_i c)^2)``; shape (2, k).

    ``se_i`` come from the per-point intervals; ``c = max(1, sqrt(chi2 / dof))`` widens the
    noise when the curve misses the points by more than their error bars say, so a wrong
    model cannot hide behind tight points.  The p values stay fixed (a bootstrap over points
    would often leave one distinct p).  One parameter (Amdahl): all refits by
    ``_solve_scalar``.  Two (USL): stacked ``least_squares`` stopping at a relative tolerance
    of 1e-6: parameter errors ~1e-5, a few percent of the spread estimated; tighter makes
    refits that end on a bound (kappa = 0) crawl.
    """
    fitted = model(points.p, theta[None, :])[0]
    dof = max(points.p.size - theta.size, 1)
    chi2 = float(np.sum(((points.log_s - fitted) / log_se) ** 2))
    scale = log_se * max(1.0, math.sqrt(chi2 / dof))
    noise = np.random.default_rng(seed).normal(size=(resamples, points.p.size)) * scale
    if theta.size == 1:
        solved = _solve_scalar(model, points, fitted + noise, theta, bounds)[:, None]
    else:
        solved = _solve(model, points, fitted + noise, theta, bounds, tolerance=1e-6).x.reshape(resamples, theta.size)
    replicas = _snap(solved, bounds)
    tail = (1.0 - confidence) / 2.0
    return np.quantile(replicas, [tail, 1.0 - tail], axis=0)


def _wald_ci(
    result: optimize.OptimizeResult,
    theta: FloatArray,
    bounds: tuple[FloatArray, FloatArray],
    confidence: float,
) -> FloatArray:
    """Linearised interval ``theta +- t(dof) * sqrt(diag(s^2 (J'J)^-1))``, clipped to bounds.

    ``s^2 = RSS / (n - k)`` estimates the noise from the residuals.  Student's t with
    ``n - k`` degrees of freedom pays for estimating ``s`` from a handful of points: with
    2 points and 1 parameter, t = 12.7 and the interval is honestly wide.  (A residual
    bootstrap cannot do that: over 200 simulated data sets it covered the true f 41 % of
    the time with 2 points and 80 % with 4.)
    """
    jac = np.atleast_2d(result.jac)
    dof = jac.shape[0] - theta.size
    s2 = 2.0 * float(result.cost) / dof  # cost is RSS / 2
    covariance = s2 * np.linalg.pinv(jac.T @ jac)
    half = stats.t.ppf(0.5 + confidence / 2.0, dof) * np.sqrt(np.diag(covariance))
    lower, upper = bounds
    return np.vstack([np.maximum(theta - half, lower), np.minimum(theta + half, upper)])


@dataclass(frozen=True)
class _ModelFit:
    theta: FloatArray
    ci: FloatArray  # shape (2, k): low row, high row
    ci_method: str
    rms_log_residual: float


def _fit_with_ci(
    model: LogModel,
    points: _Points,
    x0: FloatArray,
    bounds: tuple[FloatArray, FloatArray],
    confidence: float,
    resamples: int,
    seed: Seed,
) -> _ModelFit:
    """Point fit (tight tolerance), then its interval.

    With per-point intervals: parametric bootstrap (``_parametric_ci``), the measurement
    error we actually know, valid with as few points as parameters + 1.  Without: the
    linearised t interval (``_wald_ci``) from the residual scatter.
    """
    result = _solve(model, points, points.log_s[None, :], x0, bounds, tolerance=1e-12)
    theta = _snap(result.x, bounds)
    if points.log_se is not None:
        ci = _parametric_ci(
            model, points, points.log_se, theta, bounds, confidence, resamples, seed
        )
        method = "parametric bootstrap"
    else:
        ci, method = _wald_ci(result, theta, bounds, confidence), "t interval"
    fitted = model(points.p, theta[None, :])[0]
    rms = float(np.sqrt(np.mean((points.log_s - fitted) ** 2)))
    return _ModelFit(theta, ci, method, rms)


def _too_few(points: _Points, needed: int, model: str) -> TooFewPoints | None:
    distinct = np.unique(points.p)
    if distinct.size >= needed:
        return None
    shown = ", ".join(f"{value:g}" for value in distinct)
    return TooFewPoints(
        reason=(
            f"{model} needs speed-ups at {needed} or more distinct parallelism values, "
            f"got {distinct.size} (p={shown})"
        ),
        n_points=int(points.p.size),
        n_distinct=int(distinct.size),
    )


def fit_amdahl(
    p: ArrayLike,
    speedups: ArrayLike,
    speedup_ci_low: ArrayLike | None = None,
    speedup_ci_high: ArrayLike | None = None,
    seed: Seed = 0,
    *,
    confidence: float = 0.95,
    resamples: int = 400,
    point_confidence: float = 0.95,
) -> AmdahlFit | TooFewPoints:
    """Fit Amdahl's serial fraction f (bounded to [0, 1]) to speed-ups at parallelism p.

    Least squares on ``log S`` (multiplicative noise), weighted by ``1/se_i`` when per-point
    intervals are given.  One parameter, so two distinct p values suffice (p=1 alone says
    nothing, because S(1) = 1 for every f, but it still informs the noise level).  The
    interval on f: with per-point intervals, a parametric bootstrap of ``resamples`` refits
    seeded by ``seed`` (measured coverage 97 % on simulated 2-core runs, 5 values a case,
    3 % noise; 95.8 % over 400 simulated groups of 2 one-core and 4 two-core points after
    the refits moved to ``_solve_scalar``); without, a Student-t interval from the residuals (no randomness; coverage
    94-97 % from 2 to 8 points, but wide with few points: pass the intervals if you can).
    """
    points = _points(p, speedups, speedup_ci_low, speedup_ci_high, point_confidence)
    _check_confidence(confidence)
    _check_resamples(resamples)
    too_few = _too_few(points, 2, "Amdahl's law")
    if too_few is not None:
        return too_few
    bounds = (np.array([0.0]), np.array([1.0]))
    fit = _fit_with_ci(_log_amdahl, points, np.array([0.1]), bounds, confidence, resamples, seed)
    return AmdahlFit(
        serial_fraction=float(fit.theta[0]),
        ci_low=float(fit.ci[0, 0]),
        ci_high=float(fit.ci[1, 0]),
        n_points=int(points.p.size),
        confidence=confidence,
        ci_method=fit.ci_method,
        rms_log_residual=fit.rms_log_residual,
    )


def _usl_start(points: _Points) -> FloatArray:
    """Starting guess from Gunther's linearisation ``p/S - 1 = sigma (p-1) + kappa p (p-1)``.

    Solved by non-negative least squares, so it already respects sigma, kappa >= 0.
    """
    p = points.p
    design = np.column_stack([p - 1.0, p * (p - 1.0)])
    guess, _ = optimize.nnls(design, p / np.exp(points.log_s) - 1.0)
    return np.array([min(guess[0], 1.0), guess[1]])


def _usl_peak(sigma: float, kappa: float) -> tuple[int | None, float | None]:
    """``floor(sqrt((1 - sigma) / kappa))`` and the model there; (None, None) if kappa == 0."""
    if kappa <= 0:
        return None, None
    workers = max(1, math.floor(math.sqrt(max(1.0 - sigma, 0.0) / kappa)))
    return workers, float(usl_speedup(workers, sigma, kappa))


def fit_usl(
    p: ArrayLike,
    speedups: ArrayLike,
    seed: Seed = 0,
    *,
    speedup_ci_low: ArrayLike | None = None,
    speedup_ci_high: ArrayLike | None = None,
    confidence: float = 0.95,
    resamples: int = 400,
    point_confidence: float = 0.95,
) -> USLFit | TooFewPoints:
    """Fit the Universal Scalability Law (sigma in [0, 1], kappa >= 0) to speed-ups.

    Same estimator and intervals as ``fit_amdahl`` (t-interval coverage of sigma and kappa
    measured 93-100 % on 16 noisy points); two parameters, so three distinct p values are
    needed (S(1) = 1 always, so p = 1 plus two more).  On a 2-core machine
    parallelism never exceeds 2 and this returns ``TooFewPoints``: use Amdahl there.
    """
    points = _points(p, speedups, speedup_ci_low, speedup_ci_high, point_confidence)
    _check_confidence(confidence)
    _check_resamples(resamples)
    too_few = _too_few(points, 3, "the Universal Scalability Law (2 parameters)")
    if too_few is not None:
        return too_few
    bounds = (np.array([0.0, 0.0]), np.array([1.0, np.inf]))
    fit = _fit_with_ci(_log_usl, points, _usl_start(points), bounds, confidence, resamples, seed)
    sigma, kappa = float(fit.theta[0]), float(fit.theta[1])
    peak_workers, peak_speedup = _usl_peak(sigma, kappa)
    max_p = float(points.p.max())
    return USLFit(
        sigma=sigma,
        kappa=kappa,
        sigma_ci_low=float(fit.ci[0, 0]),
        sigma_ci_high=float(fit.ci[1, 0]),
        kappa_ci_low=float(fit.ci[0, 1]),
        kappa_ci_high=float(fit.ci[1, 1]),
        peak_workers=peak_workers,
        peak_speedup=peak_speedup,
        extrapolated=peak_workers is None or peak_workers > max_p,
        n_points=int(points.p.size),
        max_measured_p=max_p,
        confidence=confidence,
        ci_method=fit.ci_method,
        rms_log_residual=fit.rms_log_residual,
    )
