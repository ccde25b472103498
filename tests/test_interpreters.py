"""Interpreters as an axis: finding, probing, labelling, and a run under an explicit --python."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench import storage
from bench.analysis.table import tidy
from bench.cli import main
from bench.execute import pythons as interpreters
from bench.execute.pythons import Interpreter
from bench.measure.metadata import label_from_metadata, python_label
from bench.model import BenchError
from bench.testing import make_case

VENV_PYTHON = str(Path(sys.executable).absolute())
TINY = ["--workloads", "fib", "--set", "fib.n=2", "--set", "fib.k=5", "--modes", "warm", "--cores", "1",
        "--no-progress"]


@pytest.fixture(autouse=True)
def no_calibration(monkeypatch):
    monkeypatch.setenv("BENCH_NO_CALIBRATE", "1")


def test_labels_say_version_build_and_gil():
    assert python_label("3.12.1", False, True) == "3.12.1 (GIL enabled)"
    assert python_label("3.13.0", True, False) == "3.13.0t (GIL disabled)"
    assert python_label("3.13.0", True, True) == "3.13.0t (GIL enabled)"  # an extension re-enabled it
    meta = {"python_version": "3.13.0", "python_free_threaded": 1, "python_gil": "disabled"}
    assert label_from_metadata(meta) == "3.13.0t (GIL disabled)"
    assert label_from_metadata({"python_gil": "enabled"}) == ""  # old results: no version recorded


def test_strategies_unavailable_under_one_interpreter_are_dropped_there_only():
    old = Interpreter("/py311", "3.11.7", False, True, {"interpreters": "needs Python 3.14+", "threads": None})
    new = Interpreter("/py314", "3.14.0", False, True, {"interpreters": None, "threads": None})
    assert interpreters.availability([old, new], "interpreters") is None
    assert "3.14" in interpreters.availability([old], "interpreters")
    pairs = interpreters.unavailable_pairs([old, new])
    assert pairs == {"/py311": {"interpreters": "needs Python 3.14+"}}
    cases = [make_case(strategy=s, python=p) for p in ("/py311", "/py314") for s in ("threads", "interpreters")]
    kept, skipped = interpreters.drop_unavailable(cases + cases[:2], pairs)
    assert [(c.strategy, c.python) for c in kept] == [("threads", "/py311"), ("threads", "/py314"),
                                                     ("interpreters", "/py314"), ("threads", "/py311")]
    assert skipped == [{"strategy": "interpreters", "python": "/py311", "reason": "needs Python 3.14+"}]


@pytest.mark.parametrize("item,why", [("/no/such/python", "no such interpreter"),
                                      ("README.md", "no such interpreter"),
                                      ("2.1", "no such interpreter in .venvs/")])
def test_a_bad_python_is_a_clean_error(item, why, capsys):
    assert main(["run", *TINY, "--strategies", "threads", "--python", item]) == 2
    err = capsys.readouterr().err
    assert why in err and err.count("\n") == 1


def test_something_that_is_not_python_is_a_clean_error(tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho not python >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(BenchError, match="not a usable Python interpreter"):
        interpreters.resolve(str(fake))


def test_an_interpreter_without_the_project_says_how_to_set_it_up(monkeypatch, tmp_path):
    bare = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    if not bare.exists() or not interpreters.probe(str(bare)).get("missing"):
        pytest.skip("no interpreter without this project's dependencies here")
    monkeypatch.setattr(interpreters, "VENVS", tmp_path)  # and no project venv to fall back on
    with pytest.raises(BenchError, match=r"cannot run cases .*make venv-3\.\d+"):
        interpreters.resolve(str(bare))


def test_a_run_under_an_explicit_python_records_it(tmp_path, no_leaked_processes):
    out = tmp_path / "python.json"
    assert main(["run", *TINY, "--strategies", "threads", "--python", VENV_PYTHON, "-o", str(out)]) == 0
    results = storage.load(out)
    assert results.config["pythons"] == [VENV_PYTHON]
    assert all(r.ok and r.case.python == VENV_PYTHON for r in results.cases)
    for result in results.cases:
        assert result.metadata["python_executable"] == VENV_PYTHON
    table = tidy(results)
    label = python_label(".".join(map(str, sys.version_info[:3])), interpreters_free_threaded(),
                         getattr(sys, "_is_gil_enabled", lambda: True)())
    assert set(table.python) == {label}
    assert table.speedup.notna().all(), "the serial baseline must come from the same interpreter"


def interpreters_free_threaded() -> bool:
    import sysconfig

    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def _project_venvs() -> list[str]:
    return sorted(str(p) for p in interpreters.VENVS.glob("*/bin/python"))


@pytest.mark.skipif(not _project_venvs(), reason="no .venvs/ set up (make venv-3.12)")
def test_each_interpreter_gets_its_own_serial_baseline(tmp_path, no_leaked_processes):
    other = _project_venvs()[0]
    out = tmp_path / "two.json"
    assert main(["run", *TINY, "--strategies", "threads", "--python", f"{VENV_PYTHON},{other}",
                 "-o", str(out)]) == 0
    results = storage.load(out)
    table = tidy(results)
    assert len(set(table.python)) == 2 and table.ok.all() and table.speedup.notna().all()
    serial = {r.case.python for r in results.cases if r.case.is_serial}
    assert serial == {VENV_PYTHON, other}
    assert set(results.config["python_labels"]) == {VENV_PYTHON, other}


def test_resume_keeps_the_interpreters_and_run_settings():
    from bench.execute.session import spec_from_config

    config = {"workloads": ["fib"], "strategies": ["threads"], "cores": [1], "workers": [], "modes": ["warm"],
              "start_methods": [None], "overrides": {}, "profile": "quick", "pythons": [VENV_PYTHON]}
    assert list(spec_from_config(config).pythons) == [VENV_PYTHON]
    del config["pythons"]  # results written before --python existed
    assert list(spec_from_config(config).pythons) == [None]
