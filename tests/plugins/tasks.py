"""Tasks and inputs for `bench run --task` tests."""
from __future__ import annotations

import threading

NOT_CALLABLE = 42
LOCK = threading.Lock()
locked_lambda = lambda x: (LOCK, x)[1]  # noqa: E731  # a lambda on purpose: even cloudpickle cannot send it


def square(x: int) -> int:
    return x * x


def make_inputs() -> list[int]:
    return list(range(12))


def make_not_a_list() -> dict[str, int]:
    return {"a": 1}


def generator_of(x: int):
    """A result that cannot be fingerprinted, so not compared with serial."""
    return (i for i in range(x))
