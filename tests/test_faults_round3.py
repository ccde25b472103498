"""Faults, round three (issue 29): the newer surfaces (API, --task, resume, examples) lose no file,
hang on nothing, and never split or hide a workload."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from bench import api, function_workload, output_file, storage
from bench.analysis.explain import explain
from bench.cli import main
from bench.execute import case_log, isolation, resume, scratch
from bench.execute.session import RunRequest
from bench.model import BenchError
from bench.testing import make_result, make_results
from examples import blend, fib, ocr, process_subclass, sleep

ROOT = Path(__file__).resolve().parent.parent
PY = {"python_version": "3.11.7", "python_gil": "enabled"}


# ---------------------------------------------------------------- item 1: a failed case splits the workload

def split_run():
    """serial and threads/1 measured (with metadata); threads/2 failed in its workers (no metadata)."""
    return make_results([
        make_result([1.0, 1.01, 0.99], strategy="serial", cores=1, workers=1, metadata=PY),
        make_result([0.9, 0.91, 0.89], strategy="threads", cores=1, workers=1, metadata=PY),
        make_result([1.0, 1.01, 0.99], strategy="serial", cores=2, workers=1, metadata=PY),
        make_result([], ok=False, error="ValueError: boom in worker", strategy="threads", cores=2, workers=2),
    ])


def test_a_failed_case_is_counted_in_its_workload_not_a_second_one():
    verdict = api.Results(split_run()).verdict()
    assert list(verdict["workload"]) == ["fib"]
    assert list(verdict["failed_cases"]) == [1]
    assert [why.label for why in explain(split_run())] == ["fib"]


# ---------------------------------------------------------------- item 3: files destroyed without a word

def copied_run(tmp_path, small_run_path, name="run.json"):
    path = tmp_path / name
    path.write_bytes(small_run_path.read_bytes())
    return path


def test_a_report_never_replaces_a_results_file_even_forced(tmp_path, small_run_path, capsys):
    results = copied_run(tmp_path, small_run_path)
    before = results.read_bytes()
    for force in ([], ["--force"]):
        assert main(["report", str(results), "-o", str(results), *force]) == 2
        assert "holds results" in capsys.readouterr().err
    assert results.read_bytes() == before


def test_a_report_replaces_a_page_only_when_forced(tmp_path, small_run_path, capsys):
    results, page = copied_run(tmp_path, small_run_path), tmp_path / "r.html"
    page.write_text("<html>previous page</html>")
    assert main(["report", str(results), "-o", str(page)]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert page.read_text() == "<html>previous page</html>"
    assert main(["report", str(results), "-o", str(page), "--force"]) == 0
    assert "previous page" not in page.read_text()


def test_a_report_onto_a_file_a_live_run_holds_is_refused(tmp_path, small_run_path, capsys):
    results, page = copied_run(tmp_path, small_run_path), tmp_path / "live.html"
    with output_file.locked(page):
        assert main(["report", str(results), "-o", str(page)]) == 2
    assert "being written by another bench run" in capsys.readouterr().err and not page.exists()


def test_results_save_and_report_follow_the_same_rules(tmp_path, small_run_path):
    results = api.load(copied_run(tmp_path, small_run_path))
    target = copied_run(tmp_path, small_run_path, "other.json")
    with pytest.raises(BenchError, match="already exists; pass force=True"):
        results.save(target)
    with pytest.raises(BenchError, match="holds results"):
        results.report(target, force=True)
    with output_file.locked(tmp_path / "held.json"), pytest.raises(BenchError, match="another bench run"):
        results.save(tmp_path / "held.json")
    assert results.save(target, force=True) == target


@pytest.mark.parametrize("where", ["exists", "under a file"])
def test_bench_run_checks_its_output_before_any_work(tmp_path, small_run_path, monkeypatch, where):
    monkeypatch.setattr(api, "_run_child", lambda *a: pytest.fail("measured before checking the output"))
    existing = copied_run(tmp_path, small_run_path)
    output = existing if where == "exists" else existing / "x.json"
    with pytest.raises(BenchError, match="already exists|is a file, not a folder"):
        api.run(abs, [1, 2], output=output)


@pytest.mark.parametrize("module,argv", [
    (sleep, ["--output", "{file}/x.json"]), (sleep, ["--output", "{file}"]), (sleep, ["--cores", "3/0"]),
    (sleep, ["--cores", "9999"]), (sleep, ["--scale", "-1"]), (fib, ["--k", "0"]), (blend, ["--size", "0"]),
    (blend, ["--size", "-1"]), (ocr, ["--pages", "0"]), (process_subclass, ["--k", "0"]),
])
def test_examples_refuse_bad_arguments_before_any_timing(tmp_path, small_run_path, monkeypatch, capsys, module,
                                                         argv):
    monkeypatch.setattr(module, "naive", lambda *a: pytest.fail("timed before checking the arguments"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # blend's image folder would land here
    existing = copied_run(tmp_path, small_run_path)
    with pytest.raises(SystemExit) as stop:
        module.main([item.format(file=existing) for item in argv])
    assert stop.value.code == 2 and "error: " in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


# ---------------------------------------------------------------- item 2: a thread started on import

SIDE_EFFECT_MODULE = '''
import threading, time
threading.Thread(target=lambda: time.sleep(3600), name="forever").start()
def f(x):
    return x + 1
def make():
    return [1, 2, 3]
'''


def test_a_task_module_starting_a_thread_on_import_does_not_hang_the_command(tmp_path, no_leaked_processes):
    (tmp_path / "sidefx29.py").write_text(SIDE_EFFECT_MODULE)
    command = [sys.executable, "-m", "bench", "run", "--task", "sidefx29:f", "--inputs", "sidefx29:make",
               "--strategies", "threads", "--cores", "1", "--modes", "warm", "--no-progress", "-o", "r.json"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "not waiting for 1 non-daemon thread(s) started by an imported module (forever)" in done.stderr
    assert storage.load(tmp_path / "r.json").cases


# ---------------------------------------------------------------- item 7: --resume with another matrix or inputs

CONFIG = {"workloads": ["fib"], "strategies": ["threads", "processes"], "cores": [1, 2], "workers": [],
          "modes": ["warm"], "start_methods": [None], "overrides": {"fib": {"n": "20"}}, "profile": "quick",
          "timeout": 120.0, "processes": 2, "workload_modules": []}


@pytest.mark.parametrize("fields,named", [
    ({"cores": (1,)}, "--cores 1 (the file's run: 1,2)"),
    ({"strategies": ("threads",)}, "--strategies threads (the file's run: threads,processes)"),
    ({"sets": ("fib.n=21",)}, "--set fib.n=21 (the file's run: fib.n=20)"),
    ({"sets": ("fib.k=3",)}, "--set fib.k=3 (the file's run: not set)"),
    ({"modes": ("cold",)}, "--modes cold (the file's run: warm)"),
    ({"profile": "full"}, "--profile full (the file's run: quick)"),
    ({"timeout": 5.0}, "--timeout 5.0 (the file's run: 120.0)"),
])
def test_a_resume_with_other_options_is_refused_naming_them(fields, named):
    request = RunRequest(resume=Path("r.json"), **fields)
    with pytest.raises(BenchError, match="cannot resume r.json: ") as refused:
        resume.check(request, CONFIG, "r.json")
    assert named in str(refused.value)


def test_a_resume_with_the_same_or_no_options_goes_on():
    resume.check(RunRequest(resume=Path("r.json")), CONFIG, "r.json")
    resume.check(RunRequest(resume=Path("r.json"), cores=(2, 1), strategies=("processes", "threads"),
                            sets=("fib.n=20",), modes=("warm",)), CONFIG, "r.json")


def test_resume_refuses_other_options_and_changed_inputs_from_the_command_line(tmp_path, monkeypatch, capsys,
                                                                               no_leaked_processes):
    (tmp_path / "sq29.py").write_text("def f(x):\n    return int(x) ** 2\n")
    (tmp_path / "in.txt").write_text("1\n2\n3\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    assert main(["run", "--task", "sq29:f", "--inputs", "in.txt", "--strategies", "threads", "--cores", "1",
                 "--modes", "warm", "--no-progress", "-o", "r.json"]) == 0
    capsys.readouterr()
    assert main(["run", "--resume", "r.json", "--strategies", "processes", "--no-progress"]) == 2
    assert "--strategies processes (the file's run: threads)" in capsys.readouterr().err
    (tmp_path / "in.txt").write_text("1\n2\n4\n")
    assert main(["run", "--resume", "r.json", "--no-progress"]) == 2
    assert f"the inputs {tmp_path / 'in.txt'} changed since the run started" in capsys.readouterr().err


# ---------------------------------------------------------------- item 5: a chatty task fills the disk

def test_a_case_log_keeps_its_head_and_tail_and_says_how_much_was_dropped(tmp_path):
    log = tmp_path / "case.log"
    body = b"".join(f"line {i:07d}\n".encode() for i in range(400_000))  # 5.2 MB
    log.write_bytes(body)
    case_log.trim(log)
    if case_log._FALLOCATE is not None:  # the middle's disk blocks are freed while the case writes on
        assert log.stat().st_blocks * 512 < 2 * (case_log.HEAD_BYTES + case_log.TAIL_BYTES)
    dropped = case_log.finish(log)
    kept = log.read_bytes()
    assert dropped == len(body) - case_log.HEAD_BYTES - case_log.TAIL_BYTES
    assert kept.startswith(body[:case_log.HEAD_BYTES]) and kept.endswith(body[-case_log.TAIL_BYTES:])
    assert f"[bench: {dropped} bytes of this case's output dropped here".encode() in kept


def test_a_chatty_case_process_leaves_a_capped_log(tmp_path, no_leaked_processes):
    log = tmp_path / "case.log"
    chatty = "import sys\nfor i in range(60):\n    sys.stdout.write(f'{i:06d}' + 'x' * 99_993 + '\\n')\nprint('last')"
    outcome = isolation.run_pinned([sys.executable, "-c", chatty], [0], dict(os.environ), 60, str(log))
    assert outcome.returncode == 0
    text = log.read_text()
    assert len(text) < case_log.HEAD_BYTES + case_log.TAIL_BYTES + 1000
    assert text.startswith("000000") and text.rstrip().endswith("last")
    assert "bytes of this case's output dropped" in text


# ---------------------------------------------------------------- item 6: a killed caller

def test_scratch_folders_of_dead_owners_are_swept_and_live_ones_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine, theirs, unowned = scratch.make(), scratch.make(), tmp_path / "bench-unowned"
    (theirs / scratch.OWNER_FILE).write_text(f"{dead.pid} 12345.00")
    unowned.mkdir()
    assert scratch.sweep() == 1
    assert mine.exists() and unowned.exists() and not theirs.exists()


KILLED_CALLER = '''
import time, bench
def task(x):
    time.sleep(0.5)
    return x
bench.run(task, [1, 2, 3, 4], strategies="threads", cores=[1], modes="warm")
'''


def test_the_child_run_dies_with_its_killed_caller_and_the_next_run_sweeps_its_scratch(tmp_path, no_leaked_processes):
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    caller = psutil.Popen([sys.executable, "-c", KILLED_CALLER], env=env)
    deadline = time.monotonic() + 60
    while not caller.children() and time.monotonic() < deadline:
        time.sleep(0.1)
    [child] = caller.children()
    time.sleep(1.0)  # measuring now
    family = [child, *child.children(recursive=True)]  # the run, its launcher, its case and the case's workers
    caller.kill()
    caller.wait()
    _, alive = psutil.wait_procs(family, timeout=20)
    assert not [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    [left] = tmp_path.glob("bench-api-*")  # a killed caller cannot clean up: the next run does
    assert scratch.sweep(tmp_path) == 1 and not left.exists()


# ---------------------------------------------------------------- item 8: big input lists, Infinity

def test_long_per_task_lists_are_stored_in_summary_form(tmp_path):
    n = storage.TASK_DATA_CAP + 1
    serial = make_result([1.0, 1.1], strategy="serial", cores=1, workers=1,
                         metadata={**PY, "task_seconds": [0.001] * (n - 1) + [0.5]})
    results = make_results([serial])
    results.expected = {serial.case.instance: [f"{i:016x}" for i in range(n)]}
    storage.save(results, tmp_path / "r.json")
    assert (tmp_path / "r.json").stat().st_size < 20_000
    [loaded] = storage.load(tmp_path / "r.json").cases
    assert "task_seconds" not in loaded.metadata
    assert loaded.metadata["task_seconds_summary"] == {"n": n, "total_s": pytest.approx(10.5), "max_s": 0.5,
                                                       "median_s": 0.001}
    results.complete = False  # a run that may still be resumed keeps every fingerprint
    storage.save(results, tmp_path / "partial.json")
    assert len(storage.load(tmp_path / "partial.json").expected[serial.case.instance]) == n


@pytest.mark.parametrize("command", [["table"], ["explain"], ["fit"], ["compare", "{base}"], ["report"]])
def test_infinity_in_a_stored_value_is_bad_input_naming_the_case(tmp_path, small_run_path, capsys, command):
    data = json.loads(small_run_path.read_text())
    data["benchmarks"][0]["runs"][0]["values"][0] = float("inf")
    name = data["benchmarks"][0].get("metadata", {}).get("name")
    bad = tmp_path / "inf.json"
    bad.write_text(json.dumps(data))
    argv = [part.format(base=small_run_path) for part in command]
    argv = [argv[0], *argv[1:], str(bad)] + (["-o", str(tmp_path / "r.html")] if command == ["report"] else [])
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "holds inf among its values" in err and (name is None or name in err)


# ---------------------------------------------------------------- smaller items

@pytest.mark.parametrize("options,message", [
    ({"timeout": "abc"}, "timeout wants a finite number of seconds above 0, got 'abc'"),
    ({"timeout": float("inf")}, "timeout wants a finite number of seconds above 0"),
    ({"cores": [1.7]}, "cores wants whole numbers (an int or a list of ints), got [1.7]"),
    ({"workers": "2"}, "workers wants whole numbers"),
    ({"strategy_modules": 5}, "strategy_modules wants names, got 5"),
])
def test_api_arguments_are_checked_in_one_line(monkeypatch, options, message):
    monkeypatch.setattr(api, "_run_child", lambda *a: pytest.fail("ran with a bad argument"))
    with pytest.raises(BenchError) as refused:
        api.run(abs, [1, 2], **options)
    assert message in str(refused.value)


def test_a_strategy_module_given_as_a_string_is_one_module_not_letters():
    argv = api.run_argv("entry", "abs", Path("r.json"), strategy_modules="examples.process_subclass")
    assert argv.count("--strategy-module") == 1 and "examples.process_subclass" in argv


@pytest.mark.parametrize("kind,message", [
    ("missing", "file not found"), ("fifo", "is not a regular file"), ("device", "is not a regular file"),
])
def test_an_inputs_path_that_is_not_a_readable_file_is_one_line(tmp_path, kind, message):
    path = tmp_path / ("inputs.csv" if kind == "missing" else "inputs.txt")
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    with pytest.raises(BenchError, match=message):
        function_workload.read_inputs(str(path))


def test_inputs_that_cannot_be_pickled_get_advice_about_inputs(tmp_path):
    import threading

    workload = function_workload.FunctionWorkload(abs, [threading.Lock()])
    with pytest.raises(BenchError, match="make the inputs plain data") as refused:
        function_workload.pickle_entry(workload, tmp_path / "task.pkl")
    assert "define it at module level" not in str(refused.value)
