"""A crashing, hanging or lying case never takes the run down, and nothing it started survives."""
from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from bench import storage
from bench.cli import main

PLUGINS = str(Path(__file__).parent / "plugins")


@pytest.fixture(autouse=True)
def plugins_importable(monkeypatch):
    monkeypatch.syspath_prepend(PLUGINS)
    monkeypatch.setenv("PYTHONPATH", PLUGINS)


def run_faults(tmp_path, fault: str, strategies: str, timeout: float = 60, extra: tuple[str, ...] = ()):
    out = tmp_path / "faults.json"
    code = main(["run", "--workload-module", "faulty", "--workloads", "faulty,square", "--strategies",
                 strategies, "--cores", "2", "--modes", "warm", "--set", f"faulty.fault={fault}",
                 "--set", "square.n=50", "--timeout", str(timeout), "--no-progress", "-o", str(out), *extra])
    assert code == 0
    return storage.load(out)


def by_strategy(results, workload="faulty"):
    return {r.case.strategy: r for r in results.cases if r.case.workload == workload}


def assert_rest_of_matrix_ran(results, honest_only=False):
    squares = [r for r in results.cases if r.case.workload == "square" and (not honest_only or r.case.is_serial)]
    assert squares and all(r.ok for r in squares), [r.error for r in squares]
    assert results.complete


@pytest.mark.parametrize("strategy", ["threads", "processes", "pool-map", "process-pool", "joblib"])
def test_a_task_that_raises_fails_its_case_with_the_reason(tmp_path, no_leaked_processes, strategy):
    results = run_faults(tmp_path, "raise", strategy)
    case = by_strategy(results)[strategy]
    assert not case.ok and "boom in task 1" in case.error
    assert by_strategy(results)["serial"].ok
    assert_rest_of_matrix_ran(results)


@pytest.mark.parametrize("fault,strategy", [
    ("exit", "processes"), ("exit", "pool-map"), ("exit", "pool-async"), ("exit", "process-pool"),
    ("exit", "joblib"), ("exit", "dask-processes"), ("kill", "processes"), ("kill", "pool-map"),
    ("kill", "joblib"),
])
def test_a_worker_that_dies_fails_its_case_without_hanging(tmp_path, no_leaked_processes, fault, strategy):
    results = run_faults(tmp_path, fault, strategy, timeout=60)
    case = by_strategy(results)[strategy]
    assert not case.ok
    assert "timed out" not in case.error, "a dead worker must be noticed, not waited out"
    assert_rest_of_matrix_ran(results)


def test_a_worker_thread_that_exits_the_process_is_a_dead_case(tmp_path, no_leaked_processes):
    results = run_faults(tmp_path, "exit", "threads")
    assert by_strategy(results)["threads"].error == "case process died (exit code 7)"
    assert_rest_of_matrix_ran(results)


def test_a_hung_case_is_killed_at_the_timeout(tmp_path, no_leaked_processes):
    results = run_faults(tmp_path, "hang", "pool-map,threads", timeout=4)
    for strategy in ("pool-map", "threads"):
        assert by_strategy(results)[strategy].error.startswith("timed out after 4 s"), strategy
    assert_rest_of_matrix_ran(results)


def test_out_of_memory_in_a_worker_is_a_failed_case(tmp_path, no_leaked_processes):
    results = run_faults(tmp_path, "memory", "process-pool")
    assert "MemoryError" in by_strategy(results)["process-pool"].error
    assert_rest_of_matrix_ran(results)


def test_wrong_results_are_a_failed_case(tmp_path, no_leaked_processes):
    results = run_faults(tmp_path, "wrong", "pool-map")
    assert by_strategy(results)["pool-map"].error == "results differ from serial: 1 of 4 wrong (first at index 1)"


def test_lying_strategies_are_failed_cases(tmp_path, no_leaked_processes):
    results = run_faults(tmp_path, "none", "reversing,dropping", extra=("--strategy-module", "faulty"))
    cases = by_strategy(results)
    assert "reordered" in cases["reversing"].error
    assert "1 of 4 missing" in cases["dropping"].error
    assert_rest_of_matrix_ran(results, honest_only=True)


def test_an_escaped_grandchild_does_not_outlive_the_run(tmp_path, no_leaked_processes):
    def sleepers():
        return {p.pid for p in psutil.process_iter(["cmdline"])
                if "time.sleep(600)" in " ".join(p.info["cmdline"] or [])}

    before = sleepers()
    run_faults(tmp_path, "orphan", "pool-map")
    assert sleepers() - before == set()


def test_a_nondeterministic_workload_is_named_as_such_not_blamed_on_each_strategy(tmp_path, no_leaked_processes):
    results = run_faults(tmp_path, "random", "threads")
    serial, threads = by_strategy(results)["serial"], by_strategy(results)["threads"]
    assert not serial.ok and "the workload is nondeterministic" in serial.error
    assert not threads.ok and "serial case failed" in threads.error
    assert_rest_of_matrix_ran(results)
