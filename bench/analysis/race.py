"""Racing: which cases can still change the verdict, and so deserve the budget's next pairs.  Pure.

Adaptive tuners time every candidate coarsely and re-time only the ones that can
still win (racing, successive halving, LUCB best-arm identification).  Here the
question is per workload and core count: which strategy is fastest, and does it
beat serial at all?  So after every case has its minimum pairs, a case stays *in
the race* while

- its interval overlaps the best case's (it may be the best, or tie with it), or
- its interval straddles 1 (whether it beats serial at all is open);

(a case giving the best's answer, its cold or warm twin, overlaps without competing: it
takes pairs until it is precise, and never holds a verdict open);

a case whose interval is within ``target`` (relative half-width) has its answer
("precision"); a case clear of both is "out of the race" and stops at its minimum;
a race whose best interval lies below 1 is settled (serial wins, whichever case is best);
one still in the race when the time ran out stopped on the "budget".

A case that truly is the best is dropped only when its interval lies wholly below
another's, which needs one of two 95 % intervals to miss its truth on one side:
tests/test_race.py measures the true best kept in >= 97 % of seeded trials.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from scipy import stats

from bench.analysis.plan import sitting_pairs

OUT, PRECISION, BUDGET = "out of the race", "precision", "budget"


@dataclass(frozen=True)
class Runner:
    """One parallel case in a race: its paired speed-up so far and what one more pair costs."""

    key: str
    group: str  # workload instance and core count: cases race only within one
    speedup: float
    low: float
    high: float
    n_pairs: int
    pair_s: float = 0.0  # one more (reference, case) pair, seconds
    #: the answer the verdict would give for it (strategy and workers): cold and warm of one answer do not race
    answer: str = ""
    fixed_s: float = 0.0  # what one more process costs beyond its pairs (start-up, pool, warm-ups)

    @property
    def halfwidth(self) -> float:
        """Relative half-width of the interval (inf when there is none yet)."""
        if not (self.speedup > 0 and math.isfinite(self.low) and math.isfinite(self.high)):
            return math.inf
        return (self.high - self.low) / 2.0 / self.speedup


def best(runners: Sequence[Runner]) -> Runner:
    """The case with the highest speed-up estimate (ties: the narrower interval)."""
    return max(runners, key=lambda r: (r.speedup, -r.halfwidth))


def overlaps(a: Runner, b: Runner) -> bool:
    return a.low <= b.high and b.low <= a.high


def straddles_one(r: Runner) -> bool:
    return r.low <= 1.0 <= r.high


def in_race(runner: Runner, leader: Runner) -> bool:
    """Can this case still change the verdict: tie with or beat the leader, or be on either side of serial?"""
    return runner.key == leader.key or (overlaps(runner, leader) and not same_answer(runner, leader)) \
        or straddles_one(runner)


def same_answer(a: Runner, b: Runner) -> bool:
    return bool(a.answer) and a.answer == b.answer


def contends(runner: Runner, leader: Runner) -> bool:
    """A contender of the verdict: in the race, or the leader's own answer overlapping it (cold or warm twin)."""
    return in_race(runner, leader) or overlaps(runner, leader)


def verdict_contenders(runners: Sequence[Runner]) -> list[Runner]:
    """Every race's contenders of its verdict: its leader, and the cases that contend with it (``contends``)."""
    return [r for members in groups(runners).values() for r in members if contends(r, best(members))]


def groups(runners: Iterable[Runner]) -> dict[str, list[Runner]]:
    found: dict[str, list[Runner]] = {}
    for runner in runners:
        found.setdefault(runner.group, []).append(runner)
    return found


def status(runners: Sequence[Runner], target: float) -> dict[str, str]:
    """Each case's standing now: "precision", "out of the race", or "budget" (in the race, not precise yet)."""
    found: dict[str, str] = {}
    for members in groups(runners).values():
        leader = best(members)
        for r in members:
            if r.halfwidth <= target and _settled(r, leader, members):
                found[r.key] = PRECISION
            elif not contends(r, leader):
                found[r.key] = OUT
            else:
                found[r.key] = BUDGET
    return found


def _settled(r: Runner, leader: Runner, members: Sequence[Runner]) -> bool:
    """Precise enough to stop: its pair with the leader decided (the leader: with every challenger).

    A precise challenger of a leader still wide stops: the leader's pairs decide it.
    """
    if r.key != leader.key:
        return leader.halfwidth > r.halfwidth or r not in challengers(leader, members) or decide(leader, r).decided
    return all(decide(leader, o).decided for o in challengers(leader, members))


def contenders(runners: Sequence[Runner], target: float) -> list[Runner]:
    """The cases that want more pairs, the most useful first.

    Useful: the most interval narrowed per second of a race process first
    (``narrowing_per_s``), a settled race's cases once within ``SETTLED_READABLE``
    (their verdict stands; more pairs only sharpen their speed-ups) and a case in the race only for straddling 1, clear
    of the leader (whether it beats serial does not change which case is best: threads
    on addweighted, x0.97 [0.90, 1.05] beside the leader's x1.26 [1.18, 1.33], took 11
    race processes while the leader stayed at +-6 %) at a quarter of theirs: the widest at first, so
    the leader and its closest challengers narrow together (LUCB's pair), but a case
    whose pairs cost a tenth of another's is not left wide while the costly one
    crawls (a quick run spent its race on ocr's 1.5 s processes while fib's
    contenders, 0.4 s a process, stayed at 3 pairs and +-12 %).
    """
    standing = status(runners, target)
    by_group = groups(runners)
    leaders = {group: best(members) for group, members in by_group.items()}
    settled = {group for group, members in by_group.items() if not is_open(members)}
    wanted = [r for r in runners if standing[r.key] == BUDGET]

    def worth(r: Runner) -> float:
        aside = not overlaps(r, leaders[r.group]) or (r.group in settled and r.halfwidth <= SETTLED_READABLE)
        return narrowing_per_s(r) * (SETTLED_WEIGHT if aside else 1.0)

    return sorted(wanted, key=lambda r: (-worth(r), -r.halfwidth, r.key))


#: a settled race's cases (its verdict stands), and a case racing only to tell whether it beats serial, count this
#: much of their narrowing per second: they go after the open races' contenders unless their pairs are far cheaper
#: (square's 12 pairs cost a tenth of a second; left for last, its contenders stayed at +-10-30 % while the race
#: spent 28 s on ocr's and addweighted's open ones)
SETTLED_WEIGHT = 0.25
#: ... but a settled race's contenders race at full weight while wider than this: a decided verdict's speed-up is
#: still what the user reads (addweighted's "use threads", x1.23 +-6.3 % at 25 pairs, waited behind ocr's open race
#: for the 14 pairs, 0.8 s, that would have made it +-5 %)
SETTLED_READABLE = 0.05


def narrowing_per_s(r: Runner) -> float:
    """How much of its relative half-width one more race process takes off, per second it costs.

    The half-width goes as t(n - 1) / sqrt(n) at today's spread, so a case at 3 pairs
    (t = 4.3) narrows far faster per pair than one at 20.  Without costs (0 s), the
    narrowing alone.
    """
    if r.n_pairs < 2 or not math.isfinite(r.halfwidth):
        return math.inf
    k = sitting_pairs(r.pair_s, r.fixed_s)
    narrowed = r.halfwidth * (1.0 - _t_width(r.n_pairs + k) / _t_width(r.n_pairs))
    cost = k * r.pair_s + r.fixed_s
    return narrowed / cost if cost > 0 else narrowed


@functools.lru_cache(maxsize=None)
def _t_width(n: int) -> float:
    """t(n - 1) / sqrt(n): a 95 % interval's half-width from n pairs, in units of their spread (cached: the race
    ranks every case before each process)."""
    return float(stats.t.ppf(0.975, n - 1)) / math.sqrt(n)


def is_open(members: Sequence[Runner]) -> bool:
    """Whether a race can still change its verdict: a challenger in it, or the leader on both sides of serial."""
    leader = best(members)
    if serial_wins(leader):
        return False
    return straddles_one(leader) or any(r.key != leader.key and in_race(r, leader) for r in members)


def serial_wins(leader: Runner) -> bool:
    """Even the best parallel case's interval lies below 1: the verdict is serial, whichever case is best.

    Such a race is settled: its cases get pairs only after the open races (square's x0.09 cases,
    the widest of a quick run, took 33 of its 66 race processes while fib's and addweighted's
    verdicts were still open).
    """
    return leader.high < 1.0


def challengers(leader: Runner, members: Sequence[Runner]) -> list[Runner]:
    """The cases that could take the verdict from the leader: overlapping it, with another answer."""
    return [o for o in members if o.key != leader.key and overlaps(o, leader)
            and not (o.answer and o.answer == leader.answer)]


# ------------------------------------------------------------ is the verdict decided?

#: two cases whose intervals both lie within this much of each other are a tie: either answer is right
TIE_MARGIN = 0.05


@dataclass(frozen=True)
class Decision:
    """Whether the best case is known: clear of the runner-up, a stated tie, or how far from either."""

    decided: bool
    words: str
    more_s: float = 0.0  # about how many more seconds of pairs would decide it (0 when decided)


def decide(leader: Runner, runner_up: Runner | None, tie_margin: float = TIE_MARGIN) -> Decision:
    """The best's interval clear of the runner-up's, or both within ``tie_margin`` of each other."""
    if runner_up is None:
        return Decision(True, "decided: the only parallel case")
    if leader.low > runner_up.high:
        return Decision(True, "decided: the best's interval is clear of the runner-up's")
    if _tied(leader, runner_up, tie_margin):
        return Decision(True, f"decided: a tie, both within {tie_margin:.0%} of each other")
    more = more_seconds(leader, runner_up, tie_margin)
    if not math.isfinite(more):
        return Decision(False, "not decided in the budget")
    return Decision(False, f"not decided in the budget: about {_seconds(more)} more would decide it", more)


def _tied(a: Runner, b: Runner, margin: float) -> bool:
    """Equivalent within the margin (as TOST): the ratio's interval, from the two, inside 1 +- margin."""
    if not (a.speedup > 0 and b.speedup > 0 and math.isfinite(a.halfwidth) and math.isfinite(b.halfwidth)):
        return False
    gap = abs(math.log(a.speedup / b.speedup))
    return gap + math.hypot(a.halfwidth, b.halfwidth) <= math.log1p(margin)


def more_seconds(a: Runner, b: Runner, tie_margin: float = TIE_MARGIN) -> float:
    """Seconds of pairs that would separate the two intervals or show them tied, at today's spread.

    A half-width shrinks as 1/sqrt(pairs).  The two are separated once their
    half-widths add up to less than their gap (on the log scale), tied once the
    gap plus their combined half-width fits in the tie margin: whichever needs
    fewer pairs.  Each side's pairs are priced at its own pair's seconds, at least
    one more process's worth (RACE_PAIRS pairs) each while it is not decided.
    """
    if a.low > b.high or b.low > a.high or _tied(a, b, tie_margin):
        return 0.0
    gap = abs(math.log(a.speedup / b.speedup)) if a.speedup > 0 and b.speedup > 0 else 0.0
    wanted = max(gap / 2.0, (math.log1p(tie_margin) - gap) / math.sqrt(2.0))
    if wanted <= 0:
        return math.inf
    return sum(max(_pairs_for(r, wanted * 0.98), 3.0) * r.pair_s for r in (a, b))


def _pairs_for(r: Runner, halfwidth: float) -> float:
    """More pairs for ``r``'s interval to reach ``halfwidth``: n (h / wanted)^2 - n."""
    if r.halfwidth <= halfwidth:
        return 0.0
    if not math.isfinite(r.halfwidth) or r.n_pairs < 2:
        return math.inf
    return r.n_pairs * ((r.halfwidth / halfwidth) ** 2 - 1.0)


def _seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{math.ceil(seconds):.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def leaders(runners: Sequence[Runner]) -> Mapping[str, tuple[Runner, Runner | None]]:
    """Each group's best and runner-up (by estimate)."""
    found = {}
    for group, members in groups(runners).items():
        ranked = sorted(members, key=lambda r: (-r.speedup, r.halfwidth))
        found[group] = (ranked[0], ranked[1] if len(ranked) > 1 else None)
    return found
