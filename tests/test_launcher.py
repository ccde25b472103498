"""The preloaded fork server that starts case processes: what it preloads, what a case inherits."""
from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import psutil
import pytest

from bench import registry, storage
from bench.cli import main
from bench.entrypoints import launcher as launcher_process
from bench.execute import launcher
from bench.execute.runner import base_env
from workloads.ocr import WORKLOAD as OCR

PLUGINS = str(Path(__file__).parent / "plugins")


@pytest.fixture
def plugins_importable(monkeypatch):
    monkeypatch.syspath_prepend(PLUGINS)
    monkeypatch.setenv("PYTHONPATH", PLUGINS)


def test_preload_lists_builtin_modules_and_declared_imports_once():
    dask_threads, dask_processes = registry.get_strategy("dask-threads"), registry.get_strategy("dask-processes")
    modules = launcher.preload_modules([OCR, dask_threads, dask_processes])
    assert modules[0] == "workloads.ocr"
    assert "workloads.ocr:import_pytesseract" in modules
    assert modules.count("bench.strategies.dask_local") == 1 and modules.count("dask.bag") == 1
    assert {"dask.threaded", "dask.multiprocessing"} <= set(modules)


def test_a_users_module_is_not_preloaded_only_its_declared_imports():
    class UserWorkload:
        __module__ = "someones.workloads"
        preload = ("json",)

    assert launcher.preload_modules([UserWorkload()]) == ["json"]


def test_the_launcher_refuses_to_fork_while_threads_run():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        answers = io.StringIO()
        launcher_process.serve(io.StringIO(json.dumps({"launch": {"args": []}}) + "\n"), answers)
    finally:
        stop.set()
        thread.join()
    assert "threads" in json.loads(answers.getvalue())["error"]


def run_probe(tmp_path, strategies="serial,threads,processes"):
    out = tmp_path / "probe.json"
    code = main(["run", "--workload-module", "envprobe", "--workloads", "envprobe,sleep", "--strategies",
                 strategies, "--cores", "1", "--modes", "warm", "--set", "sleep.n=2",
                 "--set", "sleep.seconds=0.001", "--no-calibrate", "--no-progress", "-o", str(out)])
    assert code == 0
    return storage.load(out)


def test_cases_are_forked_pinned_and_get_their_own_environment(tmp_path, plugins_importable,
                                                                no_leaked_processes):
    results = run_probe(tmp_path)
    assert all(r.ok for r in results.cases), [r.error for r in results.cases]
    assert {r.metadata["case_started_by"] for r in results.cases} == {"launcher"}
    assert {r.metadata["affinity"] for r in results.cases} == {"0"}
    probes = [r for r in results.cases if r.case.workload == "envprobe"]
    # the workload's environment reached the tasks, in worker processes too...
    assert all(r.metrics["saw_probe"] == 1.0 for r in probes)
    assert {r.metadata["env_OMP_THREAD_LIMIT"] for r in probes} == {"3"}
    # ... and did not leak into the next workload's cases, forked from the same launcher
    sleeps = [r for r in results.cases if r.case.workload == "sleep"]
    assert {r.metadata["env_OMP_THREAD_LIMIT"] for r in sleeps} == {""}
    assert not [p for p in psutil.Process().children(recursive=True)
                if "bench.entrypoints.launcher" in " ".join(p.cmdline())], "the launcher outlived the run"


def test_bench_launcher_0_starts_each_case_as_a_new_interpreter(tmp_path, plugins_importable, monkeypatch):
    monkeypatch.setenv(launcher.DISABLE_VARIABLE, "0")
    results = run_probe(tmp_path, strategies="serial,threads")
    assert all(r.ok for r in results.cases)
    assert {r.metadata["case_started_by"] for r in results.cases} == {"exec"}
    assert all(r.metrics["saw_probe"] == 1.0 for r in results.cases if r.case.workload == "envprobe")


def test_a_child_whose_set_up_fails_exits_and_the_launcher_serves_on(tmp_path, no_leaked_processes):
    handle = launcher.Launcher(base_env(True))
    try:
        spec, out, log = str(tmp_path / "missing-spec.json"), str(tmp_path / "out.json"), tmp_path / "case.log"
        bad_cpu = handle.launch([spec, out], str(log), [99999], base_env(True))
        assert handle.wait(bad_cpu, 30) == 70
        no_spec = handle.launch([spec, out], str(log), [0], base_env(True))
        assert handle.wait(no_spec, 30) == 70
        assert "FileNotFoundError" in log.read_text()
    finally:
        handle.close()
    assert handle.process.returncode == 0


def test_a_launcher_that_answers_nonsense_is_refused_not_a_crash(no_leaked_processes):
    with pytest.raises(launcher.LauncherError, match="did not start"):
        launcher.Launcher(base_env(True), python="/bin/echo")  # prints its arguments, not JSON
