"""The Python API: bench.run from the caller's point of view, and Results."""
from __future__ import annotations

import ctypes
import dataclasses
import subprocess
import sys
import tempfile

import pytest

import bench
from bench.model import BenchError

_PR_SET_CHILD_SUBREAPER, _PR_GET_CHILD_SUBREAPER = 36, 37


def subreaper() -> int:
    value = ctypes.c_int(0)
    ctypes.CDLL(None).prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(value), 0, 0, 0)
    return value.value


@pytest.fixture
def not_a_subreaper():
    """In-process runs of other tests may have left this process a subreaper: start from 'not'."""
    before = subreaper()
    ctypes.CDLL(None).prctl(_PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
    yield
    ctypes.CDLL(None).prctl(_PR_SET_CHILD_SUBREAPER, before, 0, 0, 0)


def test_public_names():
    assert set(bench.__all__) >= {"run", "load", "Results", "BenchError"}
    assert bench.BenchError is BenchError and callable(bench.run)


@pytest.fixture
def quiet_tmp(tmp_path, monkeypatch):
    """cwd and the temporary directory both empty, to see what a run leaves behind."""
    work, temp = tmp_path / "work", tmp_path / "temp"
    work.mkdir(), temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return work, temp


def test_run_a_local_function_with_no_side_effects(quiet_tmp, not_a_subreaper, no_leaked_processes):
    offset = 3

    def shifted(x: int) -> int:  # a closure: only by value can it reach the workers
        return x + offset

    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        results = bench.run(shifted, list(range(30)), strategies="pool-map", cores=[1], modes="warm")
        assert bystander.poll() is None  # the caller's own child was not killed
    finally:
        bystander.kill()
        bystander.wait()
    table = results.table()
    assert list(table["strategy"]) == ["serial", "pool-map"] and table["ok"].all()
    assert subreaper() == 0
    assert [list(p.iterdir()) for p in quiet_tmp] == [[], []]  # nothing written, scratch removed


def test_output_is_written_only_when_asked(quiet_tmp):
    results = bench.run(abs, [-1, 2], strategies=["threads"], cores=1, modes=["warm"], name="absolute",
                        output="saved/run.json")
    again = bench.load("saved/run.json")
    assert [r.case.key for r in again.results.cases] == [r.case.key for r in results.results.cases]
    assert again.compare(results).summary.n_new == 2


def test_bad_input_is_a_bench_error_before_anything_runs():
    with pytest.raises(BenchError, match="not callable"):
        bench.run("abs", [1])  # type: ignore[arg-type]  # the wrong type is the test
    with pytest.raises(BenchError, match="inputs must be a list"):
        bench.run(abs, iter([1]))  # type: ignore[arg-type]  # the wrong type is the test
    with pytest.raises(BenchError, match="unknown strategy 'nope'"):
        bench.run(abs, [1], strategies="nope", cores=[1])


def test_results_that_cannot_be_compared_are_a_bench_error():
    with pytest.raises(BenchError, match="cannot be compared between strategies"):
        bench.run(lambda x: (i for i in range(x)), [1, 2], strategies="threads", cores=[1], modes="warm")


def test_results_views(small_run_path, tmp_path):
    results = bench.load(small_run_path)
    verdict = results.verdict()
    assert set(verdict["workload"]) >= {"fib", "square", "sleep"} and verdict["reading"].str.len().min() > 0
    assert len(results.table()) == len(results.results.cases)
    page = results.report(tmp_path / "r.html")
    assert page.read_text().startswith("<!DOCTYPE html>")
    shown = results._repr_html_()
    assert "<h4>Verdict</h4>" in shown and shown.count("data:image/svg+xml;base64,") == len(verdict)


def test_repr_html_escapes_names(small_run_path):
    results = bench.load(small_run_path)
    results.results.cases[:] = [dataclasses.replace(r, case=dataclasses.replace(r.case, workload="<b>x</b>"))
                                for r in results.results.cases if r.case.workload == "fib"]
    shown = results._repr_html_()
    assert "<b>x</b>" not in shown and "&lt;b&gt;x&lt;/b&gt;" in shown
