import sys
import textwrap
from pathlib import Path

import pytest

from bench import registry
from bench.model import BenchError, StrategyOptions, Workload


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


# ---------------------------------------------------------------- the plugin contract

@pytest.fixture
def protocol_only(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "plugins"))
    yield
    sys.modules.pop("protocol_only", None)


def test_protocol_conforming_classes_register_without_the_base_classes(protocol_only):
    assert registry.import_workload_module("protocol_only") == ["triples"]
    assert registry.import_strategy_module("protocol_only") == ["two-threads"]
    workload = registry.get_workload("triples")
    assert isinstance(workload, Workload)
    assert (workload.summary, workload.params, dict(workload.parallel_env)) == ("", (), {})
    assert workload.unavailable_reason() is None and workload.ideal_seconds({}, 2) is None
    assert workload.summarize({}, [1]) == {}
    cls = registry.get_strategy("two-threads")
    strategy = cls(StrategyOptions(workers=2))
    strategy.start()
    assert strategy.map(workload.task, workload.make_tasks({})) == [3 * x for x in range(20)]
    strategy.close()
    flags = (cls.uses_processes, cls.needs_pickle, cls.unavailable_reason(), strategy.describe())
    assert flags == (False, False, None, {})
    assert strategy.size == 2 and cls.__module__ == "protocol_only"


class _NoTask:
    name, bound = "no-task", "cpu"


class _BadBound:
    name, bound = "bad-bound", "disk"
    task = staticmethod(abs)

    def make_tasks(self, params):
        return [1]


class _NoMap:
    name = "no-map"


def test_missing_required_members_are_refused_in_one_line_naming_them():
    with pytest.raises(BenchError, match=r"workload 'no-task' is missing task, make_tasks \(required: name, bound"):
        registry.register_workload("no-task", _NoTask())
    with pytest.raises(BenchError, match=r"strategy 'no-map' is missing map \(required: name, map\)"):
        registry.register_strategy("no-map", _NoMap)
    assert "no-task" not in registry.workload_names() and "no-map" not in registry.strategy_names()


def test_a_bound_must_be_a_known_one():
    with pytest.raises(BenchError, match="declares bound 'disk'; known: cpu, memory, io-latency, external-process"):
        registry.register_workload("bad-bound", _BadBound())


def test_a_plugin_module_is_looked_for_in_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "cwd_plugin_xyz.py").write_text("from protocol_only import Triples\nclass T(Triples):\n"
                                                "    name = 'cwd-triples'\nWORKLOAD = T()\n")
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "plugins"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    try:
        assert registry.import_workload_module("cwd_plugin_xyz") == ["cwd-triples"]
    finally:
        sys.modules.pop("cwd_plugin_xyz", None)
    with pytest.raises(BenchError, match=f"looked in the current folder {tmp_path}"):
        registry.import_workload_module("not_here_xyz")


@pytest.mark.parametrize("field,value,message", [
    ("name", "", "is missing name"), ("name", "a/b", "unusable name 'a/b'"),
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


def test_opt_in_workloads_are_listed_and_runnable_but_not_in_the_default_matrix():
    """Issue 31: the quick matrix (make bench) keeps its five; bench list and --workloads know the rest."""
    from bench.execute.session import RunRequest, resolve_matrix

    assert registry.workload_names()[:5] == ["sleep", "fib", "square", "addweighted", "ocr"]
    assert not set(registry.OPT_IN_WORKLOADS) & set(registry.workload_names())
    assert set(registry.OPT_IN_WORKLOADS) <= set(registry.workload_names(everything=True))
    assert all(registry.get_workload(name).name == name for name in registry.OPT_IN_WORKLOADS)
    chosen = resolve_matrix(RunRequest()).spec.workloads  # the default matrix (ocr skipped without tesseract)
    assert "fib" in chosen and not set(registry.OPT_IN_WORKLOADS) & set(chosen)
