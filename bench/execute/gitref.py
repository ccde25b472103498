"""A git revision checked out for one command: `bench ab --base REF` measures REF's code.

Why a ``git worktree`` and not ``git stash``/``checkout``: the user's working
tree (their uncommitted changes, the harness they are running) must not move
while it is measured against the base.  A worktree is a second checkout of the
same repository in a temporary folder; it shares the object store, so it costs
a checkout, not a clone.  It is removed when the block ends, whatever ends it
(an error, Ctrl-C, SIGTERM turned into KeyboardInterrupt by
``bench.execute.interrupts``), and ``git worktree prune`` drops its record.
Only SIGKILL (an OOM kill, a CI job cancelled hard) skips that; so the folder
holds its owner's pid and start time, and the next gate on the repository
removes worktrees whose owner is gone (``sweep_orphans``) before it adds its own.

Every failure of git here is the user's input (not a repository, an unknown
revision, a dirty tree where a clean one is needed): one line, BenchError.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import psutil

from bench.model import BenchError

GIT_TIMEOUT = 120  # seconds: a checkout of a big repository on a slow disk
PREFIX = "bench-ab-worktrees-"  # the temporary folder that holds one gate's worktrees
OWNER = "owner"  # in that folder: "PID START_TIME" of the gate that made it
#: a folder without an owner file this old is orphaned (younger: a gate between mkdtemp and writing it)
UNCLAIMED_S = 60.0


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """git -C ROOT ARGS; BenchError when git itself is missing."""
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT)
    except FileNotFoundError:
        raise BenchError("--base needs git, which is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise BenchError(f"git {' '.join(args)} took more than {GIT_TIMEOUT} s") from None


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


@dataclass(frozen=True)
class Revision:
    """A resolved revision: what the user named, the full commit, and a line to print."""

    ref: str
    commit: str
    subject: str

    @property
    def short(self) -> str:
        return self.commit[:10]


def repository_root(folder: Path) -> Path:
    """The top of the git repository holding ``folder``; BenchError outside one."""
    out = _git(folder, "rev-parse", "--show-toplevel")
    if out.returncode != 0:
        raise BenchError(f"--base needs a git repository, and {folder} is not inside one")
    return Path(out.stdout.strip()).resolve()


def resolve(root: Path, ref: str) -> Revision:
    """REF (a branch, tag, commit, HEAD~1, origin/main) as a commit; BenchError when git does not know it."""
    if not ref or ref.startswith("-"):
        raise BenchError(f"--base/--head want a git revision, got {ref!r}")
    out = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if out.returncode != 0:
        raise BenchError(f"unknown git revision {ref!r} in {root} (a shallow clone may lack it: "
                         "fetch it, e.g. fetch-depth: 0 in actions/checkout)")
    commit = out.stdout.strip()
    subject = _git(root, "log", "-1", "--format=%s", commit).stdout.strip()
    return Revision(ref=ref, commit=commit, subject=subject)


def is_dirty(root: Path) -> bool:
    """Tracked files changed but not committed (untracked files are not code a revision has)."""
    out = _git(root, "status", "--porcelain", "--untracked-files=no")
    return bool(out.stdout.strip())


def worktrees(root: Path) -> list[Path]:
    """The repository's worktrees, the main one first (for tests and the leak check)."""
    out = _git(root, "worktree", "list", "--porcelain")
    return [Path(line.split(" ", 1)[1]) for line in out.stdout.splitlines() if line.startswith("worktree ")]


@contextmanager
def checked_out(root: Path, revisions: dict[str, Revision]) -> Iterator[dict[str, Path]]:
    """Each revision in a worktree of its own under one temporary folder, removed when the block ends.

    Keys are free labels ("A", "B"); the folders are yielded under the same keys.
    """
    for orphan in sweep_orphans(root):
        print(f"bench: removed {orphan}, a worktree left by an earlier gate that was killed", file=sys.stderr)
    parent = Path(tempfile.mkdtemp(prefix=PREFIX))
    made: list[Path] = []
    try:
        _claim(parent)
        paths = {}
        for label, revision in revisions.items():
            path = parent / f"{label}-{revision.short}"
            made.append(path)
            out = _git(root, "worktree", "add", "--detach", "--quiet", str(path), revision.commit)
            if out.returncode != 0:
                raise BenchError(f"cannot check out {revision.ref} into a worktree: {_first_line(out.stderr)}")
            paths[label] = path
        yield paths
    finally:
        _remove(root, made, parent)


def _remove(root: Path, made: list[Path], parent: Path) -> None:
    """Remove the worktrees and their records; a half-made one too (its record is pruned once its folder is gone)."""
    for path in made:
        _git(root, "worktree", "remove", "--force", str(path))
    shutil.rmtree(parent, ignore_errors=True)
    _git(root, "worktree", "prune")


def _claim(parent: Path) -> None:
    """Write who owns this gate's folder, so a later gate can tell a killed one's leftovers from a running one's."""
    me = psutil.Process()
    (parent / OWNER).write_text(f"{me.pid} {me.create_time()!r}\n")


def _owner_alive(parent: Path) -> bool:
    """The process that made ``parent`` still runs (same pid and start time: a reused pid is not it)."""
    try:
        pid_text, started = (parent / OWNER).read_text().split()
        return abs(psutil.Process(int(pid_text)).create_time() - float(started)) < 0.01
    except FileNotFoundError:
        return _age(parent) < UNCLAIMED_S
    except psutil.AccessDenied:  # another user's live process: not ours to judge
        return True
    except (ValueError, psutil.Error):
        return False


def _age(folder: Path) -> float:
    try:
        return time.time() - folder.stat().st_mtime
    except OSError:
        return float("inf")


def sweep_orphans(root: Path) -> list[Path]:
    """Remove the worktrees of earlier gates on ``root`` whose process is gone (killed by SIGKILL); return them.

    Only folders this module made (``PREFIX``) are touched, and only when their owner is dead:
    a gate running at the same time on the same repository keeps its worktrees.
    """
    _git(root, "worktree", "prune")  # records whose folder is already gone (a cleaned /tmp)
    orphans = [path for path in worktrees(root)[1:]
               if path.parent.name.startswith(PREFIX) and not _owner_alive(path.parent)]
    for parent in {path.parent for path in orphans}:
        _remove(root, [path for path in orphans if path.parent == parent], parent)
    return orphans
