"""Foreign load judged: the threshold on simulated series, the words, the quiet probe."""
from __future__ import annotations

import random

import pytest

from bench import procstat
from bench.machine import foreign

pytestmark = pytest.mark.unit


def simulated_shares(neighbour: float, n: int, seed: int) -> list[float]:
    """Per-case foreign shares: a neighbour's share plus quiet noise (kernel threads, the runner)
    and 10 ms tick truncation of 2 s of 2-core capacity, as read on this VM."""
    rng = random.Random(seed)
    return [max(0.0, neighbour + abs(rng.gauss(0.015, 0.012)) + rng.uniform(-0.005, 0.005)) for _ in range(n)]


def test_the_threshold_flags_a_neighbour_on_one_of_two_cpus_and_not_quiet_noise():
    quiet = simulated_shares(0.0, 500, seed=1)
    busy = simulated_shares(0.5, 500, seed=2)  # `bench noise --cpu 0` during a 2-core case
    straddling = simulated_shares(0.2, 500, seed=3)  # the neighbour on for 40 % of the case
    flagged = lambda shares: sum(s > foreign.THRESHOLD for s in shares) / len(shares)  # noqa: E731 (a one-line rule)
    assert flagged(quiet) <= 0.05
    assert flagged(busy) == 1.0
    assert flagged(straddling) == 1.0


def test_either_arm_disturbs_a_case_and_nothing_measured_is_unknown():
    assert foreign.ForeignLoad(0.02, 0.40, (0, 1)).disturbed is True
    assert foreign.ForeignLoad(0.40, None, (0,)).disturbed is True
    assert foreign.ForeignLoad(0.02, 0.03, (0, 1)).disturbed is False
    assert foreign.ForeignLoad(None, None, ()).disturbed is None


def test_of_case_reads_the_stored_metrics_and_the_affinity():
    load = foreign.of_case({"foreign_cpu_s": 0.96, "foreign_capacity_s": 2.0, "ref_foreign_cpu_s": 0.1,
                            "ref_foreign_capacity_s": 2.0}, {"affinity": "0,1"})
    assert load == foreign.ForeignLoad(pytest.approx(0.48), pytest.approx(0.05), (0, 1))
    assert foreign.words(load) == "another process used 48 % of cores 0-1 during this case"
    assert foreign.words(foreign.ForeignLoad(0.01, 0.01, (0, 1))) == ""
    assert foreign.share(1.0, 0.0) is None and foreign.share(None, 2.0) is None


def test_cpus_are_named_as_a_reader_would():
    assert foreign.cpus_label([0]) == "core 0"
    assert foreign.cpus_label([1, 0]) == "cores 0-1"
    assert foreign.cpus_label([0, 2, 5]) == "cores 0,2,5"
    assert foreign.parse_cpus("x,1") == ()


def test_probe_share_is_the_busy_share_over_its_window():
    snapshots = iter([{0: procstat.CpuTicks(0, 0), 1: procstat.CpuTicks(0, 0)},
                      {0: procstat.CpuTicks(procstat.TICKS_PER_S // 2, 0), 1: procstat.CpuTicks(0, 0)}])
    slept = []
    found = foreign.probe_share([0, 1], 0.5, read=lambda: next(snapshots), sleep=slept.append)
    assert slept == [0.5] and found == pytest.approx(0.5)
    assert foreign.probe_share([0], 0.5, read=lambda: None, sleep=lambda s: None) is None


def test_a_cycle_too_short_for_clock_ticks_is_not_judged():
    """square's 59 us cycles offer a fraction of one 10 ms tick: any share read there is a tick's artefact."""
    from bench.machine.foreign import RESOLVABLE_S, share

    assert share(0.5 * RESOLVABLE_S, 0.9 * RESOLVABLE_S) is None
    assert share(0.01, 2 * RESOLVABLE_S) == pytest.approx(0.1)
