"""The racing rule on simulated cases (seeded): who stays in the race, and is the verdict decided?"""
from __future__ import annotations

import math

import numpy as np
import pytest

from bench.analysis import race
from bench.analysis.race import BUDGET, OUT, PRECISION, Runner, contenders, decide, status
from bench.analysis.stats import paired_speedup

pytestmark = pytest.mark.unit


def runner(key, speedup, halfwidth, n=4, group="fib@2", pair_s=0.3):
    return Runner(key, group, speedup, speedup * (1 - halfwidth), speedup * (1 + halfwidth), n, pair_s)


def test_clear_losers_are_out_and_overlapping_or_straddling_ones_stay():
    cases = [runner("best", 1.8, 0.1), runner("close", 1.7, 0.1), runner("far", 0.5, 0.1),
             runner("maybe-serial", 1.0, 0.1), runner("precise", 1.79, 0.01)]
    found = status(cases, target=0.03)
    assert found == {"best": BUDGET, "close": BUDGET, "far": OUT, "maybe-serial": BUDGET, "precise": PRECISION}
    assert [r.key for r in contenders(cases, 0.03)][0] in {"best", "close", "maybe-serial"}
    assert "far" not in {r.key for r in contenders(cases, 0.03)}


def test_cold_and_warm_of_one_answer_do_not_race_each_other_but_the_twin_is_made_precise():
    warm = Runner("pool-map/warm", "g", 1.8, 1.7, 1.9, 4, 0.3, answer="pool-map/2")
    cold = Runner("pool-map/cold", "g", 1.75, 1.65, 1.85, 4, 0.3, answer="pool-map/2")
    other = Runner("joblib/warm", "g", 1.5, 1.2, 1.75, 4, 0.3, answer="joblib/2")
    found = status([warm, cold, other], 0.01)
    assert found["pool-map/cold"] == BUDGET and found["joblib/warm"] == BUDGET  # a contender: it overlaps the best
    assert race.is_open([warm, cold, other]) and not race.is_open([warm, cold])  # only joblib holds the verdict open
    assert race.challengers(warm, [warm, cold, other]) == [other]
    precise = Runner("pool-map/cold", "g", 1.75, 1.74, 1.76, 40, 0.3, answer="pool-map/2")
    assert status([warm, precise], 0.01)["pool-map/cold"] == PRECISION
    below = Runner("pool-map/cold", "g", 1.4, 1.35, 1.45, 4, 0.3, answer="pool-map/2")
    assert status([warm, below], 0.01)["pool-map/cold"] == OUT


def test_the_race_narrows_where_a_second_buys_most():
    """Equal widths: the cheaper case first; a case at 3 pairs (t = 4.3) before an equally wide one at 20."""
    cheap, costly = runner("cheap", 1.8, 0.1, pair_s=0.05), runner("costly", 1.75, 0.1, pair_s=0.5)
    assert [r.key for r in contenders([costly, cheap], 0.01)] == ["cheap", "costly"]
    young, old = runner("young", 1.8, 0.1, n=3), runner("old", 1.75, 0.1, n=20)
    assert [r.key for r in contenders([old, young], 0.01)] == ["young", "old"]
    assert race.narrowing_per_s(runner("x", 1.8, 0.1, n=3)) > race.narrowing_per_s(runner("x", 1.8, 0.05, n=3)) > 0
    fixed = Runner("f", "g", 1.8, 1.62, 1.98, 4, 0.3, fixed_s=3.0)
    assert race.narrowing_per_s(fixed) < race.narrowing_per_s(runner("f", 1.8, 0.1))


def test_races_are_per_workload_and_core_count():
    cases = [runner("a", 1.8, 0.05, group="fib@2"), runner("b", 0.9, 0.05, group="fib@2"),
             runner("c", 1.0, 0.05, group="fib@1"), runner("d", 0.5, 0.05, group="fib@1")]
    found = status(cases, 0.01)
    assert found["b"] == OUT and found["c"] == BUDGET  # c leads its own race


def test_the_widest_contender_goes_first():
    cases = [runner("a", 1.8, 0.05), runner("b", 1.75, 0.2), runner("c", 1.7, 0.1)]
    assert [r.key for r in contenders(cases, 0.01)] == ["b", "c", "a"]


def test_open_races_go_before_the_leaders_of_settled_ones_once_those_read_well():
    settled = [runner("alone", 1.5, 0.045, group="addweighted@2"), runner("far", 0.5, 0.1, group="addweighted@2")]
    open_ = [runner("a", 1.8, 0.04, group="fib@2"), runner("b", 1.75, 0.04, group="fib@2")]
    assert race.is_open(open_) and not race.is_open(settled)
    order = [r.key for r in contenders(settled + open_, 0.01)]
    assert set(order[:2]) == {"a", "b"} and order[2:] == ["alone"]  # though "alone" is the widest
    cheap = [runner("alone", 1.5, 0.045, group="addweighted@2", pair_s=0.003), settled[1]]  # far cheaper
    assert [r.key for r in contenders(cheap + open_, 0.01)][0] == "alone"
    wide = [runner("alone", 1.5, 0.15, group="addweighted@2"), settled[1]]  # its speed-up not readable yet
    assert [r.key for r in contenders(wide + open_, 0.01)][0] == "alone"


def test_a_case_racing_only_to_beat_serial_waits_for_the_leaders_contenders():
    """Straddling 1 clear of the leader keeps a case in the race, but which case is best does not hang on it."""
    cases = [runner("best", 1.3, 0.05), runner("close", 1.25, 0.05), runner("maybe-serial", 1.0, 0.06)]
    assert status(cases, 0.01)["maybe-serial"] == BUDGET
    assert [r.key for r in contenders(cases, 0.01)][-1] == "maybe-serial"  # though it is the widest


def test_a_race_that_serial_wins_is_settled_and_waits_for_the_open_ones():
    """Every parallel interval below 1: the verdict is serial whichever case is best."""
    lost = [runner("alone", 0.09, 0.045, group="square@2"), runner("close", 0.088, 0.045, group="square@2")]
    open_ = [runner("a", 1.8, 0.04, group="fib@2"), runner("b", 1.75, 0.04, group="fib@2")]
    assert not race.is_open(lost)
    order = [r.key for r in contenders(lost + open_, 0.01)]
    assert set(order[:2]) == {"a", "b"} and set(order[2:]) == {"alone", "close"}  # though both are wider
    maybe = [runner("alone", 0.9, 0.2, group="square@2")]  # reaches 1: does it beat serial at all?
    assert race.is_open(maybe)


def _simulated(truth, n, sd, rng):
    """Paired cycles with a true speed-up and log-normal pair noise (10 % sd: this VM's pairs)."""
    reference = rng.lognormal(math.log(0.15), 0.05, n)
    case = reference / truth * np.exp(rng.normal(0.0, sd, n))
    return list(reference), list(case)


def _race_once(truths, rng, minimum=3, more=3, rounds=20, sd=0.10, target=0.03):
    """Every case its minimum, then ``rounds`` times ``more`` pairs for the first contender; the final standing."""
    pairs = {i: _simulated(t, minimum, sd, rng) for i, t in enumerate(truths)}
    known: dict[tuple[int, int], Runner] = {}

    def runners():
        for i, (ref, case) in pairs.items():
            if (i, len(ref)) not in known:
                p = paired_speedup(ref, case, resamples=200, seed=len(ref))
                known[i, len(ref)] = Runner(str(i), "g", p.speedup, p.low, p.high, p.n, 0.3)
        return [known[i, len(ref)] for i, (ref, _) in pairs.items()]

    for _ in range(rounds):
        wanted = contenders(runners(), target)
        if not wanted:
            break
        i = int(wanted[0].key)
        ref, case = _simulated(truths[i], more, sd, rng)
        pairs[i] = (pairs[i][0] + ref, pairs[i][1] + case)
    return status(runners(), target), {i: len(p[0]) for i, p in pairs.items()}


def test_a_true_best_is_kept_in_the_race_in_at_least_97_percent_of_seeded_trials():
    """It never stops a case that could still win: the true best is out only when an interval misses."""
    truths = [1.85, 1.75, 1.6, 1.2, 0.9, 0.4]
    kept, trials = 0, 200
    spent_on_losers = []
    for seed in range(trials):
        standing, n = _race_once(truths, np.random.default_rng(seed))
        kept += standing["0"] != OUT
        spent_on_losers.append(n[5])
    assert kept / trials >= 0.97
    # and the budget went to the answer: the clear loser (x0.4) stays at its minimum
    assert np.median(spent_on_losers) == 3


def test_decided_when_clear_or_tied_and_otherwise_says_how_much_more():
    assert decide(runner("a", 2.0, 0.02), runner("b", 1.5, 0.02)).decided
    tie = decide(runner("a", 1.80, 0.01), runner("b", 1.79, 0.01))
    assert tie.decided and "tie" in tie.words
    open_ = decide(runner("a", 1.8, 0.1, n=4, pair_s=0.3), runner("b", 1.7, 0.1, n=4, pair_s=0.3))
    assert not open_.decided and open_.more_s > 0
    assert "not decided in the budget: about" in open_.words and "more would decide it" in open_.words
    # twice the half-width needs four times the pairs: the estimate grows with the square
    wider = decide(runner("a", 1.8, 0.2, n=4, pair_s=0.3), runner("b", 1.7, 0.2, n=4, pair_s=0.3))
    assert wider.more_s > 3.5 * open_.more_s
    assert decide(runner("a", 1.8, 0.1), None).decided


def test_more_seconds_is_zero_for_intervals_already_narrow_enough():
    assert race.more_seconds(runner("a", 2.0, 0.01), runner("b", 1.0, 0.01)) == 0.0
