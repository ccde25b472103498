"""Checking an output path before any work is done, and locking a results file for a run's lifetime.

A run can measure for minutes before it first saves; a path that cannot be
written (a folder, a parent that is a file, a read-only folder) must fail at
once with one line, not after the first case as an internal error.  Two runs
writing the same results file would each rewrite it with only their own cases,
so a run holds an exclusive lock on it while it runs.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
from pathlib import Path
from typing import Iterator

from bench.model import BenchError


def os_error_text(exc: OSError) -> str:
    """'No space left on device' rather than '[Errno 28] No space left on device: ...'."""
    return exc.strerror or str(exc) or type(exc).__name__


def _existing_ancestor(path: Path) -> Path:
    """The nearest ancestor of ``path`` that exists (the folder a new file would go under)."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def check_writable(path: Path, option: str = "-o") -> None:
    """Raise BenchError (one line, what to do) unless a file can be written at ``path``.

    Creates missing parent folders (the writer would anyway) and tries a
    scratch file beside ``path``, exactly as the atomic writer will.
    """
    if path.is_dir():
        raise BenchError(f"{option} {path} is a folder; give a file name, e.g. {path / 'run.json'}")
    if path.exists() and not path.is_file():  # a device such as /dev/full: replacing it would be a disaster
        raise BenchError(f"{option} {path} is not a regular file; choose another path")
    ancestor = _existing_ancestor(path)
    if not ancestor.is_dir():
        raise BenchError(f"{option} {path}: {ancestor} is a file, not a folder; choose another path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, scratch = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".check", dir=path.parent)
        os.close(fd)
        os.unlink(scratch)
    except OSError as exc:
        raise BenchError(f"{option} {path}: cannot write in {path.parent} ({os_error_text(exc)}); "
                         "choose another path") from None


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a results file is an ordinary file
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def lock_path(path: Path) -> Path:
    """The sidecar the lock is taken on: the results file itself is replaced at every save."""
    return path.with_name(f".{path.name}.lock")


def _holder(lock: Path) -> str:
    try:
        pid = lock.read_text().strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


def _try_lock(lock: Path, path: Path) -> int | None:
    """An fd holding the lock on the current ``lock`` file, None to retry; BenchError when held."""
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise
        raise BenchError(f"{path} is being written by another bench run{_holder(lock)}; "
                         "wait for it or choose another -o") from None
    try:
        same = os.stat(lock).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:  # its holder removed it between our open and our lock
        same = False
    if not same:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (its sidecar) until the block ends; refuse if another holds it.

    The sidecar is removed while still locked, and a taker checks that the file
    it locked is still the one at the path, so a removal never lets two in.
    """
    lock = lock_path(path)
    try:
        fd = None
        while fd is None:
            fd = _try_lock(lock, path)
    except OSError as exc:
        raise BenchError(f"cannot lock {path} ({os_error_text(exc)}); choose another -o") from None
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def refuse_overwrite(path: Path, force: bool) -> None:
    """An existing results file is someone's measurements: replace it only when told to."""
    if path.exists() and not force:
        raise BenchError(f"{path} already exists; pass --force to overwrite it, "
                         f"or --resume {path} to continue it")


def holds_results(path: Path) -> bool:
    """True when ``path`` is an existing file that starts as JSON: a results file, never a report's place."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError:
        return False
    return head.lstrip().startswith(b"{")


def claim(path: Path, force: bool, option: str = "-o", force_hint: str = "pass --force to overwrite it",
          report: bool = False) -> None:
    """The one rule for every file bench writes, checked before any work is done.

    Writable (``check_writable``); an existing file only replaced when told to
    (``force_hint`` says how: ``--force`` or ``force=True``); a report never
    replaces a results file, even when forced (the measurements would be lost
    for a page that can always be rendered again).
    """
    check_writable(path, option)
    if report and holds_results(path):
        raise BenchError(f"{option} {path} holds results (JSON); a report never replaces them: "
                         "give an .html path")
    if path.exists() and not force:
        raise BenchError(f"{option} {path} already exists; {force_hint}")
