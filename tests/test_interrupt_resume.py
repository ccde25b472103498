"""Ctrl-C or SIGTERM keeps everything measured; --resume finishes the run without redoing it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import psutil
import pytest

from bench import storage

RUN = [sys.executable, "-m", "bench", "run", "--workloads", "sleep", "--strategies", "serial,threads,pool-map",
       "--cores", "1,2", "--set", "sleep.n=2", "--set", "sleep.seconds=0.05", "--no-progress"]


def processes_marked(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("BENCH_TEST_MARKER") == marker:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def wait_for_cases(path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(json.loads(path.read_text())["bench"]["cases"]) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never reached {count} cases")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_run_and_keeps_what_was_measured(tmp_path, signum):
    out = tmp_path / "run.json"
    marker = uuid.uuid4().hex
    proc = subprocess.Popen([*RUN, "-o", str(out)], env={**os.environ, "BENCH_TEST_MARKER": marker},
                            stderr=subprocess.PIPE, text=True)
    wait_for_cases(out, 3)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "--resume" in stderr and "Traceback" not in stderr
    interrupted = storage.load(out)
    assert not interrupted.complete and len(interrupted.cases) >= 3
    assert all(r.values for r in interrupted.cases if r.ok)
    assert processes_marked(marker) == [], "no process may outlive the run"


def test_resume_finishes_without_redoing_cases(tmp_path):
    out = tmp_path / "run.json"
    proc = subprocess.Popen([*RUN, "-o", str(out)], stderr=subprocess.DEVNULL)
    wait_for_cases(out, 3)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    before = {r.case.key: r.values for r in storage.load(out).cases}
    done = subprocess.run([sys.executable, "-m", "bench", "run", "--resume", str(out), "--no-progress"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    after = storage.load(out)
    assert after.complete
    assert len(after.cases) == 2 * (1 + 2 * 2 * 2), \
        "serial + (threads, pool-map) x workers (2) x modes (2) per core count"
    keys = [r.case.key for r in after.cases]
    assert len(keys) == len(set(keys))
    for key, values in before.items():
        assert next(r.values for r in after.cases if r.case.key == key) == values, "finished cases were redone"


def test_resuming_a_complete_run_does_nothing(tmp_path, small_run_path):
    copy = tmp_path / "done.json"
    copy.write_bytes(small_run_path.read_bytes())
    done = subprocess.run([sys.executable, "-m", "bench", "run", "--resume", str(copy), "--no-progress"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before, after = storage.load(small_run_path), storage.load(copy)
    keys = [r.case.key for r in after.cases]
    assert keys == [r.case.key for r in before.cases], "a case was added, dropped or duplicated"
    assert [(r.values, r.reference) for r in after.cases] == [(r.values, r.reference) for r in before.cases], \
        "a finished case was measured again"
