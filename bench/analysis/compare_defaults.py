"""The regression gate's defaults and options, apart from its statistics.

``bench compare``'s argument parser and its option checks need these and nothing else;
importing them from ``bench.analysis.compare`` would load scipy and pandas (about a second)
for every ``bench`` command, ``--help`` and one-line errors included.
"""
from __future__ import annotations

from dataclasses import dataclass

METRICS = ("time", "speedup")
#: 6 %: see DEFAULT_THRESHOLD_WHY (also in the JSON output)
DEFAULT_THRESHOLD = 0.06
DEFAULT_THRESHOLD_WHY = (
    "The gate must pass a +2% change and catch a +10% one: 6% is their midpoint on the ratio scale "
    "(sqrt(1.02 x 1.10) = 1.059), about 4 points of margin for noise on each side. Measured on a shared "
    "2-core VM under load average 4-9 from other jobs: interleaved A/A runs (bench ab, 108 case "
    "comparisons of sleep, fib and square) had no significant time change and significant speed-up "
    "changes of 4% or less but one. In the sleep demonstration (5 series, sequential and interleaved), "
    "+2% comparisons reached significant changes of 5.0% and 5.9% (a 5% threshold raised two false "
    "alarms, 6% none) while the +10% comparisons still flagged 6-10 of their 10 cases at 6%. "
    "Sequential A/A runs on that loaded machine drifted by up "
    "to 12% (sleep, warm pools) and over 100% (ms-scale CPU-bound cases) between runs: no threshold that "
    "still catches 10% absorbs that, hence the load warning and bench ab. The whole 95% interval of the "
    "change must clear the threshold, not only its point estimate: interleaved A/A runs of the whole quick "
    "matrix (202 cases, 4-5 values each) had 1-2 chance cases per comparison with p < 0.05 and a median "
    "beyond 6%, whose intervals reached below 6%; in the sleep demonstration 7-10 of the 10 +10% cases per "
    "repetition still cleared it (the others were inconclusive), and the gate failed in every repetition."
)
DEFAULT_ALPHA = 0.05
#: output formats of ``bench compare`` (``bench.render.compare_text.RENDERERS`` has one each)
FORMATS = ("text", "md", "json")


@dataclass(frozen=True)
class CompareOptions:
    metric: str = "time"
    threshold: float = DEFAULT_THRESHOLD  # a fraction: 0.06 is 6 %
    alpha: float = DEFAULT_ALPHA
    resamples: int = 2000
    seed: int = 0
    #: accept a NEW that is incomplete, lacks BASE cases or has fewer ok cases (see coverage_problems)
    allow_missing: bool = False
    #: add the between-run noise read off the whole matrix to each case's interval (see add_run_noise)
    run_noise: bool = True

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {self.metric!r}")
        if not self.threshold >= 0:
            raise ValueError(f"threshold must be >= 0, got {self.threshold}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be strictly between 0 and 1, got {self.alpha}")


def pairs_to_reach(alpha: float = DEFAULT_ALPHA) -> int:
    """The fewest pairs whose two-sided signed-rank test can reach ``alpha`` (its smallest p is 2 / 2**n).

    Why: a paired gate that stopped at fewer (its interval already tight on a quiet machine)
    can only say "untested", and a gate that tested nothing fails: 6 pairs at alpha 0.05.
    """
    n = 1
    while 2.0 / 2 ** n >= alpha:
        n += 1
    return n
