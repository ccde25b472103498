"""Ctrl-C and SIGTERM stop a run cleanly, even when the signal lands at a bad moment.

Raising from a signal handler is not enough on its own: if the signal arrives
while the interpreter forks (subprocess.Popen), the KeyboardInterrupt is raised
inside an at-fork callback, printed as "Exception ignored" and lost.  So the
handler records the request; while a case runs it kills that case instead of
raising (bench.execute.isolation), and the runner checks the request between cases.
"""
from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Any, Iterator

from bench.execute.killing import kill_group

_requested: list[int] = []
#: the case process group being waited for, and whether one is being forked (set by bench.execute.isolation)
RUNNING: dict[str, Any] = {"pgid": None, "launching": False}


def stop_running_case() -> bool:
    """Called from a signal handler: kill the running case; True if that handles the stop.

    While a case runs the runner sits in wait(); killing the case ends the wait
    and the runner then sees the stop request between cases.  Raising instead
    could land inside fork's at-fork callbacks, where the exception is lost.
    """
    if RUNNING["launching"]:
        return True
    if RUNNING["pgid"] is not None:
        kill_group(RUNNING["pgid"])
        return True
    return False


def _handler(signum: int, frame: Any) -> None:
    _requested.append(signum)
    if not stop_running_case():  # no case running: stop right here
        raise KeyboardInterrupt


def requested() -> bool:
    return bool(_requested)


def check() -> None:
    """Raise KeyboardInterrupt if a stop was requested and its exception was lost."""
    if _requested:
        raise KeyboardInterrupt


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt inside the block, and are remembered."""
    _requested.clear()
    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _requested.clear()
