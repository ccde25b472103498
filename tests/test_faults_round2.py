"""Faults, round two: pickling mistakes, cases that cannot exit, a killed runner (real subprocesses)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from bench import storage
from bench.cli import main
from bench.execute.runner import LINGERED_NOTE

PLUGINS = str(Path(__file__).parent / "plugins")


@pytest.fixture(autouse=True)
def plugins_importable(monkeypatch):
    monkeypatch.syspath_prepend(PLUGINS)
    monkeypatch.setenv("PYTHONPATH", PLUGINS)


def run_case(tmp_path, workload: str, strategy: str, fault: str = "none", workers: str = "1",
             timeout: float = 60) -> storage.ResultSet:
    out = tmp_path / f"{uuid.uuid4().hex}.json"
    sets = ["--set", f"faulty.fault={fault}"] if workload == "faulty" else []
    main(["run", "--workload-module", "faulty", "--workloads", workload, "--strategies", f"serial,{strategy}",
          "--cores", "1", "--workers", workers, "--modes", "warm", *sets, "--timeout", str(timeout),
          "--no-progress", "--no-single-worker", "-o", str(out)])
    return storage.load(out)


def case_of(results: storage.ResultSet, strategy: str):
    return next(r for r in results.cases if r.case.strategy == strategy)


# ---------------------------------------------------------------- item 1: pickling mistakes

@pytest.mark.parametrize("workload,fault,strategy,workers,message", [
    ("lambdatask", "none", "processes", "1",
     "NotPicklable: task function LambdaTask.<lambda> cannot be pickled, which strategy processes needs "
     "(PicklingError: Can't pickle <function LambdaTask.<lambda>"),
    ("lambdatask", "none", "process-pool", "1",
     "NotPicklable: task function LambdaTask.<lambda> cannot be pickled, which strategy process-pool needs"),
    ("faulty", "lock", "pool-map", "1",
     "NotPicklable: task 0 cannot be pickled, which strategy pool-map needs (TypeError: cannot pickle "
     "'_thread.lock' object): make tasks plain data (no locks, open files or lambdas), or use a thread strategy "
     "(threads, dask-threads)"),
    ("faulty", "lock", "joblib", "2", "NotPicklable: task 0 cannot be pickled, which strategy joblib needs"),
    ("faulty", "unpicklable", "processes", "1",
     "NotPicklable: a task's result cannot be pickled to come back from the worker (AttributeError: Can't pickle "
     "local object 'faulty_task.<locals>.<lambda>'): return plain data (numbers, strings, lists, arrays), "
     "or use a thread strategy (threads, dask-threads)"),
])
def test_a_pickling_mistake_fails_its_case_at_once_with_the_reason(tmp_path, no_leaked_processes, workload, fault,
                                                                   strategy, workers, message):
    results = run_case(tmp_path, workload, strategy, fault, workers)
    case = case_of(results, strategy)
    assert not case.ok and case.error.startswith(message), case.error
    assert "timed out" not in case.error
    assert case_of(results, "serial").ok and results.complete


def test_the_message_says_to_define_the_task_at_module_level(tmp_path, no_leaked_processes):
    case = case_of(run_case(tmp_path, "lambdatask", "processes"), "processes")
    assert case.error.endswith("define the task at module level, or use a thread strategy (threads, dask-threads)")


def test_a_result_that_cannot_be_fingerprinted_fails_serial_plainly(tmp_path, no_leaked_processes):
    serial = case_of(run_case(tmp_path, "faulty", "threads", "lambda"), "serial")
    assert serial.error.startswith("ResultNotComparable: the result of task 0 (a function) cannot be compared "
                                   "between strategies: pickle cannot encode it"), serial.error


# ---------------------------------------------------------------- item 2: an answer whose process cannot exit

def test_a_complete_answer_is_taken_when_its_process_cannot_exit(tmp_path, no_leaked_processes):
    results = run_case(tmp_path, "faulty", "threads", "linger", timeout=60)
    for strategy in ("serial", "threads"):
        case = case_of(results, strategy)
        assert case.ok, case.error
        assert case.metadata["case_exit"] == LINGERED_NOTE
    assert results.complete
    assert not [t for p in psutil.process_iter() for t in [p] if _lingering(p)], "the lingering case was killed"


def _lingering(proc: psutil.Process) -> bool:
    try:
        return "bench.entrypoints.case_process" in " ".join(proc.cmdline()) and proc.ppid() == os.getpid()
    except psutil.Error:
        return False


# ---------------------------------------------------------------- item 4: kill -9 of the runner

def marked(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("BENCH_TEST_MARKER") == marker and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def wait_until(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("launcher", ["1", "0"])
def test_kill_9_of_the_runner_takes_the_case_and_its_workers_down(tmp_path, launcher):
    out, marker = tmp_path / "run.json", uuid.uuid4().hex
    env = {**os.environ, "BENCH_TEST_MARKER": marker, "BENCH_LAUNCHER": launcher, "PYTHONPATH": PLUGINS}
    runner = subprocess.Popen([sys.executable, "-m", "bench", "run", "--workload-module", "faulty", "--workloads",
                               "faulty", "--strategies", "serial,pool-map", "--cores", "1", "--workers", "2",
                               "--modes", "warm", "--set", "faulty.fault=hang", "--timeout", "300",
                               "--no-progress", "--no-single-worker", "-o", str(out)],
                              env=env, stderr=subprocess.DEVNULL)
    try:
        def serial_done() -> bool:
            return out.exists() and len(json.loads(out.read_text())["bench"]["cases"]) >= 1

        assert wait_until(serial_done, 60), "the serial case never finished"
        # the pool-map case and its two workers (one of them stuck in its task) are running
        assert wait_until(lambda: len(marked(marker)) >= 4 + (launcher == "1"), 30), marked(marker)
        runner.kill()
        runner.wait(timeout=10)
        assert wait_until(lambda: not marked(marker), 20), f"outlived the runner: {marked(marker)}"
    finally:
        for proc in marked(marker):  # whatever the assertion said, leave nothing behind
            proc.kill()
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        reap_adopted_zombies()


def reap_adopted_zombies() -> None:
    """An in-process run made this test process a subreaper: the dead runner's children came here."""
    for child in psutil.Process().children():
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                child.wait(timeout=5)
        except psutil.Error:
            pass


# ---------------------------------------------------------------- smaller ones

def test_the_scratch_folder_of_a_run_is_removed(tmp_path, monkeypatch, no_leaked_processes):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    run_case(tmp_path, "faulty", "threads")
    assert list(scratch.iterdir()) == []
