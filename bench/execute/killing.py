"""The one way a process group is killed: SIGKILL, and gone already is fine.

Every case, calibration worker and A/B side leads its own process group, so
one signal takes a worker tree down whole (a pool, a dask nanny, a loky worker).
"""
from __future__ import annotations

import os
import signal


def kill_group(pgid: int) -> None:
    """SIGKILL the process group ``pgid``; a group that is gone, or not ours, is left alone."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
