"""Fingerprints of task results, so a parallel run can be checked against serial.

Each result item becomes a short hash of a canonical encoding; two runs agree
when their fingerprint lists are equal.  When they don't, `explain_mismatch`
says how (missing, extra, reordered, corrupted), which is what a user needs.

Floats are compared exactly (bit for bit) unless the workload wraps a result in
:class:`Rounded`: then every float in it is rounded to the ``digits``
significant digits the workload declares before it is encoded.  That is a
tolerance of about 10**-digits relative, made hashable: two values that differ
by less can still straddle a rounding boundary and fail (loudly, never a silent
pass), so a workload declares digits well below its expected error.
"""
from __future__ import annotations

import hashlib
import pickle
import struct
from typing import Any, Sequence


class Rounded:
    """A result whose floats are compared to ``digits`` significant digits (the workload's declared tolerance)."""

    __slots__ = ("value", "digits")

    def __init__(self, value: Any, digits: int) -> None:
        self.value, self.digits = value, digits

    def __reduce__(self) -> tuple[Any, ...]:
        return (Rounded, (self.value, self.digits))

    def __repr__(self) -> str:
        return f"Rounded({self.value!r}, digits={self.digits})"


def _rounded(obj: Any, digits: int) -> Any:
    """Every float in ``obj`` (numbers, lists, tuples, float arrays) rounded to ``digits`` significant digits."""
    if isinstance(obj, float):
        return float(f"{obj:.{digits}g}")
    if isinstance(obj, (list, tuple)):
        return [_rounded(item, digits) for item in obj]
    if hasattr(obj, "dtype") and getattr(obj.dtype, "kind", "") == "f" and hasattr(obj, "tolist"):
        return _rounded(obj.tolist(), digits)  # float arrays compare as their rounded values
    return obj


def _encode(obj: Any) -> bytes:
    """Canonical bytes: equal values give equal bytes across processes and runs."""
    if isinstance(obj, Rounded):
        return b"~" + _encode(_rounded(obj.value, obj.digits))
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


#: the words every "results cannot be checked" error carries (bench.function_workload finds them)
INCOMPARABLE = "cannot be compared between strategies"


class ResultNotComparable(TypeError):
    """A task's result cannot be fingerprinted (pickle cannot encode it), so no case can be checked."""


def fingerprints(results: Sequence[Any]) -> list[str]:
    """One fingerprint per result; ResultNotComparable (one line, what to do) for one pickle cannot encode."""
    found = []
    for index, item in enumerate(results):
        try:
            found.append(fingerprint(item))
        except Exception as exc:  # PicklingError, TypeError, AttributeError from the pickle fallback
            problem = f"{type(exc).__name__}: {exc}".splitlines()[0]
            raise ResultNotComparable(
                f"the result of task {index} (a {type(item).__name__}) {INCOMPARABLE}: "
                f"pickle cannot encode it ({problem}); return plain data (numbers, strings, lists, arrays)"
            ) from None
    return found


def _difference(expected: Sequence[str], actual: Sequence[str]) -> str | None:
    """None when equal; else how ``actual`` differs: missing, extra, reordered or wrong items."""
    if list(expected) == list(actual):
        return None
    if len(actual) < len(expected):
        return f"{len(expected) - len(actual)} of {len(expected)} missing"
    if len(actual) > len(expected):
        return f"{len(actual) - len(expected)} extra (expected {len(expected)})"
    first = next(i for i, (e, a) in enumerate(zip(expected, actual)) if e != a)
    if sorted(expected) == sorted(actual):
        return f"reordered (first at index {first})"
    wrong = sum(e != a for e, a in zip(expected, actual))
    return f"{wrong} of {len(expected)} wrong (first at index {first})"


def explain_mismatch(expected: Sequence[str], actual: Sequence[str]) -> str | None:
    """None when equal; else one line saying how the results differ from serial."""
    difference = _difference(expected, actual)
    return f"results differ from serial: {difference}" if difference else None


def check_repeatable(previous: Sequence[str] | None, new: Sequence[str]) -> str | None:
    """None when the serial case's cycle gave what its previous cycle gave (or it is the first); else why not.

    Serial is the reference every parallel case is checked against: if its own
    cycles disagree, the workload is nondeterministic, and blaming each parallel
    case ("4 of 4 wrong") would be wrong.  The measuring loop calls this for the
    serial case after every cycle, with the previous cycle's fingerprints.
    """
    difference = None if previous is None else _difference(previous, new)
    if difference is None:
        return None
    return (f"the workload is nondeterministic: two serial cycles gave different results ({difference}), so "
            "parallel results cannot be checked; make its tasks and task function deterministic (seed any random "
            "generator)")
