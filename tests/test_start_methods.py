"""Start methods as an axis: which strategies are crossed, and that the method is honoured and recorded."""
from __future__ import annotations

import multiprocessing

import pytest

from bench import storage
from bench.analysis.table import tidy
from bench.cli import main
from bench.execute.session import start_method_axis
from bench.model import StrategyOptions
from bench.registry import get_strategy
from bench.strategies.base import effective_start_method

TINY = ["--workloads", "fib", "--set", "fib.n=2", "--set", "fib.k=5", "--modes", "warm", "--cores", "1",
        "--no-progress", "--no-single-worker"]


@pytest.fixture(autouse=True)
def no_calibration(monkeypatch):
    monkeypatch.setenv("BENCH_NO_CALIBRATE", "1")


def test_engines_that_start_workers_their_own_way_are_not_crossed():
    axis = start_method_axis(["processes", "pool-map", "process-pool", "dask-processes", "dask-distributed",
                               "mpire", "joblib", "loky", "ray", "threads", "joblib-threads"], scheduler=None)
    assert axis == {"processes": True, "pool-map": True, "process-pool": True, "dask-processes": True,
                    "dask-distributed": True, "mpire": True, "joblib": False, "loky": False, "ray": False,
                    "threads": False, "joblib-threads": False}
    assert start_method_axis(["dask-distributed"], scheduler="tcp://127.0.0.1:8786") == {"dask-distributed": False}


@pytest.mark.parametrize("name,expected", [("joblib", "loky"), ("loky", "loky"), ("ray", "ray (raylet)")])
def test_engines_record_the_method_they_really_use(name, expected):
    cls = get_strategy(name)
    assert cls(StrategyOptions(workers=2, start_method="fork")).describe()["start_method"] == expected


def test_none_means_the_platform_default():
    assert effective_start_method(None) == multiprocessing.get_context().get_start_method()
    assert effective_start_method("spawn") == "spawn"


def test_each_start_method_runs_and_is_recorded(tmp_path, no_leaked_processes):
    out = tmp_path / "methods.json"
    # `processes` subclasses Process, the hardest case for spawn/forkserver (the class is pickled)
    assert main(["run", *TINY, "--strategies", "processes", "--start-methods", "fork,spawn,forkserver",
                 "-o", str(out)]) == 0
    results = storage.load(out)
    parallel = [r for r in results.cases if not r.case.is_serial]
    assert len(parallel) == 3
    assert all(r.ok for r in results.cases), [r.error for r in results.cases]
    for result in parallel:
        assert result.metadata["start_method"] == result.case.start_method
    table = tidy(results)
    assert set(table[table.strategy == "processes"].start_method) == {"fork", "spawn", "forkserver"}


def test_the_table_shows_the_effective_method_when_none_was_asked(tmp_path, no_leaked_processes):
    out = tmp_path / "default.json"
    assert main(["run", *TINY, "--strategies", "pool-map,joblib", "--workers", "2", "-o", str(out)]) == 0
    table = tidy(storage.load(out)).set_index("strategy")
    assert table.loc["pool-map", "start_method"] == multiprocessing.get_context().get_start_method()
    assert table.loc["joblib", "start_method"] == "loky"
    assert table.loc["serial", "start_method"] == ""
