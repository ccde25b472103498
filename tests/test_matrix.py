import pytest

from bench import registry
from bench.execute.matrix import (
    MatrixSpec,
    build_cases,
    default_cores,
    default_task_count,
    default_workers,
    machine_cores,
    parse_int_list,
    parse_sets,
    resolve_params,
)
from bench.machine.topology import synthetic
from bench.model import BenchError

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)

WORKLOADS = {name: registry.get_workload(name) for name in ("sleep", "fib")}
USES_PROCESSES = {"threads": False, "pool-map": True, "serial": False}


def test_parse_sets_groups_by_workload():
    assert parse_sets(["fib.k=25", "fib.n=3", "sleep.seconds=0.1"]) == {
        "fib": {"k": "25", "n": "3"}, "sleep": {"seconds": "0.1"}}


@pytest.mark.parametrize("bad", ["fib", "fib.k", "fib.k=", ".k=3", "fib=3", "k=3", "fib.k.x=3", ""])
def test_parse_sets_rejects_malformed(bad):
    with pytest.raises(BenchError, match="--set wants WORKLOAD.PARAM=VALUE"):
        parse_sets([bad])


def test_parse_int_list():
    assert parse_int_list("4,1,2,2", "--cores") == [1, 2, 4]
    for bad in ("", "0", "a", "1,-2", "1.5"):
        with pytest.raises(BenchError):
            parse_int_list(bad, "--cores")


@pytest.mark.parametrize("available,expected", [(1, [1]), (2, [1, 2]), (6, [1, 2, 4, 6]), (8, [1, 2, 4, 8])])
def test_default_cores(available, expected):
    assert default_cores(available) == expected


@pytest.mark.parametrize("available,physical,expected", [
    (16, 8, [1, 2, 4, 8, 16]), (12, 6, [1, 2, 4, 6, 8, 12]), (6, 3, [1, 2, 3, 4, 6]),
    (64, None, [1, 2, 4, 16, 32, 64]), (128, 64, [1, 2, 8, 16, 64, 128]), (96, 48, [1, 2, 8, 32, 48, 96])])
def test_default_cores_keep_the_physical_cores_and_at_most_six_points(available, physical, expected):
    assert default_cores(available, physical) == expected


@pytest.mark.parametrize("cpus,smt,numa,expected", [
    (2, False, 1, [1, 2]), (16, False, 1, [1, 2, 4, 8, 16]), (64, True, 1, [1, 2, 4, 16, 32, 64]),
    (128, True, 2, [1, 2, 8, 16, 64, 128])])
def test_machine_cores_of_a_planned_machine(cpus, smt, numa, expected):
    assert machine_cores(synthetic(cpus, smt=smt, numa=numa)) == expected


def _params(cases, workload, strategy="serial"):
    return {dict(c.params)["n"] for c in cases if c.workload == workload and c.strategy == strategy}


def test_cpu_bound_task_counts_grow_to_four_per_core_of_the_largest_core_count():
    assert default_task_count(8, 2) == 8 and default_task_count(8, 16) == 64 and default_task_count(16, 2) == 16
    spec = MatrixSpec(workloads=["sleep", "fib"], strategies=["serial", "threads"], cores=[1, 2, 16])
    cases = build_cases(spec, WORKLOADS, USES_PROCESSES)
    assert _params(cases, "fib") == {64}  # one task count for every core count of the run
    assert {dict(c.params)["k"] for c in cases if c.workload == "fib"} == {25}  # each task's size unchanged
    assert _params(cases, "sleep") == {8}  # I/O-latency work keeps its default
    full = build_cases(MatrixSpec(workloads=["fib"], strategies=["serial"], cores=[1, 2], profile="full"),
                       WORKLOADS, USES_PROCESSES)
    assert _params(full, "fib") == {16}
    asked = build_cases(MatrixSpec(workloads=["fib"], strategies=["serial"], cores=[16],
                                   overrides={"fib": {"n": "3"}}), WORKLOADS, USES_PROCESSES)
    assert _params(asked, "fib") == {3}  # --set wins
    before = build_cases(MatrixSpec(workloads=["fib"], strategies=["serial"], cores=[16], tasks_per_core=0),
                         WORKLOADS, USES_PROCESSES)
    assert _params(before, "fib") == {8}  # a resumed file from before the rule keeps its task counts


def test_a_resumed_config_without_the_rule_keeps_the_declared_task_counts():
    from bench.execute.session import spec_from_config

    config = {"workloads": ["fib"], "strategies": ["serial"], "cores": [1, 16], "workers": [], "modes": ["warm"],
              "start_methods": [None], "overrides": {}, "profile": "quick"}
    assert spec_from_config(config).tasks_per_core == 0
    assert spec_from_config({**config, "tasks_per_core": 4}).tasks_per_core == 4


def test_io_work_is_also_oversubscribed():
    assert default_workers(WORKLOADS["sleep"], 2) == [2, 4]
    assert default_workers(WORKLOADS["fib"], 2) == [2]


def test_resolve_params_uses_profile_defaults_and_overrides():
    fib = WORKLOADS["fib"]
    quick = dict(resolve_params(fib, "quick", {}))
    full = dict(resolve_params(fib, "full", {}))
    assert quick != full
    assert dict(resolve_params(fib, "quick", {"k": "12"}))["k"] == 12
    with pytest.raises(BenchError, match="has no parameter 'z'"):
        resolve_params(fib, "quick", {"z": "1"})
    with pytest.raises(BenchError, match="wants int"):
        resolve_params(fib, "quick", {"k": "x"})
    with pytest.raises(BenchError, match=">= 1"):
        resolve_params(fib, "quick", {"n": "0"})


def test_build_cases_puts_serial_first_and_crosses_every_axis():
    spec = MatrixSpec(workloads=["fib", "sleep"], strategies=["serial", "threads", "pool-map"], cores=[1, 2],
                      start_methods=["fork", "spawn"])
    cases = build_cases(spec, WORKLOADS, USES_PROCESSES)
    keys = [c.key for c in cases]
    assert len(keys) == len(set(keys)), "case keys must be unique"
    fib2 = [c for c in cases if c.workload == "fib" and c.cores == 2]
    assert fib2[0].strategy == "serial" and fib2[0].workers == 1
    # threads: 2 modes; pool-map: 2 modes x 2 start methods
    assert len(fib2) == 1 + 2 + 4
    assert {c.start_method for c in fib2 if c.strategy == "threads"} == {None}
    sleep2 = [c for c in cases if c.workload == "sleep" and c.cores == 2 and c.strategy == "threads"]
    assert sorted({c.workers for c in sleep2}) == [2, 4]


def test_set_for_a_workload_not_in_the_run_is_an_error():
    spec = MatrixSpec(workloads=["fib"], strategies=["threads"], cores=[1], overrides={"sleep": {"n": "2"}})
    with pytest.raises(BenchError, match="not in this run"):
        build_cases(spec, WORKLOADS, USES_PROCESSES)


def test_a_matrix_without_one_worker_on_one_core_gets_it_for_each_parallel_case():
    """single_worker_speedup needs the same strategy and mode on one worker, one core: added where lacking."""
    spec = MatrixSpec(workloads=["fib"], strategies=["serial", "threads", "pool-map"], cores=[2],
                      modes=["warm", "cold"], single_worker=True)
    cases = build_cases(spec, WORKLOADS, USES_PROCESSES)
    ones = [c for c in cases if c.cores == 1]
    assert cases[:len(ones)] == ones  # run first, as one-core cases are
    assert {(c.strategy, c.workers, c.mode) for c in ones} == {
        ("serial", 1, "warm"), ("threads", 1, "warm"), ("threads", 1, "cold"), ("pool-map", 1, "warm"),
        ("pool-map", 1, "cold")}
    assert len(cases) == len(set(cases))
    # a matrix that has them gets nothing more; `bench ab` (single_worker off) gets nothing either
    full = MatrixSpec(workloads=["fib", "sleep"], strategies=["serial", "threads"], cores=[1, 2], single_worker=True)
    assert build_cases(full, WORKLOADS, USES_PROCESSES) == build_cases(
        MatrixSpec(workloads=["fib", "sleep"], strategies=["serial", "threads"], cores=[1, 2]), WORKLOADS,
        USES_PROCESSES)
    assert all(c.cores == 2 for c in build_cases(MatrixSpec(workloads=["fib"], strategies=["threads"], cores=[2]),
                                                 WORKLOADS, USES_PROCESSES))


def test_twins_run_after_the_one_core_serial_case_they_are_checked_against():
    """--cores 1 --workers 2: the one-worker twins go right after the serial case, never before it."""
    spec = MatrixSpec(workloads=["fib"], strategies=["serial", "threads"], cores=[1], workers=[2], modes=["warm"],
                      single_worker=True)
    cases = build_cases(spec, WORKLOADS, USES_PROCESSES)
    assert [(c.strategy, c.workers) for c in cases] == [("serial", 1), ("threads", 1), ("threads", 2)]
