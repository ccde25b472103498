"""The case process's foreign-load reader, with fake /proc/stat, process tree and clock."""
from __future__ import annotations

import pytest

from bench import procstat
from bench.measure.cpu_usage import TreeSnapshot
from bench.measure.foreign_load import ForeignLoad

pytestmark = pytest.mark.unit
HZ = procstat.TICKS_PER_S


def ticks(cpu0: int, cpu1: int) -> dict[int, procstat.CpuTicks]:
    return {0: procstat.CpuTicks(busy=cpu0, steal=0), 1: procstat.CpuTicks(busy=cpu1, steal=0)}


def tree(cpu: float) -> TreeSnapshot:
    return TreeSnapshot(self_cpu=cpu, reaped_cpu=0.0, procs={}, waits={}, steal=None)


def reader(snapshots):
    it = iter(snapshots)
    return lambda: next(it)


def load_of(stats, trees, times, cpus=(0, 1)):
    return ForeignLoad(cpus=list(cpus), read=reader(stats), tree=reader(trees), clock=reader(times))


def test_busy_minus_our_own_tree_is_the_foreign_share_per_arm():
    # reference cycle: 1 s, cpus busy 1.5 core-s, ours 1.0 -> 0.5 foreign of 2.0;
    # case cycle: 1 s, cpus busy 2.0 core-s, ours 1.0 (two workers shared one CPU) -> 1.0 foreign
    load = load_of([ticks(0, 0), ticks(HZ, HZ // 2), ticks(HZ, HZ // 2), ticks(2 * HZ, 3 * HZ // 2)],
                   [tree(0.0), tree(1.0), tree(1.0), tree(2.0)], [0.0, 1.0, 1.0, 2.0])
    load.before()
    load.after("reference")
    load.before()
    load.after("case")
    metrics = load.metrics()
    assert metrics["ref_foreign_cpu_s"] == pytest.approx(0.5)
    assert metrics["ref_foreign_capacity_s"] == pytest.approx(2.0)
    assert metrics["foreign_cpu_s"] == pytest.approx(1.0)
    assert metrics["foreign_capacity_s"] == pytest.approx(2.0)


def test_tick_truncation_never_reads_a_negative_foreign_load():
    load = load_of([ticks(0, 0), ticks(9, 0)], [tree(0.0), tree(0.1)], [0.0, 0.1], cpus=(0,))
    load.before()
    load.after("case")
    assert load.metrics()["foreign_cpu_s"] == 0.0


def test_an_unreadable_proc_stat_counts_no_cycle_and_never_raises():
    load = load_of([None, None], [tree(0.0), tree(0.1)], [0.0, 0.1])
    load.before()
    load.after("case")
    assert load.metrics() == {}

    def broken():
        raise OSError("gone")
    failing = ForeignLoad(cpus=[0], read=broken, tree=broken)
    failing.before()
    failing.after("case")
    assert failing.metrics() == {}


def test_an_unmatched_after_is_ignored():
    load = load_of([], [], [])
    load.after("case")
    assert load.metrics() == {}
