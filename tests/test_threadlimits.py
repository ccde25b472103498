"""Nested BLAS/OpenMP pools: limited by default, verified with threadpoolctl, and an opt-out."""
from __future__ import annotations

import pytest

from bench import registry, storage
from bench.cli import main
from bench.execute.runner import case_env
from bench.measure.threadlimits import SINGLE_THREAD as BLAS_LIMITS
from bench.measure.threadlimits import describe_pools, threadpool_metadata
from bench.testing import make_case

TINY = ["--workloads", "addweighted", "--strategies", "serial", "--set", "addweighted.count=2",
        "--set", "addweighted.size=16", "--modes", "warm", "--cores", "1", "--no-progress"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    monkeypatch.setenv("BENCH_NO_CALIBRATE", "1")
    for var in (*BLAS_LIMITS, "OMP_THREAD_LIMIT"):
        monkeypatch.delenv(var, raising=False)


def test_summarize_threadpool_info():
    pools = [{"user_api": "blas", "internal_api": "openblas", "num_threads": 1},
             {"user_api": "openmp", "internal_api": "openmp", "num_threads": 4},
             {"user_api": "blas", "internal_api": "mkl", "num_threads": 2}]
    assert describe_pools(pools) == {"threadpools": "openblas=1,openmp=4,mkl=2", "threads_blas": 2, "threads_openmp": 4}
    assert describe_pools([]) == {"threadpools": "none loaded"}


def test_threadpool_metadata_sees_numpy_blas():
    import numpy  # noqa: F401  # imported to load its BLAS

    assert "threads_blas" in threadpool_metadata()


def test_case_env_limits_unless_opted_out():
    workload = registry.get_workload("ocr")
    case = make_case(workload="ocr")
    limited = case_env(case, workload)
    assert all(limited[var] == value for var, value in BLAS_LIMITS.items())
    assert limited["OMP_THREAD_LIMIT"] == "1"  # tesseract's, from the workload
    free = case_env(case, workload, thread_limits=False)
    assert not set(BLAS_LIMITS) & set(free) and "OMP_THREAD_LIMIT" not in free


def _run(tmp_path, *extra):
    out = tmp_path / "limits.json"
    assert main(["run", *TINY, *extra, "-o", str(out)]) == 0
    results = storage.load(out)
    [case] = results.cases
    assert case.ok, case.error
    return results, case.metadata


def test_limits_are_applied_and_verified_inside_the_case(tmp_path):
    results, metadata = _run(tmp_path)
    assert results.config["thread_limits"] is True
    assert metadata["thread_limits"] == "on" and metadata["env_OPENBLAS_NUM_THREADS"] == "1"
    assert metadata["threads_blas"] == 1  # threadpoolctl's view after numpy's import


def test_no_thread_limits_is_recorded(tmp_path):
    results, metadata = _run(tmp_path, "--no-thread-limits")
    assert results.config["thread_limits"] is False
    assert metadata["thread_limits"] == "off" and metadata["env_OPENBLAS_NUM_THREADS"] == ""
    assert metadata["threads_blas"] >= 1
