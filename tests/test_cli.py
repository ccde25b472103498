"""Bad input: one line on stderr, exit code 2, never a traceback (checked in a real subprocess)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def bench(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=cwd)


def assert_clean_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("args,fragments", [
    (["run", "--workloads", "nope"], ["unknown workload 'nope'", "known: sleep, fib"]),
    (["run", "--strategies", "nope"], ["unknown strategy 'nope'", "known: serial"]),
    (["run", "--workloads", "fib", "--set", "fib.zz=1"], ["no parameter 'zz'", "known: n, k"]),
    (["run", "--workloads", "fib", "--set", "fib.k=abc"], ["wants int"]),
    (["run", "--set", "garbage"], ["--set wants WORKLOAD.PARAM=VALUE"]),
    (["run", "--cores", "64"], ["more than the", "affinity mask"]),
    (["run", "--cores", "zero"], ["--cores wants"]),
    (["run", "--modes", "tepid"], ["unknown mode 'tepid'"]),
    (["run", "--start-methods", "teleport"], ["unknown start method 'teleport'"]),
    (["run", "--workload-module", "no_such_module_xyz"], ["cannot import workload module", "ModuleNotFoundError"]),
    (["run", "--resume", "/nonexistent.json"], ["no such file"]),
    (["table", "/nonexistent.json"], ["no such file"]),
    (["run", "--profile", "huge"], ["invalid choice"]),
    (["frobnicate"], ["invalid choice"]),
])
def test_bad_input_is_one_clean_line(args, fragments):
    assert_clean_error(bench(*args), *fragments)


def test_a_corrupt_results_file_is_one_clean_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "1.0", "benchm')
    for command in (["table", str(bad)], ["report", str(bad), "-o", str(tmp_path / "r.html")],
                    ["compare", str(bad), str(bad)]):
        assert_clean_error(bench(*command), "not valid JSON")


def test_ocr_asked_for_without_tesseract_is_a_clean_error(tmp_path):
    # a PATH with python but no tesseract
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "python").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(shim)}
    done = bench("run", "--workloads", "ocr", env=env)
    assert_clean_error(done, "workload 'ocr' is unavailable here", "tesseract")
    listed = bench("list", env=env)
    assert listed.returncode == 0 and "unavailable" in listed.stdout


def test_list_shows_parameters_and_defaults():
    done = bench("list")
    assert done.returncode == 0
    for fragment in ("fib", "quick=", "full=", "pool-async", "dask-processes"):
        assert fragment in done.stdout


def test_table_has_the_contract_columns(small_run_path):
    done = bench("table", str(small_run_path), "--format", "csv")
    assert done.returncode == 0, done.stderr
    header = done.stdout.splitlines()[0].split(",")
    for column in ("workload", "strategy", "cores", "workers", "mode", "n_values", "median_s", "ci_low_s",
                   "ci_high_s", "speedup", "speedup_ci_low", "speedup_ci_high", "efficiency", "ok", "error"):
        assert column in header


def test_table_in_markdown_is_short_by_default_and_all_on_request(small_run_path, capsys):
    from bench.cli import main

    assert main(["table", str(small_run_path)]) == 0
    short = capsys.readouterr().out.splitlines()[0]
    assert " speedup |" in short and "ci_low_s" not in short and "metric_" not in short
    assert short.count("|") - 1 <= 16
    assert main(["table", str(small_run_path), "--columns", "all"]) == 0
    assert "ci_low_s" in capsys.readouterr().out.splitlines()[0]


def test_run_help_describes_the_profiles_and_has_examples():
    done = bench("run", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "quick (default): a first look" in text and "full: for a verdict to rely on" in text
    assert "+-3%" in text and "examples:" in text and "bench run --resume" in text


def test_the_parser_imports_no_statistics_or_plotting():
    """Every command's parser is built for every ``bench`` call (``--help``, one-line errors): it must
    not load scipy, pandas or matplotlib, a second or more here before anything is said."""
    code = ("import importlib, sys; importlib.import_module('bench.cli.main').build_parser(); "
            "print(','.join(m for m in ('scipy', 'pandas', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_compare_formats_are_the_renderers():
    from bench.analysis.compare_defaults import FORMATS
    from bench.render.compare_text import RENDERERS

    assert FORMATS == tuple(RENDERERS)
