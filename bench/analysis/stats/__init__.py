"""Statistics for the harness, by subject: ``summary`` (summaries, bootstrap, speed-ups),
``regression`` (the compare test), ``scaling`` (Amdahl, USL).  This package re-exports their public names.

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

from bench.analysis.stats.regression import (
    MIN_COMPARE_VALUES,
    MIN_RUN_NOISE_CASES,
    Comparison,
    Verdict,
    between_processes,
    compare_rounds,
    compare_samples,
    familywise_z,
    mann_whitney_p,
    run_noise,
    with_run_noise,
)
from bench.analysis.stats.scaling import (
    AmdahlFit,
    TooFewPoints,
    USLFit,
    amdahl_speedup,
    fit_amdahl,
    fit_usl,
    karp_flatt,
    usl_speedup,
)
from bench.analysis.stats.summary import (
    PairedSpeedup,
    bootstrap_ci,
    efficiency,
    mad,
    median,
    pair_ratios,
    paired_halfwidth,
    paired_speedup,
    ratio_of_medians_ci,
    relative_mad,
    speedup,
    speedup_change,
    speedup_ci,
)
from bench.model import parallelism  # the rule lives with Case; re-exported here for the models

__all__ = [
    "AmdahlFit",
    "Comparison",
    "MIN_COMPARE_VALUES",
    "MIN_RUN_NOISE_CASES",
    "TooFewPoints",
    "USLFit",
    "Verdict",
    "amdahl_speedup",
    "bootstrap_ci",
    "between_processes",
    "compare_rounds",
    "compare_samples",
    "efficiency",
    "familywise_z",
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
    "run_noise",
    "speedup",
    "speedup_change",
    "speedup_ci",
    "usl_speedup",
    "with_run_noise",
]
