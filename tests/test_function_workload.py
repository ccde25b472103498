"""A plain function as a workload: validation, carrying it by value, and `bench run --task`."""
from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from bench import api, storage
from bench import function_workload as fw
from bench.model import BenchError

PLUGINS = Path(__file__).parent / "plugins"


def test_a_task_must_be_callable_and_inputs_a_list():
    with pytest.raises(BenchError, match="task 42 is not callable"):
        fw.FunctionWorkload(42, [1])  # type: ignore[arg-type]  # the wrong type is the test
    for inputs, kind in (((i for i in range(3)), "generator"), ({"a": 1}, "dict"), ("abc", "str"), (7, "int")):
        with pytest.raises(BenchError, match=f"inputs must be a list, got {kind}"):
            fw.FunctionWorkload(abs, inputs)  # type: ignore[arg-type]  # the wrong type is the test
    with pytest.raises(BenchError, match="empty list"):
        fw.FunctionWorkload(abs, [])
    assert fw.FunctionWorkload(abs, range(3)).make_tasks({}) == [0, 1, 2]


def test_bound_and_name_are_checked():
    with pytest.raises(BenchError, match="unknown bound 'disk'; known: cpu, memory"):
        fw.FunctionWorkload(abs, [1], bound="disk")
    with pytest.raises(BenchError, match="may only use letters"):
        fw.FunctionWorkload(abs, [1], name="a b")
    assert fw.FunctionWorkload(lambda x: x, [1]).name == "lambda"


def test_a_function_without_an_importable_name_travels_by_value():
    def local(x: int) -> int:
        return x + 1

    task = fw.FunctionWorkload(local, [1]).task
    assert isinstance(task, fw.ByValue)
    again = pickle.loads(pickle.dumps(task))  # what a process strategy does
    assert again(1) == 2 and pickle.loads(pickle.dumps(task)) is again  # unpickled once per process
    assert fw.FunctionWorkload(abs, [1]).task is abs  # importable: sent by name, no wrapper


def test_a_task_even_cloudpickle_cannot_send_is_one_line(tmp_path):
    import threading

    lock = threading.Lock()
    workload = fw.FunctionWorkload(lambda x: (lock, x)[1], [1])
    with pytest.raises(BenchError, match="cannot send the task to the case processes.*define it at module level"):
        fw.pickle_entry(workload, tmp_path / "task.pkl")
    with pytest.raises(BenchError, match="cannot send the inputs"):
        fw.pickle_entry(fw.FunctionWorkload(abs, [lock]), tmp_path / "task.pkl")


def test_entries_round_trip(tmp_path):
    entry = fw.pickle_entry(fw.FunctionWorkload(lambda x: x * 2, [1, 2], name="double"), tmp_path / "t.pkl")
    loaded = fw.load_entry(entry)
    assert (loaded.name, [loaded.task(i) for i in loaded.make_tasks({})]) == ("double", [2, 4])
    (tmp_path / "inputs.json").write_text("[1, 2, 3]")
    ref = fw.load_entry(fw.reference_entry("builtins:abs", str(tmp_path / "inputs.json"), None, "memory"))
    assert (ref.name, ref.bound, ref.make_tasks({})) == ("abs", "memory", [1, 2, 3])


def test_results_that_cannot_be_fingerprinted_are_named_from_the_serial_case_error():
    error = f"ResultNotComparable: the result of task 0 (a generator) {fw.INCOMPARABLE}: pickle cannot encode it"
    assert fw.incomparable_error(["", error]) == error.split(": ", 1)[1]
    assert fw.incomparable_error(["results differ from serial: 1 of 2 wrong"]) is None


def test_inputs_files(tmp_path):
    (tmp_path / "a.txt").write_text("x\n\ny\n")
    (tmp_path / "b.json").write_text('{"not": "a list"}')
    assert fw.read_inputs(str(tmp_path / "a.txt")) == ["x", "y"]
    with pytest.raises(BenchError, match="inputs must be a list, got dict"):
        fw.read_inputs(str(tmp_path / "b.json"))
    with pytest.raises(BenchError, match="--inputs wants MODULE:NAME"):
        fw.read_inputs("nomodule")


def test_run_argv_and_caller_paths_are_pure():
    argv = api.run_argv("E", "f", Path("o.json"), strategies=["threads", "pool-map"], cores=[1, 2], modes="warm")
    assert argv[:4] == ["run", "--workload-module", "E", "--workloads"]
    assert ["--strategies", "threads,pool-map"] == argv[argv.index("--strategies"):][:2]
    assert argv[-1] == "--no-calibrate" and "--workers" not in argv
    assert api.caller_paths(["", "/usr/lib/py", "/home/me", "/home/me"], ["/usr"], "/cwd") == ["/cwd", "/home/me"]


# ---------------------------------------------------------------- bench run --task (a real subprocess)

def bench(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(PLUGINS), "BENCH_NO_CALIBRATE": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "bench", "run", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


def test_bench_run_task_measures_a_function(tmp_path):
    done = bench("--task", "tasks:square", "--inputs", "tasks:make_inputs", "--strategies", "threads",
                 "--cores", "1", "--modes", "warm", "--no-progress", "-o", "r.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    results = storage.load(tmp_path / "r.json")
    assert [(r.case.workload, r.case.strategy, r.ok) for r in results.cases] == \
        [("square", "serial", True), ("square", "threads", True)]
    assert results.config["workload_modules"][0].startswith(fw.ENTRY_PREFIX)  # by name: --resume can rebuild it


@pytest.mark.parametrize("args,fragment", [
    (["--task", "tasks:NOT_CALLABLE", "--inputs", "tasks:make_inputs"], "task 42 is not callable"),
    (["--task", "tasks:square", "--inputs", "tasks:make_not_a_list"], "inputs must be a list, got dict"),
    (["--task", "tasks:locked_lambda", "--inputs", "tasks:make_inputs"], "cannot send the task"),
    (["--task", "tasks:square", "--inputs", "tasks:make_inputs", "--bound", "disk"], "unknown bound 'disk'"),
    (["--name", "x"], "--name needs --task"),
    (["--task", "nosuchmod_q:f", "--inputs", "x.json"], "looked in the current folder"),
    (["--task", "tasks:generator_of", "--inputs", "tasks:make_inputs"], fw.INCOMPARABLE),
])
def test_bench_run_task_bad_input_is_one_line_and_exit_2(tmp_path, args, fragment):
    done = bench(*args, "--strategies", "threads", "--cores", "1", "--modes", "warm", "--no-progress",
                 "-o", "r.json", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert fragment in lines[-1] and "Traceback" not in done.stderr


def _by_value_reporter(size: int) -> fw.ByValue:
    """A by-value task (a closure: pickle cannot send it by name) carrying ``size`` bytes of globals,
    returning its worker's pid and how many payloads that worker has read so far."""
    table = bytes(size)

    def report(x: int) -> tuple[int, int, int]:
        import os

        from bench import function_workload

        return os.getpid(), function_workload.transfers, len(table) + x
    task = fw.portable_task(report)
    assert isinstance(task, fw.ByValue)
    return task


def test_a_by_value_task_pickles_to_a_digest_not_its_payload():
    task = _by_value_reporter(1 << 20)
    assert len(task.payload) > 1 << 20 and len(pickle.dumps(task)) < 1000
    before = fw.transfers
    assert pickle.loads(pickle.dumps(task)) is task  # this process already has it: nothing read
    assert fw.transfers == before


def test_a_by_value_task_reaches_each_worker_once_not_once_per_task():
    import multiprocessing

    task = _by_value_reporter(1 << 20)
    with multiprocessing.get_context("spawn").Pool(2) as pool:  # spawn: workers inherit nothing
        found = pool.map(task, range(24), chunksize=1)
    counts: dict[int, int] = {}
    for pid, transfers, _ in found:
        counts[pid] = max(counts.get(pid, 0), transfers)
    assert 1 <= len(counts) <= 2
    assert all(count == 1 for count in counts.values())  # 24 tasks, one payload read per worker
    assert [size for *_, size in found] == [(1 << 20) + i for i in range(24)]
