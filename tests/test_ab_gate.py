"""`bench ab --base REF`: the gate on a user's git repository, built in a temporary folder.

The real runs use sleeps (2 tasks of 5 ms) and changes far beyond any noise (x3), so they
assert the gate's plumbing (worktrees, which code each side imports, exit codes, files,
cleanup), not timing; the measured +10 % / +3 % evidence is in the issue's closing note.
"""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bench.analysis.compare import compare
from bench.cli.main import build_parser
from bench.execute import ab_imports, gitref
from bench.execute.ab import ROOT, Side
from bench.execute.ab_session import side_problems
from bench.render.ab_text import reproduce_commands
from bench.testing import make_result, make_results

WORK = '''
import time
from bench.model import Param, WorkloadBase

SCALE = 1.0


def nap(x):
    time.sleep(0.005 * SCALE)
    return x


def make():
    return [0, 1]


class Nap(WorkloadBase):
    name, summary, bound = "nap", "sleeps", "io-latency"
    params = (Param("n", int, quick=2, full=2, help="tasks", minimum=1),)
    task = staticmethod(nap)

    def make_tasks(self, params):
        return list(range(params["n"]))


WORKLOAD = Nap()
'''
FAST = ["--strategies", "threads", "--cores", "1", "--workers", "2", "--modes", "warm", "--processes", "1",
        "--case-budget", "0.3", "--no-progress"]
MODULE = ["--workload-module", "gatework", "--workloads", "nap"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def commit(repo: Path, message: str, source: str | None = None) -> None:
    if source is not None:
        (repo / "gatework.py").write_text(source)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


@pytest.fixture
def repo(tmp_path):
    """A user's repository: the workload module, committed twice (base, the same code)."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    git(path, "config", "user.email", "t@example.com")
    git(path, "config", "user.name", "t")
    (path / ".gitignore").write_text("results/\n")
    commit(path, "base", WORK)
    commit(path, "same")
    return path


def bench(repo: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench", "ab", *args], cwd=repo, capture_output=True, text=True,
                          timeout=timeout)


def no_worktree_left(repo: Path) -> bool:
    return gitref.worktrees(repo) == [repo.resolve()]


def test_equal_commits_pass_and_the_worktree_goes(repo):
    out = bench(repo, "--base", "HEAD~1", *MODULE, *FAST)
    assert out.returncode == 0, out.stderr
    assert "side B = the working tree as it is, uncommitted changes included" in out.stdout
    assert "bench compare: PASS" in out.stdout
    imports = [line for line in out.stderr.splitlines() if "imports" in line]
    assert "bench-ab-worktrees-" in imports[0] and f"gatework from {repo / 'gatework.py'}" in imports[1]
    assert no_worktree_left(repo)


def test_a_slower_head_fails_with_a_markdown_summary_to_reproduce_it(repo, tmp_path):
    commit(repo, "3x slower", WORK.replace("SCALE = 1.0", "SCALE = 3.0"))
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    out = bench(repo, "--base", "HEAD~1", *MODULE, *FAST, "--format", "md", "--summary", str(summary))
    assert out.returncode == 1, out.stderr
    base = git(repo, "rev-parse", "HEAD~1").strip()
    text = summary.read_text()
    assert text.startswith("earlier step\n**bench ab**: A = base HEAD~1")  # appended, as GITHUB_STEP_SUMMARY wants
    assert "| regression | `nap/threads" in text and "```sh" in text and f"--base {base}" in text
    assert out.stdout in text
    assert no_worktree_left(repo)


def test_task_and_inputs_are_resolved_on_each_side(repo):
    commit(repo, "3x slower", WORK.replace("SCALE = 1.0", "SCALE = 3.0"))
    out = bench(repo, "--base", "HEAD~1", "--task", "gatework:nap", "--inputs", "gatework:make", *FAST,
                "--metric", "time", "--format", "json")
    assert out.returncode == 1, out.stderr
    assert "bench-ab-worktrees-" in out.stderr.splitlines()[0] and "--task gatework:nap" in out.stdout


def test_head_revision_and_uncommitted_changes(repo):
    (repo / "gatework.py").write_text(WORK.replace("SCALE = 1.0", "SCALE = 3.0"))  # not committed
    out = bench(repo, "--base", "HEAD", *MODULE, *FAST)
    assert out.returncode == 1, out.stderr  # B is the working tree, uncommitted changes included
    dirty = bench(repo, "--base", "HEAD~1", "--head", "HEAD", *MODULE, *FAST)
    assert dirty.returncode == 2 and "uncommitted changes" in dirty.stderr
    git(repo, "checkout", "--", "gatework.py")
    out = bench(repo, "--base", "HEAD~1", "--head", "HEAD", *MODULE, *FAST, "--force")
    assert out.returncode == 0, out.stderr
    assert "side B = head HEAD" in out.stdout
    assert no_worktree_left(repo)


def test_bad_input_is_one_line_exit_2_and_leaves_no_worktree(repo, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "gatework.py").write_text(WORK)
    cases = [(repo, "--base", "no-such-branch"), (outside, "--base", "HEAD")]
    for folder, *args in cases:
        out = bench(folder, *args, *MODULE, *FAST)
        assert out.returncode == 2 and out.stderr.count("\n") == 1 and out.stderr.startswith("bench: error:")
    commit(repo, "the module imports again")  # HEAD~1 is "same"; make a base that does not import
    (repo / "gatework.py").write_text("raise ImportError('broken base')\n" + WORK)
    commit(repo, "broken")
    commit(repo, "fixed", WORK)
    out = bench(repo, "--base", "HEAD~1", *MODULE, *FAST)
    last = out.stderr.splitlines()[-1]
    assert out.returncode == 2 and "side A cannot import gatework" in last and "broken base" in last
    assert no_worktree_left(repo)


def test_a_base_whose_every_case_fails_does_not_pass(repo):
    commit(repo, "raises", WORK.replace("    time.sleep(0.005 * SCALE)", "    raise ValueError('no')"))
    commit(repo, "fixed", WORK)
    out = bench(repo, "--base", "HEAD~1", *MODULE, *FAST)
    assert out.returncode == 1 and "every case failed on side A" in out.stdout


def test_a_gate_that_compared_nothing_fails(repo):
    out = bench(repo, "--base", "HEAD~1", *MODULE, *FAST, "--strategies", "serial", "--metric", "speedup")
    assert out.returncode == 1 and "no case was compared" in out.stdout


def test_earlier_files_are_kept_without_force_and_processes_are_capped(repo):
    (repo / "results").mkdir()
    (repo / "results" / "ab-B.json").write_text("{}")
    started = time.monotonic()
    out = bench(repo, "--base", "HEAD~1", *MODULE, *FAST)
    assert out.returncode == 2 and "pass --force" in out.stderr and (repo / "results/ab-B.json").read_text() == "{}"
    assert time.monotonic() - started < 60  # refused before any work (no case measured)
    assert no_worktree_left(repo)
    capped = bench(repo, *MODULE, *FAST, "--processes", "100", "--force")
    assert capped.returncode == 2 and "--processes wants a whole number from 1 to 20" in capped.stderr


def test_gate_options_without_base_are_refused(repo):
    out = bench(repo, *MODULE, *FAST, "--metric", "speedup")
    assert out.returncode == 2 and "--metric is for the gate: add --base REF" in out.stderr


def test_sigterm_removes_the_worktree(repo):
    commit(repo, "slow", WORK.replace("SCALE = 1.0", "SCALE = 40.0"))  # 0.2 s sleeps: time to stop it
    proc = subprocess.Popen([sys.executable, "-m", "bench", "ab", "--base", "HEAD~1", *MODULE, *FAST[:-3],
                             "--case-budget", "30"], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 120
        while len(gitref.worktrees(repo)) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert no_worktree_left(repo)


def _worktree_of(repo: Path, owner: str | None, tmp_path: Path, name: str) -> Path:
    """A worktree as a gate makes it: in a PREFIX folder whose owner file names OWNER."""
    parent = tmp_path / f"{gitref.PREFIX}{name}"
    parent.mkdir()
    if owner is not None:
        (parent / gitref.OWNER).write_text(owner)
    git(repo, "worktree", "add", "--detach", "--quiet", str(parent / "A"), "HEAD~1")
    return parent / "A"


def test_a_killed_gates_worktree_is_swept_and_a_running_ones_kept(repo, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import psutil
    me = psutil.Process()
    killed = _worktree_of(repo, f"{dead.pid} 1.0", tmp_path, "killed")
    reused = _worktree_of(repo, f"{me.pid} {me.create_time() - 100.0!r}", tmp_path, "reused-pid")
    running = _worktree_of(repo, f"{me.pid} {me.create_time()!r}", tmp_path, "running")
    fresh = _worktree_of(repo, None, tmp_path, "being-made")  # no owner yet, but just made
    git(repo, "worktree", "add", "--detach", "--quiet", str(tmp_path / "users-own"), "HEAD")  # not a gate's
    assert set(gitref.sweep_orphans(repo)) == {killed.resolve(), reused.resolve()}
    left = set(gitref.worktrees(repo))
    assert {running.resolve(), fresh.resolve(), (tmp_path / "users-own").resolve()} <= left
    assert killed.resolve() not in left and not killed.parent.exists() and not reused.parent.exists()


def test_the_next_gate_removes_what_a_sigkill_left(repo):
    commit(repo, "slow", WORK.replace("SCALE = 1.0", "SCALE = 40.0"))
    proc = subprocess.Popen([sys.executable, "-m", "bench", "ab", "--base", "HEAD~1", *MODULE, *FAST[:-3],
                             "--case-budget", "30"], cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(gitref.worktrees(repo)) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        proc.kill()  # SIGKILL: no finally runs
        proc.wait(timeout=60)
    finally:
        proc.kill()
    assert len(gitref.worktrees(repo)) == 2  # what SIGKILL leaves
    commit(repo, "fast again", WORK)
    out = bench(repo, "--base", "HEAD~2", *MODULE, *FAST, "--force")
    assert "a worktree left by an earlier gate that was killed" in out.stderr, out.stderr
    assert no_worktree_left(repo)


# ---------------------------------------------------------------- plain `bench ab`: where each side imports from

def test_a_pythonpath_that_does_not_hold_the_code_is_refused(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "base" / "bench").mkdir(parents=True)  # another checkout, named one level too deep
    (tmp_path / "base" / "bench" / "__init__.py").write_text("")
    tiny = ["--workloads", "sleep", "--set", "sleep.n=2", "--set", "sleep.seconds=0.002", *FAST]
    for folder in (empty, tmp_path / "base" / "bench"):
        out = subprocess.run([sys.executable, "-m", "bench", "ab", *tiny, "--a-pythonpath", str(folder), "--output-a",
                              str(tmp_path / "a.json"), "--output-b", str(tmp_path / "b.json")], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 2 and f"side A imported nothing from {folder}" in out.stderr
        assert not (tmp_path / "a.json").exists()
    out = subprocess.run([sys.executable, "-m", "bench", "ab", *tiny, "--a-env", "PYTHONHOME=/nonexistent"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "side A does not start" in out.stderr


def test_misplaced_names_what_came_from_elsewhere(tmp_path):
    (tmp_path / "base" / "mymod").mkdir(parents=True)
    (tmp_path / "base" / "mymod" / "__init__.py").write_text("")
    side = Side("A", pythonpath=(str(tmp_path / "base"),))
    good = {"bench": str(ROOT / "bench/__init__.py"), "mymod": str(tmp_path / "base/mymod/__init__.py")}
    assert ab_imports.misplaced(side, good) is None
    shadowed = {**good, "mymod": "/elsewhere/mymod/__init__.py"}
    assert "imported nothing from" in ab_imports.misplaced(side, shadowed)
    both = {**good, "bench": str(tmp_path / "other.py"), "mymod": good["mymod"]}
    (tmp_path / "base" / "bench").mkdir()
    (tmp_path / "base" / "bench" / "__init__.py").write_text("")
    assert "imported bench from" in ab_imports.misplaced(side, both)
    assert ab_imports.misplaced(Side("B"), shadowed) is None  # told nothing: nothing to check


def test_module_names_cover_the_harness_the_user_modules_and_a_task():
    entry = 'bench-function:{"task": "pkg.work:run", "inputs": "pkg.data:make", "name": null, "bound": "cpu"}'
    assert ab_imports.module_names(["mymod", entry], ["mystrat"], builtin=True) == [
        "bench", "workloads", "mymod", "pkg.work", "pkg.data", "mystrat"]


def test_side_problems_nothing_compared_and_reproduce_commands():
    base = make_results([make_result([0.1] * 5, strategy="serial"), make_result([0.05] * 5)])
    new = make_results([make_result([0.1] * 5, strategy="serial"), make_result([0.05] * 5)])
    report = compare(base, new)
    assert side_problems({"A": base, "B": new}) == [] and not report.summary.failed
    failed = make_results([make_result([], strategy="serial", ok=False, error="boom")])
    assert "every case failed on side A (first: boom)" in side_problems({"A": failed, "B": new})[0]
    nothing = compare(failed, failed)  # still failing on both sides: nothing compared, no PASS
    assert nothing.summary.failed and "no case was compared" in nothing.summary.coverage[-1]
    commands = reproduce_commands(report, {"A": base, "B": new}, {"A": "abc"}, ["a.json", "b.json"])
    assert "--base abc --metric time --threshold 6 --force" in commands[0]
    assert commands[1] == "bench compare a.json b.json --metric time --threshold 6"


# ---------------------------------------------------------------- the CI example

def test_ci_example_runs_the_gate_on_pull_requests_with_options_that_exist():
    workflow = yaml.safe_load((ROOT / "docs" / "ci-example.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "pull_request" in triggers
    job = workflow["jobs"]["gate"]
    checkout = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    commands = [line.strip() for step in job["steps"] for line in step.get("run", "").splitlines()
                if "-m bench " in line]
    assert any("ab --base origin/${{ github.base_ref }}" in line for line in commands)
    parser = build_parser()
    for line in commands:
        line = line.replace("${{ github.base_ref }}", "main")
        words = [os.path.expandvars(word) for word in shlex.split(line.split("-m bench ", 1)[1])]
        parser.parse_args(words)  # SystemExit on an unknown option
