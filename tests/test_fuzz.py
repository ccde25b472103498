"""Random input to the loader and to --set: only clean errors, never a traceback."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import storage
from bench.execute.matrix import parse_sets
from bench.model import BenchError

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
bench_like = st.fixed_dictionaries({
    "version": st.sampled_from(["1.0", "0.9", 1, None]),
    "benchmarks": st.lists(json_values, max_size=2),
    "bench": st.fixed_dictionaries({"schema_version": st.sampled_from([1, 0, 2, "1", None]),
                                     "cases": st.lists(json_values, max_size=3)}, optional={
        "metadata": json_values, "config": json_values, "calibration": json_values, "expected": json_values}),
})


def load_bytes(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "r.json"
    path.write_bytes(data)
    try:
        storage.load(path)
    except BenchError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_random_bytes(tmp_path_factory, data):
    load_bytes(tmp_path_factory, data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values | bench_like)
def test_random_json(tmp_path_factory, value):
    load_bytes(tmp_path_factory, json.dumps(value).encode())


@settings(max_examples=300, deadline=None)
@given(items=st.lists(st.text(max_size=30), max_size=3))
def test_random_set_strings(items):
    try:
        parsed = parse_sets(items)
    except BenchError as exc:
        assert "\n" not in str(exc)
        return
    assert all(isinstance(v, str) for params in parsed.values() for v in params.values())
