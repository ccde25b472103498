import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.measure.equality import explain_mismatch, fingerprint, fingerprints

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)


def test_equal_values_equal_fingerprints():
    assert fingerprint([1, 2.5, "x", (3, None)]) == fingerprint([1, 2.5, "x", (3, None)])
    assert fingerprint(np.arange(6, dtype=np.uint8)) == fingerprint(np.arange(6, dtype=np.uint8))


def test_fingerprints_tell_types_shapes_and_values_apart():
    assert fingerprint(1) != fingerprint(1.0) != fingerprint("1")
    assert fingerprint(np.zeros((2, 3))) != fingerprint(np.zeros((3, 2)))
    assert fingerprint(np.zeros(3, dtype=np.uint8)) != fingerprint(np.zeros(3, dtype=np.int8))
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})


def test_mismatch_explanations():
    expected = fingerprints(list(range(10)))
    assert explain_mismatch(expected, expected) is None
    assert "1 of 10 missing" in explain_mismatch(expected, expected[:-1])
    assert "1 extra" in explain_mismatch(expected, expected + expected[:1])
    swapped = expected[:]
    swapped[2], swapped[5] = swapped[5], swapped[2]
    assert "reordered (first at index 2)" in explain_mismatch(expected, swapped)
    corrupted = fingerprints([0, 1, 2, 99, 4, 5, 6, 7, 8, 9])
    assert "1 of 10 wrong (first at index 3)" in explain_mismatch(expected, corrupted)


@given(st.lists(st.integers() | st.floats(allow_nan=False) | st.text(), max_size=20))
def test_any_list_matches_itself_and_not_a_changed_copy(items):
    prints = fingerprints(items)
    assert explain_mismatch(prints, fingerprints(list(items))) is None
    assert explain_mismatch(prints, fingerprints(items + ["extra"])) is not None


def test_an_unpicklable_result_is_named_plainly():
    import threading

    import pytest

    from bench.measure.equality import ResultNotComparable

    with pytest.raises(ResultNotComparable) as raised:
        fingerprints([1, threading.Lock()])
    message = str(raised.value)
    assert message.startswith("the result of task 1 (a lock) cannot be compared between strategies: pickle cannot "
                              "encode it (TypeError: cannot pickle '_thread.lock' object)")
    assert message.endswith("return plain data (numbers, strings, lists, arrays)") and "\n" not in message


def test_serial_cycles_that_disagree_mean_a_nondeterministic_workload():
    from bench.measure.equality import check_repeatable

    first, second = fingerprints([1, 2, 3]), fingerprints([1, 2, 4])
    assert check_repeatable(None, first) is None
    assert check_repeatable(first, fingerprints([1, 2, 3])) is None
    assert check_repeatable(first, second) == (
        "the workload is nondeterministic: two serial cycles gave different results (1 of 3 wrong (first at "
        "index 2)), so parallel results cannot be checked; make its tasks and task function deterministic "
        "(seed any random generator)")


def test_rounded_floats_compare_to_the_declared_digits_and_nothing_else():
    import numpy as np

    from bench.measure.equality import Rounded, fingerprint

    a = np.array([1.0, 2.0 / 3.0, 1e-20])
    near = a * (1 + 1e-14)
    assert fingerprint(a) != fingerprint(near)  # exact by default
    assert fingerprint(Rounded(a, 10)) == fingerprint(Rounded(near, 10))
    assert fingerprint(Rounded(a, 10)) != fingerprint(Rounded(a * (1 + 1e-6), 10))
    assert fingerprint(Rounded([0.1 + 0.2, "x", 3], 12)) == fingerprint(Rounded([0.3, "x", 3], 12))
    assert fingerprint(Rounded(np.arange(3), 2)) == fingerprint(Rounded(np.arange(3), 9))  # ints stay exact
