"""Summaries, bootstrap intervals and speed-ups, paired or not (pure; see bench.analysis.stats)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from bench.analysis.stats._checks import (
    _BOOTSTRAP_RNG_ARG,
    FloatArray,
    Seed,
    _check_confidence,
    _check_resamples,
    _finite,
    _positive,
    _varies,
)

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
    result = stats.bootstrap(  # type: ignore[call-overload]  # the seed's keyword: rng or random_state by version
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
    centre, winsorised_sd, kept = _trimmed(logs)
    spread = winsorised_sd / (kept / n * math.sqrt(n))
    quantile = float(stats.t.ppf(0.5 + confidence / 2.0, kept - 1))
    return centre, centre - quantile * spread, centre + quantile * spread


def _trimmed(values: FloatArray) -> tuple[float, float, int]:
    """(trimmed mean, winsorised standard deviation, values kept): what both trimmed intervals use."""
    n = values.size
    g = _trim_count(n)
    ordered = np.sort(values)
    winsorised = np.clip(ordered, ordered[g], ordered[n - 1 - g])
    return float(np.mean(ordered[g:n - g])), float(np.std(winsorised, ddof=1)), n - 2 * g


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


def _yuen(old: FloatArray, new: FloatArray, confidence: float) -> tuple[float, float, float]:
    """Difference of trimmed means ``new - old`` and its Yuen-Welch interval (two samples).

    Yuen (1974): each side's winsorised variance over ``h (h - 1)`` (h: values kept after
    trimming), Welch's degrees of freedom.  The two-sample form of ``_tukey_mclaughlin``.
    """
    parts = []
    for values in (old, new):
        centre, winsorised_sd, kept = _trimmed(values)
        parts.append((centre, (values.size - 1) * winsorised_sd ** 2 / (kept * (kept - 1)), kept))
    (m_old, d_old, h_old), (m_new, d_new, h_new) = parts
    spread = math.sqrt(d_old + d_new)
    if spread == 0:
        return m_new - m_old, m_new - m_old, m_new - m_old
    df = (d_old + d_new) ** 2 / (d_old ** 2 / (h_old - 1) + d_new ** 2 / (h_new - 1))
    quantile = float(stats.t.ppf(0.5 + confidence / 2.0, df))
    return m_new - m_old, m_new - m_old - quantile * spread, m_new - m_old + quantile * spread


def speedup_change(old_ratios: ArrayLike, new_ratios: ArrayLike, confidence: float = 0.95,
                   resamples: int = 2000, seed: Seed = 0) -> tuple[float, float, float]:
    """NEW's paired speed-up over BASE's, with an interval: (ratio, low, high).

    Each side is its pairs' ratios (``pair_ratios``); the statistic is the one
    ``paired_speedup`` reports, the trimmed geometric mean, so the change is the
    exponentiated difference of the two trimmed means of log ratios.  Interval: the
    union of Yuen's interval and a percentile bootstrap of that difference, as
    ``paired_speedup`` joins its t interval to its bootstrap: neither alone is trusted
    at the 4-8 pairs of a quick case (simulated, both keep a 4 vs 4 comparison of
    identical runs inside 1 about 95 % of the time; the union keeps it there when the
    noise is skewed or heavy-tailed).
    """
    old_logs = np.log(_positive(old_ratios, "old_ratios"))
    new_logs = np.log(_positive(new_ratios, "new_ratios"))
    _check_confidence(confidence)
    _check_resamples(resamples)
    if min(old_logs.size, new_logs.size) < 2:
        raise ValueError("a speed-up change needs at least 2 pairs on each side")
    centre, low, high = _yuen(old_logs, new_logs, confidence)
    varying = tuple(np.sort(x) for x in (old_logs, new_logs) if _varies(x))
    if len(varying) == 2:
        def difference(old: FloatArray, new: FloatArray, axis: int = -1) -> Any:
            return _trimmed_mean(new, axis=axis) - _trimmed_mean(old, axis=axis)

        b_low, b_high = _bootstrap_interval(varying, difference, confidence, resamples, seed, True)
        low, high = min(low, b_low), max(high, b_high)
    return float(np.exp(centre)), float(np.exp(low)), float(np.exp(high))


def efficiency(speedup: float, parallelism: float) -> float:
    """``speedup / parallelism``: 1.0 is perfect scaling, 0.5 means half of each worker wasted."""
    if not math.isfinite(speedup) or speedup <= 0:
        raise ValueError(f"speedup must be positive and finite, got {speedup}")
    if not math.isfinite(parallelism) or parallelism < 1:
        raise ValueError(f"parallelism must be >= 1, got {parallelism}")
    return speedup / parallelism
