"""`bench run` and its results file: no silent loss, no overwrite, one clean line for a bad path or option."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import output_file, storage
from bench.cli import main

TINY = ["--workloads", "sleep", "--strategies", "serial,threads", "--cores", "1", "--workers", "1", "--modes", "warm",
        "--set", "sleep.n=2", "--set", "sleep.seconds=0.001", "--no-progress"]


def bench(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, timeout=timeout)


def one_error_line(done: subprocess.CompletedProcess, code: int = 2) -> str:
    assert done.returncode == code, (done.returncode, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.startswith("bench: error:")]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


@pytest.fixture
def unwritable_dir(tmp_path) -> Path:
    """A folder nobody may create files in (root ignores modes, but not sysfs)."""
    if os.geteuid() == 0:
        return Path("/sys/kernel")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


# ---------------------------------------------------------------- item 3: lock, overwrite

def test_an_existing_results_file_is_not_overwritten_without_force(tmp_path, small_run_path):
    out = tmp_path / "run.json"
    out.write_bytes(small_run_path.read_bytes())
    line = one_error_line(bench("run", *TINY, "-o", str(out)))
    assert line == f"bench: error: {out} already exists; pass --force to overwrite it, or --resume {out} to continue it"
    assert out.read_bytes() == small_run_path.read_bytes()
    done = bench("run", *TINY, "-o", str(out), "--force")
    assert done.returncode == 0, done.stderr
    assert len(storage.load(out).cases) == 2


def test_a_second_run_on_the_same_file_refuses_while_the_first_holds_it(tmp_path, no_leaked_processes):
    out = tmp_path / "run.json"
    first = subprocess.Popen([sys.executable, "-m", "bench", "run", *TINY, "--set", "sleep.seconds=0.5",
                              "-o", str(out)], stderr=subprocess.PIPE, text=True)
    try:
        lock = output_file.lock_path(out)
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.02)
        line = one_error_line(bench("run", *TINY, "-o", str(out), "--force"))
        assert line == (f"bench: error: {out} is being written by another bench run (pid {first.pid}); "
                        "wait for it or choose another -o")
    finally:
        _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert len(storage.load(out).cases) == 2 and not lock.exists()


def test_the_lock_refuses_a_second_holder_and_is_released(tmp_path):
    path = tmp_path / "run.json"
    with output_file.locked(path):
        child = subprocess.run([sys.executable, "-c", "from pathlib import Path; from bench import output_file\n"
                                f"with output_file.locked(Path({str(path)!r})): pass"],
                               capture_output=True, text=True, timeout=60)
        assert "is being written by another bench run" in child.stderr
    with output_file.locked(path):  # released: taken again at once
        pass
    assert not output_file.lock_path(path).exists()


# ---------------------------------------------------------------- item 6: environment errors

def test_output_paths_that_cannot_be_written_fail_before_measuring(tmp_path, unwritable_dir):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    expected = {
        str(tmp_path): f"bench: error: -o {tmp_path} is a folder; give a file name, e.g. {tmp_path / 'run.json'}",
        str(a_file / "run.json"): f"bench: error: -o {a_file / 'run.json'}: {a_file} is a file, not a folder; "
                                  "choose another path",
        str(unwritable_dir / "run.json"): f"bench: error: -o {unwritable_dir / 'run.json'}: cannot write in "
                                          f"{unwritable_dir} (Permission denied); choose another path",
        "/dev/null": "bench: error: -o /dev/null is not a regular file; choose another path",
    }
    for output, message in expected.items():
        done = bench("run", *TINY, "-o", output)
        assert one_error_line(done) == message
        assert "bench: 0 cases" not in done.stderr, "nothing may be measured first"


def test_report_to_an_unwritable_path_is_one_line(small_run_path, unwritable_dir):
    line = one_error_line(bench("report", str(small_run_path), "-o", str(unwritable_dir / "r.html")))
    assert line.startswith(f"bench: error: -o {unwritable_dir / 'r.html'}: cannot write in {unwritable_dir}")


def test_table_to_a_full_device_is_one_line():
    done = subprocess.run(f"{sys.executable} -m bench table {Path(__file__).parent / 'fixtures/small_run.json'} "
                          "> /dev/full", shell=True, capture_output=True, text=True, timeout=60)
    assert done.stderr == ("bench: error: cannot write output: No space left on device "
                           "(check the path, its permissions and free space)\n"), "one line, no traceback at exit"
    assert done.returncode == 2


def test_a_full_disk_mid_run_keeps_the_file_and_says_resume(tmp_path, monkeypatch, capsys, no_leaked_processes):
    out = tmp_path / "run.json"
    real = storage.write_atomically
    saves = []

    def fill_up(path, text):
        saves.append(path)
        if len(saves) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, text)

    monkeypatch.setattr(storage, "write_atomically", fill_up)
    assert main(["run", *TINY, "-o", str(out)]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"bench: error: cannot write {out}: No space left on device; the file so far is intact; "
        f"free space or fix the folder, then: bench run --resume {out}")
    kept = storage.load(out)
    assert len(kept.cases) == 1 and not kept.complete
    assert not output_file.lock_path(out).exists()


# ---------------------------------------------------------------- items 7, 8 and exit codes

def test_duplicated_names_measure_each_case_once(tmp_path):
    out = tmp_path / "run.json"
    done = bench("run", "--workloads", "sleep,sleep", "--strategies", "serial,threads,threads", "--cores", "1",
                 "--workers", "1,1", "--modes", "warm,warm", "--set", "sleep.n=2", "--set", "sleep.seconds=0.001",
                 "--no-progress",
                 "-o", str(out))
    assert done.returncode == 0, done.stderr
    results = storage.load(out)
    keys = [r.case.key for r in results.cases]
    assert len(keys) == len(set(keys)) == 2 and results.complete
    assert results.config["strategies"] == ["serial", "threads"] and results.config["modes"] == ["warm"]


@pytest.mark.parametrize("option,value,message", [
    ("--timeout", "-5", "argument --timeout: wants a finite number of seconds above 0, got '-5'"),
    ("--timeout", "0", "argument --timeout: wants a finite number of seconds above 0, got '0'"),
    ("--timeout", "nan", "argument --timeout: wants a finite number of seconds above 0, got 'nan'"),
    ("--timeout", "inf", "argument --timeout: wants a finite number of seconds above 0, got 'inf'"),
    ("--set", "sleep.seconds=inf", "parameter 'seconds' must be a finite number, got 'inf'"),
    ("--set", "sleep.seconds=nan", "parameter 'seconds' must be a finite number, got 'nan'"),
])
def test_unusable_option_values_are_refused(tmp_path, option, value, message):
    done = bench("run", "--workloads", "sleep", "--no-progress", option, value, "-o", str(tmp_path / "r.json"))
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.json").exists()


def test_a_run_where_no_case_succeeded_exits_1(tmp_path, monkeypatch, no_leaked_processes):
    plugins = str(Path(__file__).parent / "plugins")
    monkeypatch.setenv("PYTHONPATH", plugins)
    done = subprocess.run([sys.executable, "-m", "bench", "run", "--workload-module", "faulty", "--workloads",
                           "faulty", "--strategies", "serial,threads", "--cores", "1", "--modes", "warm",
                           "--set", "faulty.fault=always", "--no-progress", "-o", str(tmp_path / "r.json")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "bench: no case succeeded"
    assert json.loads((tmp_path / "r.json").read_text())["bench"]["complete"]
