from __future__ import annotations

from pathlib import Path

import psutil
import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def small_run_path() -> Path:
    """A real quick run: fib, square, sleep x serial, threads, pool-map x cores 1, 2."""
    return FIXTURES / "small_run.json"


@pytest.fixture
def no_leaked_processes():
    """Fails the test if it leaves a child process behind."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield
    after = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    alive = [p for p in after if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"leaked processes: {[(p.pid, p.name()) for p in alive]}"
