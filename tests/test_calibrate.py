"""A tiny real calibration: its invariants hold, its workers are pinned and none outlives it.

What is truly invariant, whatever the load on this shared machine:
* the shape: per kind and k, ``repetitions`` rows of k positive per-copy times;
* the one-copy ceiling is exactly 1 (one copy against itself), with a spread around it;
* every ratio is positive and finite and lies within its own bootstrap interval and
  within the min-max of its repetitions;
* the ceiling used for judging is in (0, k]: it is the measured ratio clipped to k.
The *measured ratio* can exceed k when the one-copy repetitions were disturbed, so no
test asserts ratio <= k (or any speed), only the clipped value.
"""
from __future__ import annotations

import json
import math
import os

import psutil
import pytest

from bench import storage
from bench.cli import main
from bench.machine import calibrate, ceiling
from bench.machine.calibrate import CalibrationError, CalibrationPlan, Worker
from bench.model import BenchError

#: a zero budget stops after min_repetitions (3) of the 10 planned: the budget is tested too
TINY = CalibrationPlan("tiny", repetitions=10, target_seconds=0.01, spawn_repetitions=2, thread_repetitions=5,
                       budget_seconds=0.0, min_repetitions=3)
CPUS = sorted(os.sched_getaffinity(0))
TWO = [1, 2] if len(CPUS) >= 2 else [1]


@pytest.fixture(scope="module")
def tiny_calibration():
    return calibrate.calibrate(TWO, TINY)


@pytest.fixture
def small_arrays(monkeypatch):
    monkeypatch.setattr(calibrate, "triad_elements", lambda llc: 50_000)


# ---------------------------------------------------------------- pure helpers

@pytest.mark.parametrize("text, size", [("8192K", 8 * 2**20), ("32M", 32 * 2**20), ("1G", 2**30),
                                        ("512", 512), ("fast", None), ("", None)])
def test_parse_cache_size(text, size):
    assert calibrate.parse_cache_size(text) == size


def test_last_level_cache_is_positive_and_says_where_it_came_from():
    size, source = calibrate.last_level_cache(CPUS[0])
    assert size > 0 and source


def test_triad_arrays_are_four_times_the_cache_but_capped():
    assert 3 * 8 * calibrate.triad_elements(8 * 2**20) == pytest.approx(4 * 8 * 2**20, abs=24)
    assert 3 * 8 * calibrate.triad_elements(2**40) <= calibrate.MAX_WORKING_SET


def test_more_cores_than_the_affinity_mask_is_bad_input():
    with pytest.raises(BenchError, match="only"):
        calibrate.core_counts([len(CPUS) + 1], CPUS)
    assert calibrate.core_counts([2, 2], [0, 1]) == [1, 2]


# ---------------------------------------------------------------- the real thing

def test_tiny_calibration_invariants(tiny_calibration):
    cal = tiny_calibration
    assert cal["cores"] == TWO and cal["cpus"] == CPUS[: TWO[-1]]
    assert set(cal["cpu_placement"]) == {str(k) for k in TWO} and cal["cpu_topology"]  # bench.machine.topology
    assert cal["repetitions"] == TINY.min_repetitions  # the budget (0 s) cut the 10 planned
    for kind in ("cpu", "bandwidth"):
        for k in TWO:
            rows = cal["raw"][kind][str(k)]
            assert len(rows) == cal["repetitions"] and all(len(row) == k for row in rows)
            assert all(t > 0 for row in rows for t in row)
            c = cal["summary"][kind][str(k)]
            assert 0 < c["value"] <= k
            assert math.isfinite(c["ratio"]) and c["ratio"] > 0
            assert c["ci_low"] <= c["ratio"] <= c["ci_high"]
            assert c["low"] <= c["high"] and c["repetitions"] == cal["repetitions"]
        assert cal["summary"][kind]["1"]["value"] == 1.0


def test_tiny_calibration_reports_spawn_costs_with_spread(tiny_calibration):
    spawn = tiny_calibration["summary"]["spawn"]
    assert {"process_spawn", "thread"} <= set(spawn)
    assert any(name.startswith("process_") and name != "process_spawn" for name in spawn)  # the default
    for s in spawn.values():
        assert 0 < s["min_s"] <= s["median_s"] <= s["max_s"]
        assert s["ci_low_s"] <= s["median_s"] <= s["ci_high_s"]
    assert spawn["thread"]["n"] == TINY.thread_repetitions


def test_calibration_survives_the_results_file(tiny_calibration, tmp_path):
    run = storage.ResultSet(calibration=tiny_calibration)
    storage.save(run, tmp_path / "r.json")
    loaded = storage.load(tmp_path / "r.json").calibration
    assert ceiling.machine_ceilings(loaded) == ceiling.machine_ceilings(tiny_calibration)
    assert json.loads(json.dumps(tiny_calibration)) == tiny_calibration


def test_calibration_leaves_no_process_behind(no_leaked_processes, small_arrays):
    calibrate.calibrate([1], TINY)


def test_workers_are_pinned_to_one_cpu_each(no_leaked_processes, small_arrays):
    with calibrate.Workers(CPUS[:2], 1000) as workers:
        for worker, cpu in zip(workers, CPUS):
            assert psutil.Process(worker.proc.pid).cpu_affinity() == [cpu]
        assert all(t > 0 for t in calibrate.phase(workers, {"op": "spin", "n": 1000}))


def test_a_worker_error_is_one_line_and_nothing_leaks(no_leaked_processes):
    worker = Worker(CPUS[:1], 0)
    try:
        worker.wait_ready()
        worker.send({"op": "triad", "passes": 1})  # no arrays were allocated
        with pytest.raises(CalibrationError, match="unknown request"):
            worker.receive()
    finally:
        worker.close()


def test_a_dead_worker_is_reported_not_waited_for(no_leaked_processes):
    worker = Worker(CPUS[:1], 0)
    try:
        worker.wait_ready()
        worker.proc.kill()
        with pytest.raises(CalibrationError, match="died"):
            worker.receive(timeout=10)
    finally:
        worker.close()


# ---------------------------------------------------------------- commands

@pytest.fixture
def tiny_plans(monkeypatch, small_arrays):
    monkeypatch.setattr(calibrate, "BRIEF", TINY)
    monkeypatch.setattr(calibrate, "FULL", TINY)


def test_calibrate_command_prints_a_table_and_writes_json(tiny_plans, tmp_path, capsys, no_leaked_processes):
    assert main(["calibrate", "--cores", "1", "-o", str(tmp_path / "c.json")]) == 0
    out = capsys.readouterr().out
    assert "CPU ceiling" in out and "bandwidth ceiling" in out and "process (spawn)" in out
    assert "Topology: " in out
    assert json.loads((tmp_path / "c.json").read_text())["cores"] == [1]


def test_calibrate_command_json_format(tiny_plans, capsys):
    assert main(["calibrate", "--brief", "--cores", "1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["plan"] == "tiny"


def test_calibrate_command_bad_cores_is_one_line_exit_2(capsys):
    assert main(["calibrate", "--cores", str(len(CPUS) + 1)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def run_args(out, *extra):
    return ["run", "--workloads", "square", "--strategies", "threads", "--cores", "1", "--modes", "warm",
            "--set", "square.n=20", "--no-progress", "-o", str(out), *extra]


def test_bench_run_calibrates_first_and_resume_keeps_it(tiny_plans, tmp_path, monkeypatch, no_leaked_processes):
    monkeypatch.delenv("BENCH_NO_CALIBRATE")
    out = tmp_path / "run.json"
    assert main(run_args(out)) == 0
    first = storage.load(out)
    assert first.calibration["raw"]["cpu"]["1"] and first.calibration["plan"] == "tiny"
    assert all(r.metadata.get("bound") == "cpu" for r in first.cases)
    serial = next(r for r in first.cases if r.case.is_serial)
    assert {"cpu_self_s", "cpu_children_s", "wall_s"} <= set(serial.metrics)

    def must_not_run(*args, **kwargs):
        raise AssertionError("a resumed run with a calibration must not calibrate again")

    monkeypatch.setattr(calibrate, "calibrate", must_not_run)
    assert main(["run", "--resume", str(out), "--no-progress"]) == 0
    assert storage.load(out).calibration == first.calibration


def test_no_calibrate_and_bad_input_skip_calibration(tmp_path, monkeypatch):
    monkeypatch.delenv("BENCH_NO_CALIBRATE")

    def must_not_run(*args, **kwargs):
        raise AssertionError("calibrated although it should not")

    monkeypatch.setattr(calibrate, "calibrate", must_not_run)
    assert main(run_args(tmp_path / "bad.json", "--set", "square.nope=1")) == 2  # fails fast, before calibrating
    assert main(run_args(tmp_path / "skip.json", "--no-calibrate")) == 0
    assert storage.load(tmp_path / "skip.json").calibration == {}
