"""A git revision checked out for one command: `bench ab --base REF` measures REF's code.

Why a ``git worktree`` and not ``git stash``/``checkout``: the user's working
tree (their uncommitted changes, the harness they are running) must not move
while it is measured against the base.  A worktree is a second checkout of the
same repository in a temporary folder; it shares the object store, so it costs
a checkout, not a clone.  It is removed when the block ends, whatever ends it
(an error, Ctrl-C, SIGTERM turned into KeyboardInterrupt by
``bench.execute.interrupts``), and ``git worktree prune`` drops its record.

Every failure of git here is the user's input (not a repository, an unknown
revision, a dirty tree where a clean one is needed): one line, BenchError.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from bench.model import BenchError

GIT_TIMEOUT = 120  # seconds: a checkout of a big repository on a slow disk


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
    parent = Path(tempfile.mkdtemp(prefix="bench-ab-worktrees-"))
    made: list[Path] = []
    try:
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
