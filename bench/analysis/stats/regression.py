"""The regression test of `bench compare`: Mann-Whitney U plus the ratio of medians (pure)."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal, Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from bench.analysis.compare_defaults import pairs_to_reach
from bench.analysis.stats._checks import Seed, _finite, _positive
from bench.analysis.stats.summary import paired_speedup, ratio_of_medians_ci, speedup_change

Verdict = Literal["regression", "improvement", "inconclusive", "unchanged"]

#: fewest values per side for which ``compare_samples`` runs a significance test at all
MIN_COMPARE_VALUES = 3
#: without ties, use the exact Mann-Whitney distribution up to this many values in total
_EXACT_MWU_LIMIT = 100
#: with ties, enumerate all label permutations when there are at most this many
_PERMUTATION_LIMIT = 20_000


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
    #: the between-run noise (sd of a log change) added to the interval; 0: the within-run interval alone
    run_noise: float = 0.0


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
    pair_ratios: bool = False,
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

    With ``pair_ratios`` (both samples are paired speed-ups, one ratio per pair) the
    ratio and its interval are ``speedup_change``'s: the statistic the report shows
    (trimmed geometric mean), with an interval that stays honest at 4 pairs a side.

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
    if pair_ratios and min(old_values.size, new_values.size) >= 2:
        ratio, low, high = speedup_change(old_values, new_values, 1.0 - alpha, resamples, rng)
    else:
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


def _signed_rank_p(logs: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p of log ratios around 0 (1.0 when none differs from 0)."""
    if not np.any(logs != 0):
        return 1.0
    return float(stats.wilcoxon(logs).pvalue)


def compare_rounds(base: ArrayLike, new: ArrayLike, alpha: float = 0.05, threshold: float = 0.05,
                   resamples: int = 2000, seed: Seed = 0, *, higher_is_better: bool = False,
                   processes: Sequence[int] | None = None) -> Comparison:
    """``compare_samples`` for two series measured in the same rounds (both sides of one `bench ab` case).

    Value i of BASE and value i of NEW were measured one after the other (A B, B A, ...),
    so each pair shares the machine's state: the change is over the pairs, as a speed-up
    is over its (reference, case) pairs.  ``ratio`` is the trimmed geometric mean of
    ``new[i] / base[i]`` with ``paired_speedup``'s interval; ``p_value`` a two-sided
    Wilcoxon signed-rank test of the log ratios; the verdict is ``_verdict``'s, as for
    independent samples.  Why: on a 2-core machine at load average 10 a 4 ms task's
    values spread over 15-120 ms, which hides a 10 % change from any test of the two
    series apart, while the pairs, each measured within a few milliseconds, still see it.
    With ``higher_is_better`` the two series are each round's speed-ups (reference / case).

    ``processes``: how the rounds split over the fresh process pairs that measured them
    (``[n1, n2, ...]`` in order).  A pair's rounds share its processes' luck, which no
    interval over rounds can see; the interval is then also at least ``between_processes``'.
    """
    old_values, new_values = _positive(base, "base"), _positive(new, "new")
    if old_values.size != new_values.size:
        raise ValueError(f"paired series must be as long: {old_values.size} and {new_values.size} values")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha}")
    paired = paired_speedup(new_values, old_values, 1.0 - alpha, resamples, seed)  # the ratio new / old
    n = int(old_values.size)
    reason = (f"{n} pairs can never reach alpha={alpha:g} (smallest signed-rank p {2.0 / 2 ** n:.3g})"
              if n < max(2, pairs_to_reach(alpha)) else None)
    p_value = _signed_rank_p(np.log(new_values / old_values)) if n >= MIN_COMPARE_VALUES else None
    low, high = paired.low, paired.high
    spread = between_processes(np.log(new_values / old_values), processes, 1.0 - alpha)
    if spread is not None:
        low, high = min(low, spread[0]), max(high, spread[1])
    significant = p_value is not None and p_value < alpha and not low <= 1.0 <= high
    return Comparison(ratio=paired.speedup, ratio_ci_low=low, ratio_ci_high=high, p_value=p_value,
                      significant=significant, change=paired.speedup - 1.0,
                      verdict=_verdict(paired.speedup, (low, high), significant, threshold, higher_is_better),
                      reason=reason, n_base=n, n_new=n, median_base=float(np.median(old_values)),
                      median_new=float(np.median(new_values)), alpha=alpha, threshold=threshold,
                      higher_is_better=higher_is_better)


def between_processes(logs: np.ndarray, processes: Sequence[int] | None,
                      confidence: float) -> tuple[float, float] | None:
    """A t interval (as a ratio) over the process pairs' own mean log ratios; None with one pair or no split.

    Why: each side of a `bench ab` case runs in fresh processes, and a process carries luck of
    its own (where its memory and code landed, which core its pool got): measured on the
    2-core VM here, a 3 % slower pure-Python task read +0.7 %, +4.6 % and +9.1 % [+6.0 %, +12.2 %]
    in three gates, each interval over its rounds far narrower than that spread.  The
    process pair is then the unit that repeats, and its mean is what varies from gate to gate.
    """
    if not processes or len(processes) < 2 or sum(processes) != logs.size or min(processes) < 1:
        return None
    means = np.array([chunk.mean() for chunk in np.split(logs, np.cumsum(processes)[:-1])])
    t = float(stats.t.ppf(0.5 + confidence / 2.0, means.size - 1))
    half = t * float(means.std(ddof=1)) / math.sqrt(means.size)
    return math.exp(float(means.mean()) - half), math.exp(float(means.mean()) + half)


#: fewer tested cases than this and the between-run noise is not estimated: a MAD of a handful says little
MIN_RUN_NOISE_CASES = 20


def run_noise(ratios: ArrayLike) -> float:
    """The between-run noise of one case's change, read off every case of the matrix: sd of log(ratio).

    Two runs made one after the other differ by more than any case's own values can show:
    the machine's parallel capacity moves between runs (on the 2-core VM here the calibrated
    2-core ceiling read x1.25, x1.75 and x1.49 in three quick runs 5 minutes apart), and a
    case's speed-up moves with it.  Most cases of a matrix did not change, so the spread of
    all the cases' log changes is an estimate of that noise (Efron's empirical null for
    large-scale testing): 1.4826 x their MAD, about their median, so that a few real changes
    do not inflate it and a change of every case alike (a slower machine, a +10 % workload)
    does not hide itself.
    """
    logs = np.log(_positive(ratios, "ratios"))
    return float(1.4826 * np.median(np.abs(logs - np.median(logs))))


def familywise_z(alpha: float, tests: int) -> float:
    """Normal quantile that keeps ``tests`` cases together at ``alpha`` (Bonferroni, two-sided)."""
    return float(stats.norm.ppf(1.0 - alpha / (2.0 * max(tests, 1))))


def with_run_noise(comparison: Comparison, sigma: float, z: float) -> Comparison:
    """``comparison`` with ``z * sigma`` of between-run noise added to its interval, verdict redone.

    In log space and in quadrature: the within-run half-width on each side and the
    between-run one are independent sources.  ``z`` is ``familywise_z`` for the matrix: the
    noise is one draw per case, and a gate over 200 cases at 5 % each would fail an
    unchanged matrix most of the time.
    """
    centre, spread = math.log(comparison.ratio), z * sigma
    low = math.exp(centre - math.hypot(centre - math.log(comparison.ratio_ci_low), spread))
    high = math.exp(centre + math.hypot(math.log(comparison.ratio_ci_high) - centre, spread))
    p_value = comparison.p_value
    significant = p_value is not None and p_value < comparison.alpha and not low <= 1.0 <= high
    verdict = _verdict(comparison.ratio, (low, high), significant, comparison.threshold, comparison.higher_is_better)
    return replace(comparison, ratio_ci_low=low, ratio_ci_high=high, significant=significant, verdict=verdict,
                   run_noise=sigma)
