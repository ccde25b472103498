import sys
import textwrap

import pytest

from bench import registry
from bench.model import BenchError, Strategy, Workload


def test_every_builtin_workload_follows_the_protocol():
    for name in registry.BUILTIN_WORKLOADS:
        workload = registry.get_workload(name)
        assert isinstance(workload, Workload)
        assert workload.name == name


def test_every_builtin_strategy_has_flags_and_a_name():
    for name in registry.BUILTIN_STRATEGIES:
        cls = registry.get_strategy(name)
        assert cls.name == name
        assert isinstance(cls.uses_processes, bool) and isinstance(cls.needs_pickle, bool)
        assert callable(cls.map) and callable(cls.start) and callable(cls.close)


def test_default_matrix_has_the_nine_strategies():
    assert registry.DEFAULT_STRATEGIES == ("serial", "threads", "processes", "pool-map", "pool-async",
                                           "process-pool", "joblib", "dask-threads", "dask-processes")


def test_unknown_names_list_the_known_ones():
    with pytest.raises(BenchError, match="unknown workload 'nope'; known: sleep, fib"):
        registry.get_workload("nope")
    with pytest.raises(BenchError, match="unknown strategy 'nope'; known: serial, threads"):
        registry.get_strategy("nope")


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "my_workloads.py").write_text(textwrap.dedent('''
        from bench.model import Param, WorkloadBase

        def cube(x):
            return x ** 3

        class Cubes(WorkloadBase):
            name = "cubes"
            summary = "n cubes"
            params = (Param("n", int, 10, 100, "how many"),)
            task = staticmethod(cube)
            def make_tasks(self, params):
                return list(range(params["n"]))

        WORKLOAD = Cubes()
    '''))
    (tmp_path / "broken_workloads.py").write_text("raise RuntimeError('boom at import')\n")
    (tmp_path / "empty_workloads.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in ("my_workloads", "broken_workloads", "empty_workloads"):
        sys.modules.pop(name, None)


def test_user_workload_module_registers_its_workloads(user_module):
    assert registry.import_workload_module("my_workloads") == ["cubes"]
    workload = registry.get_workload("cubes")
    assert [workload.task(t) for t in workload.make_tasks({"n": 3})] == [0, 1, 8]


def test_broken_user_module_is_a_clean_error(user_module):
    with pytest.raises(BenchError, match="cannot import workload module 'broken_workloads': RuntimeError: boom"):
        registry.import_workload_module("broken_workloads")
    with pytest.raises(BenchError, match="defines neither WORKLOADS nor WORKLOAD"):
        registry.import_workload_module("empty_workloads")
    with pytest.raises(BenchError, match="cannot import workload module 'no_such_mod_xyz'"):
        registry.import_workload_module("no_such_mod_xyz")


@pytest.mark.parametrize("field,value,message", [
    ("name", "", "unusable name ''"), ("name", "a/b", "unusable name 'a/b'"),
    ("bound", "gpu", "declares bound 'gpu'; known: cpu, memory, io-latency, external-process"),
])
def test_a_workload_with_an_empty_name_or_unknown_bound_is_refused(tmp_path, monkeypatch, field, value, message):
    (tmp_path / "odd_workloads.py").write_text(textwrap.dedent(f'''
        from bench.model import WorkloadBase

        class Odd(WorkloadBase):
            name, summary, bound = "odd", "odd", "cpu"
            task = staticmethod(abs)
            def make_tasks(self, params):
                return [1]

        Odd.{field} = {value!r}
        WORKLOAD = Odd()
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(BenchError, match=message.replace("[", r"\[")):
            registry.import_workload_module("odd_workloads")
    finally:
        sys.modules.pop("odd_workloads", None)
