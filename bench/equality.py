"""Fingerprints of task results, so a parallel run can be checked against serial.

Each result item becomes a short hash of a canonical encoding; two runs agree
when their fingerprint lists are equal.  When they don't, `explain_mismatch`
says how (missing, extra, reordered, corrupted), which is what a user needs.
"""
from __future__ import annotations

import hashlib
import pickle
import struct
from typing import Any, Sequence


def _encode(obj: Any) -> bytes:
    """Canonical bytes: equal values give equal bytes across processes and runs."""
    if obj is None or isinstance(obj, bool):
        return repr(obj).encode()
    if isinstance(obj, int):
        return b"i" + str(obj).encode()
    if isinstance(obj, float):
        return b"f" + struct.pack("<d", obj)
    if isinstance(obj, str):
        return b"s" + obj.encode("utf-8", "surrogatepass")
    if isinstance(obj, (bytes, bytearray)):
        return b"b" + bytes(obj)
    if isinstance(obj, (list, tuple)):
        return b"(" + b",".join(_encode(item) for item in obj) + b")"
    if isinstance(obj, dict):
        items = sorted((_encode(k), _encode(v)) for k, v in obj.items())
        return b"{" + b",".join(k + b":" + v for k, v in items) + b"}"
    if hasattr(obj, "tobytes") and hasattr(obj, "dtype"):  # numpy arrays, without importing numpy
        return b"a" + str((obj.dtype.str, obj.shape)).encode() + obj.tobytes()
    return b"p" + pickle.dumps(obj, protocol=4)


def fingerprint(obj: Any) -> str:
    return hashlib.blake2b(_encode(obj), digest_size=8).hexdigest()


def fingerprints(results: Sequence[Any]) -> list[str]:
    return [fingerprint(item) for item in results]


def explain_mismatch(expected: Sequence[str], actual: Sequence[str]) -> str | None:
    """None when equal; else one line saying how the results differ from serial."""
    if list(expected) == list(actual):
        return None
    if len(actual) < len(expected):
        return f"results differ from serial: {len(expected) - len(actual)} of {len(expected)} missing"
    if len(actual) > len(expected):
        return f"results differ from serial: {len(actual) - len(expected)} extra (expected {len(expected)})"
    first = next(i for i, (e, a) in enumerate(zip(expected, actual)) if e != a)
    if sorted(expected) == sorted(actual):
        return f"results differ from serial: reordered (first at index {first})"
    wrong = sum(e != a for e, a in zip(expected, actual))
    return f"results differ from serial: {wrong} of {len(expected)} wrong (first at index {first})"
