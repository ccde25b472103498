"""CPU time per cycle: invariants only (no speeds), on real tiny cycles."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bench.cpu_usage import CycleUsage


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
