"""A case's output log, kept to its head and tail so a chatty task cannot fill the disk.

A case's stdout and stderr go to a log file in the run's scratch folder (its
last line explains a case that died).  A task that prints megabytes per call
would make that file hundreds of megabytes per case.  While the case runs, the
supervisor calls :func:`trim` at every poll: the middle of the file beyond
``HEAD_BYTES`` and before the last ``TAIL_BYTES`` is punched out (Linux
``fallocate``), which frees its disk blocks while the case goes on writing at
its own offset.  When the case has ended, :func:`finish` rewrites the file as
head, one line saying how many bytes were dropped, and tail.
"""
from __future__ import annotations

import ctypes
import os
from pathlib import Path

#: bytes kept from the start and from the end of a case's output
HEAD_BYTES = 512 * 1024
TAIL_BYTES = 512 * 1024
#: a punch is only worth it past this many bytes beyond head and tail
_SLACK_BYTES = 1024 * 1024
_FALLOC_FL_KEEP_SIZE, _FALLOC_FL_PUNCH_HOLE = 0x01, 0x02


def _load_fallocate() -> object | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        func = libc.fallocate
    except (OSError, AttributeError):  # not Linux: the log is still compacted at the end
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
    return func


_FALLOCATE = _load_fallocate()


def trim(path: str | Path | None) -> None:
    """Free the disk blocks of the log's middle while the case still writes (best effort)."""
    if path is None or _FALLOCATE is None:
        return
    try:
        size = os.path.getsize(path)
        if size <= HEAD_BYTES + TAIL_BYTES + _SLACK_BYTES:
            return
        fd = os.open(path, os.O_WRONLY)
    except OSError:
        return
    try:
        _FALLOCATE(fd, _FALLOC_FL_PUNCH_HOLE | _FALLOC_FL_KEEP_SIZE, HEAD_BYTES,  # type: ignore[operator]
                   size - TAIL_BYTES - HEAD_BYTES)
    finally:
        os.close(fd)


def dropped_note(dropped: int) -> bytes:
    return (f"\n[bench: {dropped} bytes of this case's output dropped here; the first {HEAD_BYTES} "
            f"and the last {TAIL_BYTES} bytes are kept]\n").encode()


def finish(path: str | Path | None) -> int:
    """Rewrite a long log as head + a note of what was dropped + tail; return the bytes dropped."""
    if path is None:
        return 0
    try:
        size = os.path.getsize(path)
        if size <= HEAD_BYTES + TAIL_BYTES:
            return 0
        with open(path, "rb") as log:
            head = log.read(HEAD_BYTES)
            log.seek(size - TAIL_BYTES)
            tail = log.read(TAIL_BYTES)
        dropped = size - HEAD_BYTES - TAIL_BYTES
        with open(path, "wb") as log:
            log.write(head + dropped_note(dropped) + tail)
    except OSError:
        return 0
    return dropped
