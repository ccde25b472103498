"""The mpi strategy (an extra): unavailable with the reason without mpi4py or mpiexec; with them, a tiny
real run whose results match serial and whose workers are gone afterwards."""
from __future__ import annotations

import importlib.util

import pytest

from bench import registry
from bench.execute.session import RunRequest, run_matrix
from bench.strategies import mpi

MPI = registry.get_strategy("mpi")


def test_without_mpi4py_it_says_which_package_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mpi4py" else real(name, *a))
    assert "mpi4py" in MPI.unavailable_reason() and "extras" in MPI.unavailable_reason()


def test_without_mpiexec_it_says_so_instead_of_hanging(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object())
    monkeypatch.setattr(mpi.shutil, "which", lambda *a, **k: None)
    assert "no mpiexec" in MPI.unavailable_reason()


def test_the_interpreters_bin_folder_comes_first_on_path(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin")
    assert mpi._path_with_bin().split(":") == [mpi._bin_folder(), "/usr/bin"]


@pytest.mark.skipif(MPI.unavailable_reason() is not None, reason=str(MPI.unavailable_reason()))
def test_a_tiny_run_matches_serial_in_both_modes(tmp_path, no_leaked_processes):
    request = RunRequest(workloads=("fib",), strategies=("serial", "mpi"), cores=(1,), workers=(2,),
                         modes=("cold", "warm"), sets=("fib.n=4", "fib.k=12"), profile="quick", calibrate=False,
                         progress=False, processes=1, output=tmp_path / "run.json")
    results = run_matrix(request)
    assert sorted(r.case.mode for r in results.cases if r.case.strategy == "mpi") == ["cold", "warm"]
    assert all(r.ok for r in results.cases), [r.error for r in results.cases if not r.ok]
    assert all(r.metadata.get("mpi_library", "").startswith("MPICH") for r in results.cases if r.case.strategy == "mpi")
