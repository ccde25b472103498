"""Scratch folders that name their owner, so those of dead runs are removed by the next run.

A run keeps its case specs, answers and logs (and ``bench.run`` its task pickle,
50 MB for a big global) in a folder under the temporary directory, removed when
it ends.  A run that is killed (``kill -9``, a notebook kernel shut down) cannot
remove it.  Each folder therefore records its owner (pid and start time, so a
reused pid does not count as alive), and every new run first removes the
folders whose owner is gone.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import psutil

#: every bench scratch folder's name starts so; the owner file inside says whose it is
PREFIX = "bench-"
OWNER_FILE = ".owner"


def _identity(pid: int) -> str:
    try:
        return f"{pid} {psutil.Process(pid).create_time():.2f}"
    except psutil.Error:
        return f"{pid} gone"


def make(prefix: str = PREFIX) -> Path:
    """A new scratch folder owned by this process (removed by a later run once this one is gone)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    (folder / OWNER_FILE).write_text(_identity(os.getpid()))
    return folder


def _abandoned(folder: Path) -> bool:
    try:
        owner = (folder / OWNER_FILE).read_text().split()
    except OSError:  # not ours, or from a version that did not say: left alone
        return False
    return len(owner) == 2 and owner[0].isdigit() and _identity(int(owner[0])) != " ".join(owner)


def sweep(parent: str | Path | None = None) -> int:
    """Remove the scratch folders of dead runs under ``parent`` (the temporary directory); how many."""
    removed = 0
    try:
        entries = list(Path(parent or tempfile.gettempdir()).glob(f"{PREFIX}*"))
    except OSError:
        return 0
    for folder in entries:
        if folder.is_dir() and not folder.is_symlink() and _abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
