from __future__ import annotations

from pathlib import Path

import psutil
import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def no_calibration_in_runs(monkeypatch):
    """`bench run` in tests skips the few-second machine calibration; tests of it unset this."""
    monkeypatch.setenv("BENCH_NO_CALIBRATE", "1")


@pytest.fixture(autouse=True)
def no_remeasuring_in_runs(monkeypatch):
    """`bench run` in tests does not wait for a quiet machine to re-measure disturbed cases (a shared CI
    box is rarely quiet); tests/test_remeasure.py tests that logic with a fake clock."""
    monkeypatch.setenv("BENCH_REMEASURE", "0")


@pytest.fixture
def small_run_path() -> Path:
    """A real quick run: fib, square, sleep x serial, threads, pool-map x cores 1, 2."""
    return FIXTURES / "small_run.json"


def _is_resource_tracker(proc: psutil.Process) -> bool:
    """multiprocessing's and loky's resource trackers are per-process singletons that
    exit with their owner; in-process tests keep them, a real run's case process takes
    them down when it exits."""
    try:
        return "resource_tracker" in " ".join(proc.cmdline())
    except psutil.Error:
        return False


@pytest.fixture
def no_leaked_processes():
    """Fails the test if it leaves a child process behind."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield
    after = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    alive = [p for p in after if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
             and not _is_resource_tracker(p)]
    assert not alive, f"leaked processes: {[(p.pid, p.name()) for p in alive]}"
