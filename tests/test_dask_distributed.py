"""dask-distributed on a LocalCluster sized to the case, and on a real external cluster.

The external cluster is a `dask scheduler` and two `dask worker` processes on
127.0.0.1 started by the fixture below: the runner must measure against them,
record their count, and leave them alive (it reaps only what a case started);
stopping them is the fixture's job.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from bench import storage
from bench.cli import main
from bench.model import StrategyOptions
from bench.strategies.dask_distributed import DaskDistributed, batches

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parent.parent
DASK = Path(sys.executable).parent / "dask"
TINY = ["--workloads", "fib", "--set", "fib.n=6", "--set", "fib.k=10", "--modes", "warm", "--no-progress",
        "--no-single-worker"]


@pytest.fixture(autouse=True)
def no_calibration(monkeypatch):
    monkeypatch.setenv("BENCH_NO_CALIBRATE", "1")


def _stop(processes: list[subprocess.Popen]) -> None:
    # SIGKILL: a graceful worker shutdown takes seconds and proves nothing here
    for process in processes:
        process.kill()
    for process in processes:
        process.wait()


def _wait_for_file(path: Path, process: subprocess.Popen, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return json.loads(path.read_text())
        if process.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with {process.returncode}")
        time.sleep(0.2)
    raise TimeoutError("dask scheduler did not write its scheduler file")


@pytest.fixture
def dask_cluster(no_leaked_processes, tmp_path):
    """tcp address of a scheduler with two single-threaded workers (no nanny, no dashboard)."""
    from distributed import Client

    scheduler_file = tmp_path / "scheduler.json"
    log = open(tmp_path / "cluster.log", "wb")
    common = dict(cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    processes = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--no-dashboard", "--scheduler-file", str(scheduler_file)], **common)]
    try:
        address = _wait_for_file(scheduler_file, processes[0])["address"]
        for index in range(2):
            processes.append(subprocess.Popen(
                [str(DASK), "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                 "--no-dashboard", "--memory-limit", "0", "--name", f"bench-test-{index}"], **common))
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address, [p.pid for p in processes]
    finally:
        _stop(processes)
        log.close()


def _only(results, strategy):
    [found] = [r for r in results.cases if r.case.strategy == strategy]
    return found


def test_batches_keep_every_task_in_order():
    tasks = list(range(23))
    parts = batches(tasks, 2)
    assert [t for part in parts for t in part] == tasks
    assert len(parts) == 8  # Pool.map's heuristic: about four chunks per worker


def test_runs_on_an_external_scheduler_and_leaves_it_running(dask_cluster, tmp_path):
    address, pids = dask_cluster
    out = tmp_path / "external.json"
    code = main(["run", *TINY, "--strategies", "dask-distributed", "--cores", "1", "--scheduler", address,
                 "-o", str(out)])
    assert code == 0
    results = storage.load(out)
    case = _only(results, "dask-distributed")
    assert case.ok, case.error
    assert case.metadata["cluster"] == "external"
    assert case.metadata["scheduler"] == address
    assert case.metadata["cluster_workers"] == 2 and case.metadata["cluster_threads"] == 2
    assert results.config["scheduler"] == address
    assert case.case.start_method is None, "an external cluster is not crossed with start methods"
    assert all(psutil.pid_exists(pid) for pid in pids), "the runner must not reap the user's cluster"


def test_local_cluster_is_sized_to_the_case_and_fully_shut_down(tmp_path, no_leaked_processes):
    out = tmp_path / "local.json"
    code = main(["run", *TINY, "--strategies", "dask-distributed", "--cores", "2",
                 "--start-methods", "forkserver", "-o", str(out)])
    assert code == 0
    case = _only(storage.load(out), "dask-distributed")
    assert case.ok, case.error
    assert case.metadata["cluster"] == "local"
    assert case.metadata["cluster_workers"] == 2 and case.metadata["cluster_threads"] == 2
    assert case.metadata["start_method"] == "forkserver"  # the nannies' multiprocessing method
    assert case.metadata["affinity"] == "0,1" or len(case.metadata["affinity"].split(",")) == 2


def _alive_children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE}


def test_close_leaves_no_nanny_or_worker_behind():
    """In this process, so nothing but close() can clean up after the cluster."""
    from multiprocessing import resource_tracker

    from workloads.square import square_task

    resource_tracker.ensure_running()  # multiprocessing's helper lives as long as its parent, by design
    before = _alive_children()
    strategy = DaskDistributed(StrategyOptions(workers=1))
    strategy.start()
    try:
        assert strategy.map(square_task, list(range(10))) == [x * x for x in range(10)]
    finally:
        strategy.close()
    assert strategy.describe()["cluster_workers"] == 1
    assert _alive_children() - before == set()


@pytest.mark.parametrize("address,why", [("localhost:8786", "tcp://HOST:PORT"),
                                         ("tcp://127.0.0.1", "tcp://HOST:PORT")])
def test_a_bad_scheduler_address_is_a_clean_error(address, why, capsys):
    assert main(["run", *TINY, "--strategies", "dask-distributed", "--cores", "1", "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert why in err and err.count("\n") == 1


def test_scheduler_without_dask_distributed_is_a_clean_error(capsys):
    assert main(["run", *TINY, "--strategies", "threads", "--cores", "1", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "dask-distributed" in capsys.readouterr().err


def test_dask_distributed_is_not_in_the_default_matrix():
    from bench import registry

    assert "dask-distributed" in registry.strategy_names()
    assert "dask-distributed" not in registry.DEFAULT_STRATEGIES


def test_an_unreachable_scheduler_is_a_clean_error(capsys):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["run", *TINY, "--strategies", "dask-distributed", "--cores", "1",
                 "--scheduler", f"tcp://127.0.0.1:{port}"]) == 2
    err = capsys.readouterr().err
    assert "cannot connect" in err and err.count("\n") == 1
