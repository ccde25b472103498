"""The optional engines (loky, mpire, ray, interpreters): skipped with a reason when absent, correct when present."""
from __future__ import annotations

import importlib.util

import pytest

from bench import registry, storage
from bench.cli import main

TINY = ["--workloads", "addweighted", "--set", "addweighted.count=3",
        "--set", "addweighted.size=16", "--modes", "warm", "--cores", "2", "--no-progress"]
ENGINES = {"loky": "loky", "mpire": "mpire", "ray": "ray"}


@pytest.fixture(autouse=True)
def no_calibration(monkeypatch):
    monkeypatch.setenv("BENCH_NO_CALIBRATE", "1")


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.mark.parametrize("name,module", sorted(ENGINES.items()))
def test_unavailable_exactly_when_not_installed(name, module):
    reason = registry.get_strategy(name).unavailable_reason()
    if _installed(module):
        assert reason is None
    else:
        assert module in reason and "extras" in reason


def test_a_missing_engine_is_skipped_with_its_reason(monkeypatch):
    cls = registry.get_strategy("mpire")
    monkeypatch.setattr(cls, "requires", ("no_such_engine_module",))
    assert "no_such_engine_module" in cls.unavailable_reason()


def test_interpreters_needs_python_314(capsys):
    reason = registry.get_strategy("interpreters").unavailable_reason()
    if reason is None:
        pytest.skip("this Python has InterpreterPoolExecutor")
    assert "needs Python 3.14+" in reason
    assert main(["run", *TINY, "--strategies", "interpreters"]) == 2
    assert "needs Python 3.14+" in capsys.readouterr().err


def _run(tmp_path, strategies: str, *extra: str):
    out = tmp_path / "engines.json"
    assert main(["run", *TINY, "--strategies", strategies, *extra, "-o", str(out)]) == 0
    results = storage.load(out)
    assert all(r.ok for r in results.cases), [(r.case.key, r.error) for r in results.cases if not r.ok]
    return results


@pytest.mark.skipif(not (_installed("loky") and _installed("mpire")), reason="extras not installed")
def test_loky_and_mpire_match_serial(tmp_path, no_leaked_processes):
    results = _run(tmp_path, "loky,mpire", "--start-methods", "spawn")
    runs = {(r.case.strategy, r.case.start_method) for r in results.cases if not r.case.is_serial}
    # mpire honours the start method; loky always uses its own
    assert runs == {("loky", None), ("mpire", "spawn")}


@pytest.mark.skipif(not _installed("ray"), reason="ray not installed (pip install -e '.[extras]')")
def test_ray_matches_serial_and_leaves_no_raylet(tmp_path, no_leaked_processes):
    out = tmp_path / "ray.json"
    assert main(["run", "--workloads", "fib", "--set", "fib.n=4", "--set", "fib.k=8", "--modes", "warm",
                 "--cores", "2", "--no-progress", "--strategies", "ray", "-o", str(out)]) == 0
    [ray_case] = [r for r in storage.load(out).cases if r.case.strategy == "ray"]
    assert ray_case.ok, ray_case.error
