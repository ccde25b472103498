"""Statistics for the harness: summaries, bootstrap intervals, regression tests and scaling fits.

Everything here is a pure function of its arguments: no I/O, no printing, no global random
state.  Every function that draws random numbers takes ``seed`` (an ``int`` or a
``numpy.random.Generator``), so the same inputs always give the same outputs.

Conventions
-----------
* Timings are positive seconds.  Functions on timings reject empty input, NaN, infinity and
  non-positive values with a ``ValueError`` that names the argument.
* Centres are medians and spreads are MADs: benchmark noise on a shared machine is
  right-skewed with occasional large outliers (another process got the core), and the median
  ignores those where the mean chases them.
* Intervals are percentile bootstraps (``scipy.stats.bootstrap``); the two samples of a ratio
  are resampled independently, never paired, so unequal sample sizes are handled correctly.
* Scaling models are fitted on log speed-up (``scipy.optimize.least_squares``), because
  timing noise is multiplicative: a 2 % wobble at 16 workers is as likely as one at 1 worker.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, sparse, stats

__all__ = [
    "AmdahlFit",
    "Comparison",
    "MIN_COMPARE_VALUES",
    "TooFewPoints",
    "USLFit",
    "Verdict",
    "amdahl_speedup",
    "bootstrap_ci",
    "compare_samples",
    "efficiency",
    "fit_amdahl",
    "fit_usl",
    "karp_flatt",
    "mad",
    "mann_whitney_p",
    "median",
    "PairedSpeedup",
    "pair_ratios",
    "paired_halfwidth",
    "paired_speedup",
    "parallelism",
    "ratio_of_medians_ci",
    "relative_mad",
    "speedup",
    "speedup_ci",
    "usl_speedup",
]

Seed = int | np.random.Generator
Verdict = Literal["regression", "improvement", "inconclusive", "unchanged"]
FloatArray = NDArray[np.float64]

#: fewest values per side for which ``compare_samples`` runs a significance test at all
MIN_COMPARE_VALUES = 3
#: without ties, use the exact Mann-Whitney distribution up to this many values in total
_EXACT_MWU_LIMIT = 100
#: with ties, enumerate all label permutations when there are at most this many
_PERMUTATION_LIMIT = 20_000
#: floor on a point's log-scale standard error: no timing on a shared machine is better than 0.5 %
_MIN_LOG_SE = 0.005
#: a fitted parameter this close to a bound is reported as exactly the bound
_SNAP = 1e-9

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


# --------------------------------------------------------------------------- summaries


def median(values: ArrayLike) -> float:
    """Median of ``values``: the centre we report, robust to the outliers a busy machine adds."""
    return float(np.median(_finite(values)))


def mad(values: ArrayLike) -> float:
    """Median absolute deviation, ``median(|x - median(x)|)``, *unscaled*.

    Multiply by 1.4826 to estimate a normal standard deviation; we don't, because timing
    noise isn't normal and the raw number is easier to read next to the median.
    """
    array = _finite(values)
    return float(np.median(np.abs(array - np.median(array))))


def relative_mad(values: ArrayLike) -> float:
    """``mad(values) / |median(values)|``: scale-free noise, 0.03 means about 3 %."""
    centre = median(values)
    if centre == 0:
        raise ValueError("relative_mad is undefined when the median is 0")
    return mad(values) / abs(centre)


# --------------------------------------------------------------------------- bootstrap


def _bootstrap_interval(
    samples: tuple[FloatArray, ...],
    statistic: Callable[..., Any],
    confidence: float,
    resamples: int,
    seed: Seed,
    vectorized: bool | None,
) -> tuple[float, float]:
    """Percentile bootstrap through scipy; each sample is resampled on its own (unpaired)."""
    result = stats.bootstrap(
        samples,
        statistic,
        n_resamples=resamples,
        vectorized=vectorized,
        paired=False,
        confidence_level=confidence,
        method="percentile",
        **{_BOOTSTRAP_RNG_ARG: np.random.default_rng(seed)},
    )
    interval = result.confidence_interval
    return float(interval.low), float(interval.high)


def _median_axis(values: FloatArray, axis: int = -1) -> Any:
    return np.median(values, axis=axis)


def _mad_axis(values: FloatArray, axis: int = -1) -> Any:
    centre = np.median(values, axis=axis, keepdims=True)
    return np.median(np.abs(values - centre), axis=axis)


_VECTORISED: dict[Callable[..., Any], Callable[..., Any]] = {
    median: _median_axis,
    np.median: _median_axis,
    mad: _mad_axis,
}


def bootstrap_ci(
    values: ArrayLike,
    statistic: Callable[..., Any] = median,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: Seed = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of ``statistic(values)``.

    Resample ``values`` with replacement ``resamples`` times, compute the statistic on each,
    return the ``(1-confidence)/2`` and ``(1+confidence)/2`` quantiles.  Percentile rather
    than BCa because BCa's jackknife acceleration is unstable at the 5-20 values a benchmark
    has, and degenerates on constant samples.  One value (or all values equal) gives
    ``(v, v)``: there is nothing to resample.  ``median`` and ``mad`` are evaluated
    vectorised; any other statistic is passed to scipy as is (vectorised if it takes ``axis``).
    """
    array = np.sort(_finite(values))  # sorted: the interval depends on the values, not their order
    _check_confidence(confidence)
    _check_resamples(resamples)
    if not _varies(array):
        point = float(statistic(array))
        return point, point
    vectorised = next((fast for slow, fast in _VECTORISED.items() if slow is statistic), None)
    if vectorised is not None:
        return _bootstrap_interval((array,), vectorised, confidence, resamples, seed, True)
    return _bootstrap_interval((array,), statistic, confidence, resamples, seed, None)


def ratio_of_medians_ci(
    numerator: ArrayLike,
    denominator: ArrayLike,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: Seed = 0,
) -> tuple[float, float]:
    """Bootstrap interval of ``median(numerator) / median(denominator)``.

    The two samples are independent measurements, so each is resampled separately (never
    paired: pairing would invent a correlation and breaks on unequal sizes).  A side with a
    single value, or with all values equal, is held fixed: it has no sampling distribution
    to draw from.  Both sides fixed gives the point ratio twice.
    """
    num = np.sort(_positive(numerator, "numerator"))  # sorted: order-free, as in bootstrap_ci
    den = np.sort(_positive(denominator, "denominator"))
    _check_confidence(confidence)
    _check_resamples(resamples)
    num_varies, den_varies = _varies(num), _varies(den)
    if not (num_varies or den_varies):
        point = float(np.median(num) / np.median(den))
        return point, point
    samples = tuple(x for x, varies in ((num, num_varies), (den, den_varies)) if varies)

    def ratio(*resampled: FloatArray, axis: int = -1) -> Any:
        drawn = iter(resampled)
        top = np.median(next(drawn), axis=axis) if num_varies else np.median(num)
        bottom = np.median(next(drawn), axis=axis) if den_varies else np.median(den)
        return top / bottom

    return _bootstrap_interval(samples, ratio, confidence, resamples, seed, True)


# --------------------------------------------------------------------------- speed-up


def parallelism(workers: int, cores: int) -> int:
    """Workers that can actually run at once: ``min(workers, cores)``; the p of the models."""
    if workers < 1 or cores < 1:
        raise ValueError(f"workers and cores must be >= 1, got {workers} and {cores}")
    return min(workers, cores)


def speedup(serial_values: ArrayLike, case_values: ArrayLike) -> float:
    """``median(serial) / median(case)``: > 1 means the case is faster than serial."""
    serial = _positive(serial_values, "serial_values")
    case = _positive(case_values, "case_values")
    return float(np.median(serial) / np.median(case))


def speedup_ci(
    serial_values: ArrayLike,
    case_values: ArrayLike,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: Seed = 0,
) -> tuple[float, float]:
    """Bootstrap interval of ``speedup``; serial and case are resampled independently."""
    _positive(serial_values, "serial_values")
    _positive(case_values, "case_values")
    return ratio_of_medians_ci(serial_values, case_values, confidence, resamples, seed)


# --------------------------------------------------------------------------- paired speed-up

#: share of pairs trimmed from each end of the log ratios (Tukey-McLaughlin): one cycle that lost
#: its CPU to another tenant makes one wild pair, which must not move the estimate by 1/n of itself
PAIR_TRIM = 0.1


@dataclass(frozen=True)
class PairedSpeedup:
    """A speed-up from pairs of (reference, case) cycles measured one after the other.

    ``speedup`` is the trimmed geometric mean of ``reference[i] / case[i]``; ``low`` and
    ``high`` bound it at the stated confidence; ``n`` is the number of pairs.
    """

    speedup: float
    low: float
    high: float
    n: int

    @property
    def halfwidth(self) -> float:
        """Half the interval's width relative to the estimate (0.03 = +-3 %)."""
        return (self.high - self.low) / 2.0 / self.speedup


def pair_ratios(reference: ArrayLike, case: ArrayLike) -> FloatArray:
    """``reference[i] / case[i]`` for each pair; the two series must be equally long."""
    ref, values = _positive(reference, "reference"), _positive(case, "case")
    if ref.size != values.size:
        raise ValueError(f"reference and case must pair up: {ref.size} and {values.size} values")
    return ref / values


def _trim_count(n: int, trim: float = PAIR_TRIM) -> int:
    return int(math.floor(trim * n))


def _trimmed_mean(values: FloatArray, axis: int = -1) -> Any:
    ordered = np.sort(values, axis=axis)
    g = _trim_count(ordered.shape[axis])
    kept = ordered[..., g:ordered.shape[axis] - g] if g else ordered
    return np.mean(kept, axis=axis)


def _tukey_mclaughlin(logs: FloatArray, confidence: float) -> tuple[float, float, float]:
    """Trimmed mean of ``logs`` and its Student interval with winsorised variance.

    The interval of a trimmed mean (Tukey and McLaughlin 1963, Wilcox's textbook
    form): centre the trimmed mean, spread the winsorised standard deviation divided by
    ``(1 - 2 trim) sqrt(n)``, quantile Student's t on ``n - 2g - 1`` degrees of freedom.
    With no trimming (n < 5) it is the ordinary t interval on the mean.
    """
    n = logs.size
    g = _trim_count(n)
    ordered = np.sort(logs)
    centre = float(np.mean(ordered[g:n - g]))
    winsorised = np.clip(ordered, ordered[g], ordered[n - 1 - g])
    spread = float(np.std(winsorised, ddof=1)) / ((1.0 - 2.0 * g / n) * math.sqrt(n))
    quantile = float(stats.t.ppf(0.5 + confidence / 2.0, n - 2 * g - 1))
    return centre, centre - quantile * spread, centre + quantile * spread


def paired_halfwidth(reference: ArrayLike, case: ArrayLike, confidence: float = 0.95) -> float:
    """Relative half-width of the paired interval without the bootstrap: the cheap stopping rule.

    ``inf`` below 3 pairs: two pairs say nothing about their own spread.
    """
    logs = np.log(pair_ratios(reference, case))
    if logs.size < 3:
        return math.inf
    centre, low, high = _tukey_mclaughlin(logs, confidence)
    return (math.exp(high) - math.exp(low)) / 2.0 / math.exp(centre)


def paired_speedup(
    reference: ArrayLike,
    case: ArrayLike,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: Seed = 0,
) -> PairedSpeedup:
    """Speed-up and interval from paired cycles (``bench.measure``'s reference/case pairs).

    Why pairs: a reference measured minutes apart from the case divides two different
    machines when its speed drifts (turbo, a neighbour, thermal limits).  Cycles measured
    one after the other share the machine's state, so each pair's ratio cancels drift
    slower than a pair, and the interval is over pairs, never over the two series apart.

    Estimate: the 10 %-trimmed mean of the log ratios, exponentiated (a geometric mean
    that one wild pair cannot drag).  Interval: the union of a percentile bootstrap of
    that statistic over pairs and its Tukey-McLaughlin t interval.  The bootstrap alone
    is far too narrow at the 4-8 pairs a quick case has (it can never leave the range of
    the pairs, which misses the truth 1 time in 8 at n = 4); the t interval alone assumes
    symmetry that skewed timing noise lacks.  Taking the wider end of each keeps coverage
    at small n and skew at larger n (tests/test_stats.py measures >= 93 % on drifting
    series).
    """
    logs = np.log(pair_ratios(reference, case))
    _check_confidence(confidence)
    _check_resamples(resamples)
    if logs.size < 2 or not _varies(logs):
        point = float(np.exp(_trimmed_mean(logs))) if logs.size else math.nan
        low, high = (point, point) if logs.size > 1 else (0.0, math.inf)
        return PairedSpeedup(point, low, high, int(logs.size))
    centre, t_low, t_high = _tukey_mclaughlin(logs, confidence)
    b_low, b_high = _bootstrap_interval((np.sort(logs),), _trimmed_mean, confidence, resamples, seed, True)
    return PairedSpeedup(float(np.exp(centre)), float(np.exp(min(t_low, b_low))),
                         float(np.exp(max(t_high, b_high))), int(logs.size))


def efficiency(speedup: float, parallelism: float) -> float:
    """``speedup / parallelism``: 1.0 is perfect scaling, 0.5 means half of each worker wasted."""
    if not math.isfinite(speedup) or speedup <= 0:
        raise ValueError(f"speedup must be positive and finite, got {speedup}")
    if not math.isfinite(parallelism) or parallelism < 1:
        raise ValueError(f"parallelism must be >= 1, got {parallelism}")
    return speedup / parallelism


# --------------------------------------------------------------------------- regression test


@dataclass(frozen=True)
class Comparison:
    """Verdict on ``new`` against ``base`` for one benchmark (see ``compare_samples``).

    ``ratio = median(new) / median(base)`` and ``change = ratio - 1`` are in the measured unit
    (time unless ``higher_is_better``).  ``p_value`` is None when no test was run;
    ``reason`` says why a test was impossible or powerless, and is None otherwise.
    """

    ratio: float
    ratio_ci_low: float
    ratio_ci_high: float
    p_value: float | None
    significant: bool
    change: float
    verdict: Verdict
    reason: str | None
    n_base: int
    n_new: int
    median_base: float
    median_new: float
    alpha: float
    threshold: float
    higher_is_better: bool


def mann_whitney_p(x: ArrayLike, y: ArrayLike) -> float:
    """Two-sided Mann-Whitney U p-value for independent samples of any sizes.

    Method: without ties, the exact U distribution (valid at any size, fast up to
    ~100 values); with ties, an exact permutation test (every relabelling enumerated, so no
    randomness) while there are at most 20 000 relabellings, because scipy's "exact" ignores
    ties; beyond that, the tie-corrected normal approximation, which is accurate by then.
    All values equal gives 1.0.
    """
    a, b = _finite(x, "x"), _finite(y, "y")
    pooled = np.concatenate([a, b])
    if np.ptp(pooled) == 0:
        return 1.0
    ties = np.unique(pooled).size < pooled.size
    method: Any
    if not ties and pooled.size <= _EXACT_MWU_LIMIT:
        method = "exact"
    elif ties and math.comb(pooled.size, a.size) <= _PERMUTATION_LIMIT:
        method = stats.PermutationMethod(n_resamples=_PERMUTATION_LIMIT)
    else:
        method = "asymptotic"
    result = stats.mannwhitneyu(a, b, alternative="two-sided", method=method)
    return float(min(1.0, result.pvalue))


def _smallest_p(n_base: int, n_new: int) -> float:
    """Smallest two-sided exact Mann-Whitney p-value: ``2 / C(n1+n2, n1)`` (complete separation)."""
    return min(1.0, 2.0 / math.comb(n_base + n_new, n_base))


def _compare_reason(n_base: int, n_new: int, alpha: float) -> str | None:
    if min(n_base, n_new) < MIN_COMPARE_VALUES:
        return (
            f"too few values: base has {n_base}, new has {n_new}; "
            f"need at least {MIN_COMPARE_VALUES} on each side"
        )
    floor = _smallest_p(n_base, n_new)
    if floor >= alpha:
        return (
            f"too few values to reach alpha={alpha:g}: with {n_base} and {n_new} values "
            f"the smallest possible p-value is {floor:.3g}"
        )
    return None


def _verdict(ratio: float, ci: tuple[float, float], significant: bool, threshold: float,
             higher_is_better: bool) -> Verdict:
    """Regression: significant, and the *whole* interval worse by more than ``1 + threshold``.

    "Worse" is ``ratio`` for times and ``1/ratio`` when higher is better, so for times a
    regression is ``ratio_ci_low > 1 + threshold`` and an improvement
    ``ratio_ci_high < 1/(1+threshold)``.  A factor rather than a difference makes the
    verdict the same for times and for speeds (1/time) with ``higher_is_better=True``.

    Why the interval and not the point: a matrix compares ~200 cases of 4-5 values each,
    so a few cases per comparison pass a rank test at 0.05 by chance, and with a noisy
    case the chance median is often beyond the threshold too (interleaved A/A runs of the
    quick matrix on a shared VM: 1-2 such cases per comparison).  Asking that the interval
    clear the threshold asks the data to rule out a change smaller than it.  A significant
    change whose point estimate passes the threshold but whose interval does not is
    "inconclusive": reported, not gating; more values (the full profile, bench ab) settle it.
    """
    if not significant:
        return "unchanged"
    low, high = ci
    worse, worse_low, worse_high = (1 / ratio, 1 / high, 1 / low) if higher_is_better else (ratio, low, high)
    limit = 1.0 + threshold
    if worse_low > limit:
        return "regression"
    if worse_high < 1.0 / limit:
        return "improvement"
    if worse > limit or worse < 1.0 / limit:
        return "inconclusive"
    return "unchanged"


def compare_samples(
    base: ArrayLike,
    new: ArrayLike,
    alpha: float = 0.05,
    threshold: float = 0.05,
    resamples: int = 2000,
    seed: Seed = 0,
    *,
    higher_is_better: bool = False,
) -> Comparison:
    """Is ``new`` really slower (or faster) than ``base``?  The statistics behind ``bench compare``.

    * ``ratio = median(new) / median(base)``, ``change = ratio - 1``.
    * ``ratio_ci_low/high``: percentile bootstrap of the ratio of medians at confidence
      ``1 - alpha``, the two samples resampled independently (sizes may differ; values are
      never paired, unlike pyperf which zips the two runs).
    * ``p_value``: two-sided Mann-Whitney U (see ``mann_whitney_p``), a rank test, so an
      outlier counts as one rank and not as its size.
    * ``significant = p_value < alpha`` *and* the interval excludes 1.0.  The rank test is
      exact, so it alone holds the false-positive rate at ``alpha``; but it answers "are
      the distributions shifted?", not "did the median move?".  The bootstrap interval is
      about the number we report, but percentile bootstraps of a median from 5 values are
      too narrow and jumpy to trust alone.  Requiring both keeps the rank test's guarantee
      (the joint rejection region is inside the test's) and refuses to call significant a
      rank shift whose median ratio is compatible with no change.  Both react to the same
      real shift, so the power lost is small (see tests/test_stats.py for measured rates).
    * ``verdict``: "regression" when significant and the whole interval is worse by more
      than ``threshold``, "inconclusive" when only the point estimate is (see ``_verdict``);
      the threshold is the guard against run-to-run drift the within-run noise cannot show
      (another tenant, thermal state, a different host).

    With fewer than ``MIN_COMPARE_VALUES`` values on a side no test is run
    (``p_value=None``, ``significant=False``, ``reason`` says why).  Note that 3 vs 3
    values can never reach alpha=0.05 (smallest p is 0.1): ``reason`` says so too.
    """
    old_values, new_values = _positive(base, "base"), _positive(new, "new")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha}")
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    rng = np.random.default_rng(seed)
    ratio = float(np.median(new_values) / np.median(old_values))
    low, high = ratio_of_medians_ci(new_values, old_values, 1.0 - alpha, resamples, rng)
    reason = _compare_reason(old_values.size, new_values.size, alpha)
    tested = min(old_values.size, new_values.size) >= MIN_COMPARE_VALUES
    p_value = mann_whitney_p(old_values, new_values) if tested else None
    significant = p_value is not None and p_value < alpha and not low <= 1.0 <= high
    return Comparison(
        ratio=ratio,
        ratio_ci_low=low,
        ratio_ci_high=high,
        p_value=p_value,
        significant=significant,
        change=ratio - 1.0,
        verdict=_verdict(ratio, (low, high), significant, threshold, higher_is_better),
        reason=reason,
        n_base=int(old_values.size),
        n_new=int(new_values.size),
        median_base=float(np.median(old_values)),
        median_new=float(np.median(new_values)),
        alpha=alpha,
        threshold=threshold,
        higher_is_better=higher_is_better,
    )


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
    would often leave one distinct p).  Refits stop at a relative tolerance of 1e-6:
    parameter errors ~1e-5, a few percent of the spread estimated; tighter makes refits
    that end on a bound (kappa = 0) crawl.
    """
    fitted = model(points.p, theta[None, :])[0]
    dof = max(points.p.size - theta.size, 1)
    chi2 = float(np.sum(((points.log_s - fitted) / log_se) ** 2))
    scale = log_se * max(1.0, math.sqrt(chi2 / dof))
    noise = np.random.default_rng(seed).normal(size=(resamples, points.p.size)) * scale
    result = _solve(model, points, fitted + noise, theta, bounds, tolerance=1e-6)
    replicas = _snap(result.x.reshape(resamples, theta.size), bounds)
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
    3 % noise); without, a Student-t interval from the residuals (no randomness; coverage
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
