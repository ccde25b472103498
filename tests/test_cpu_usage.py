"""CPU time per cycle: invariants only (no speeds), on real tiny cycles."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bench.measure.cpu_usage import CycleUsage


def test_nothing_measured_gives_no_metrics():
    assert CycleUsage().metrics() == {}


def test_a_sleeping_cycle_uses_less_cpu_than_wall_time():
    usage = CycleUsage()
    cycle = usage.wrap(lambda: time.sleep(0.02))
    cycle()
    cycle()
    metrics = usage.metrics()
    assert usage.cycles == 2
    assert set(metrics) >= {"cpu_self_s", "cpu_children_s", "wall_s"}
    assert 0 <= metrics["cpu_self_s"] < metrics["wall_s"]
    assert metrics.get("cpu_wait_s", 0.0) >= 0


def test_children_cpu_time_is_counted(no_leaked_processes):
    usage = CycleUsage()
    usage.wrap(lambda: subprocess.run([sys.executable, "-c", "sum(range(10**6))"], check=True))()
    assert usage.metrics()["cpu_children_s"] > 0


def test_a_failing_cycle_is_still_counted_and_the_error_propagates():
    usage = CycleUsage()

    def boom():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        usage.wrap(boom)()
    assert usage.cycles == 1 and usage.metrics()["wall_s"] >= 0


# ------------------------------------------------------------------ TreeUsage: the whole process tree

from bench.measure.cpu_usage import (  # noqa: E402  # the TreeUsage half of this file starts here
    ProcCpu,
    TreeSnapshot,
    TreeUsage,
    own_delta,
    tree_delta,
    tree_metrics,
    wait_delta,
    workers_cpu,
)


def snap(procs=None, reaped=0.0, self_cpu=0.0, waits=None, steal=None):
    return TreeSnapshot(self_cpu=self_cpu, reaped_cpu=reaped, procs=procs or {}, waits=waits or {}, steal=steal)


def test_a_worker_alive_through_the_cycle_counts_its_delta():
    before = snap({(10, 1.0): ProcCpu(own=5.0, reaped=0.0)})
    after = snap({(10, 1.0): ProcCpu(own=5.4, reaped=0.1)})
    assert workers_cpu(before, after) == pytest.approx(0.5)  # 0.4 own + 0.1 of a child it reaped


def test_a_worker_born_in_the_cycle_counts_whole_and_one_reaped_in_it_counts_only_its_share():
    before = snap({(10, 1.0): ProcCpu(own=2.0, reaped=0.0)}, reaped=1.0)
    after = snap({(11, 9.0): ProcCpu(own=0.3, reaped=0.0)}, reaped=1.0 + 2.5)  # pid 10 reaped at 2.5 s CPU
    assert workers_cpu(before, after) == pytest.approx(0.3 + 0.5)


def test_a_cold_pool_started_and_reaped_inside_the_cycle_is_all_in_rusage_children():
    assert workers_cpu(snap(reaped=1.0), snap(reaped=1.8)) == pytest.approx(0.8)


def test_a_worker_gone_without_being_reaped_by_us_never_makes_cpu_negative():
    before = snap({(10, 1.0): ProcCpu(own=3.0, reaped=0.0)})
    assert workers_cpu(before, snap()) == 0.0


def test_a_reused_pid_is_another_process():
    before = snap({(10, 1.0): ProcCpu(own=3.0, reaped=0.0)}, reaped=0.0)
    after = snap({(10, 7.0): ProcCpu(own=0.2, reaped=0.0)}, reaped=3.1)
    assert workers_cpu(before, after) == pytest.approx(0.2 + 0.1)


def test_a_short_cycle_takes_the_threads_exact_times_not_the_10_ms_ticks():
    before = ProcCpu(own=1.00, reaped=0.0, threads={1: 0.604, 2: 0.400})
    after = ProcCpu(own=1.01, reaped=0.0, threads={1: 0.607, 2: 0.402})  # the ticks rolled over: +10 ms
    assert own_delta(before, after) == pytest.approx(0.005)
    assert workers_cpu(snap({(10, 1.0): before}), snap({(10, 1.0): after})) == pytest.approx(0.005)


def test_a_thread_that_ended_in_the_cycle_sends_the_reading_back_to_the_ticks():
    before = ProcCpu(own=0.80, reaped=0.0, threads={1: 0.5, 2: 0.3})
    after = ProcCpu(own=0.95, reaped=0.0, threads={1: 0.52})  # thread 2 ran 130 ms more, then ended
    assert own_delta(before, after) == pytest.approx(0.15)


def test_a_worker_born_in_the_cycle_counts_its_exact_threads_when_the_ticks_truncated_them():
    born = ProcCpu(own=0.0, reaped=0.0, threads={5: 0.004})
    assert workers_cpu(snap(), snap({(11, 9.0): born})) == pytest.approx(0.004)
    assert own_delta(None, born) == pytest.approx(0.004)


def test_wait_counts_live_threads_deltas_and_new_threads_whole():
    assert wait_delta({1: 1.0, 2: 2.0}, {1: 1.5, 3: 0.25}) == pytest.approx(0.75)


def test_tree_metrics_are_per_cycle_means_with_steal_only_when_always_known():
    deltas = [tree_delta(snap(self_cpu=0.0, steal=1.0), snap(self_cpu=0.2, reaped=0.4, steal=1.1)),
              tree_delta(snap(self_cpu=0.2), snap(self_cpu=0.6, reaped=0.2))]
    metrics = tree_metrics(deltas, [1.0, 2.0])
    assert metrics["cpu_self_s"] == pytest.approx(0.3) and metrics["cpu_workers_s"] == pytest.approx(0.3)
    assert metrics["cpu_total_s"] == pytest.approx(0.6) and metrics["wall_s"] == pytest.approx(1.5)
    assert "steal_s" not in metrics and metrics["wait_total_s"] == 0.0
    assert tree_metrics([], []) == {}


def _spin(n: int) -> int:
    return sum(i * i for i in range(n))


def test_tree_usage_sees_a_warm_pools_workers(no_leaked_processes):
    import multiprocessing

    usage = TreeUsage()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_spin, [10, 10])  # workers up before the cycle, like warm mode
        usage.before()
        pool.map(_spin, [200_000] * 4)
        usage.after(0.5)
    metrics = usage.metrics()
    assert metrics["cpu_workers_s"] > 0 and metrics["workers_seen"] >= 2
    assert metrics["cpu_total_s"] == pytest.approx(metrics["cpu_self_s"] + metrics["cpu_workers_s"])
    assert metrics["wait_total_s"] >= 0 and metrics["wall_s"] == 0.5


def test_tree_usage_never_raises_on_a_vanished_worker_or_an_unmatched_after(no_leaked_processes):
    usage = TreeUsage()
    usage.after(1.0)  # no before(): ignored
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    usage.before()
    child.kill()
    child.wait()
    usage.after(0.1)
    assert usage.metrics()["cpu_workers_s"] >= 0
