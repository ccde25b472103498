"""Faults, round three (issue 29): the newer surfaces (API, --task, resume, examples) lose no file,
hang on nothing, and never split or hide a workload."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bench import api, output_file, storage
from bench.analysis.explain import explain
from bench.cli import main
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
