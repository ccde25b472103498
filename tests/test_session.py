"""`bench run` and `bench ab` as plain Python calls (bench.execute.session, bench.execute.ab_session)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import bench
from bench import storage
from bench.cli import ab as ab_cmd
from bench.cli import main
from bench.cli import run as run_cmd
from bench.cli.main import build_parser
from bench.execute.ab_session import ABRequest, side_request
from bench.execute.session import Interrupted, RunRequest, output_path, run_matrix
from bench.model import BenchError

TINY = RunRequest(workloads=("sleep",), strategies=("serial", "threads"), cores=(1,), modes=("warm",),
                  sets=("sleep.n=2", "sleep.seconds=0.01"), profile="quick", calibrate=False, progress=False,
                  budget=None)  # today's rules: the budget and its race are tests/test_pacing.py's

#: the config section of a results file (what --resume reads); a change here breaks old files
CONFIG_KEYS = ["workloads", "strategies", "cores", "workers", "modes", "start_methods", "overrides", "profile",
               "timeout", "tasks_per_core", "single_worker", "twins_on_demand", "processes", "workload_modules",
               "strategy_modules", "pythons", "scheduler", "thread_limits", "python_labels", "python_unavailable",
               "argv", "budget"]


def test_run_matrix_measures_a_tiny_matrix_without_argparse(tmp_path, no_leaked_processes):
    out = tmp_path / "run.json"
    results = run_matrix(dataclasses.replace(TINY, output=out))
    # sleep is I/O-latency work: threads get 1 and 2 workers per core
    assert sorted((r.case.strategy, r.case.workers) for r in results.cases) == [
        ("serial", 1), ("threads", 1), ("threads", 2)]
    assert all(r.ok for r in results.cases) and results.complete
    assert all(len(r.values) >= 1 for r in results.cases)
    assert list(results.config) == CONFIG_KEYS
    assert results.config["overrides"] == {"sleep": {"n": "2", "seconds": "0.01"}}
    assert results.config["modes"] == ["warm"] and results.config["thread_limits"] is True
    assert results.config["processes"] == 2  # the quick profile's (and the full one's)
    assert "raw" not in results.calibration  # calibrate=False
    saved = storage.load(out)
    assert [r.case.key for r in saved.cases] == [r.case.key for r in results.cases] and saved.complete


def test_a_case_shared_among_fresh_processes_keeps_every_pair_and_says_so(tmp_path, no_leaked_processes):
    results = run_matrix(dataclasses.replace(TINY, workers=(1,), processes=2, output=tmp_path / "run.json"))
    serial, threads = results.cases
    assert "processes" not in serial.metadata  # the serial case is not split: nothing is divided by it
    assert threads.ok and threads.metadata["processes"] == 2 and results.config["processes"] == 2
    assert len(threads.values) == len(threads.reference) == threads.metadata["rounds"] >= 4  # quick: 2 + 2 at least
    skipped = threads.metadata["warmups_skipped"].split(",")  # what the first sitting showed needs none
    assert len(threads.warmups) == 1 + ("case" not in skipped) and len(threads.reference_warmups) == 1 + (
        "reference" not in skipped)
    assert len(threads.metadata["value_starts"]) == len(threads.values)
    assert threads.metadata["value_starts"] == sorted(threads.metadata["value_starts"])
    again = run_matrix(RunRequest(resume=tmp_path / "run.json", calibrate=False, progress=False))
    assert again.config["processes"] == 2


def test_every_profile_says_how_many_processes_share_a_case():
    from bench.execute.runner import PLANS, PROCESSES

    assert set(PROCESSES) == set(PLANS) and PROCESSES["quick"] == PROCESSES["full"] == 2


def test_the_command_line_and_the_request_write_the_same_config(tmp_path):
    by_cli, by_python = tmp_path / "cli.json", tmp_path / "python.json"
    assert main(["run", "--workloads", "sleep", "--strategies", "serial,threads", "--cores", "1", "--workers", "1",
                 "--modes", "warm", "--set", "sleep.n=2", "--set", "sleep.seconds=0.01", "--no-progress",
                 "--no-calibrate", "--budget", "none", "-o", str(by_cli)]) == 0
    run_matrix(dataclasses.replace(TINY, workers=(1,), output=by_python))
    cli, python = storage.load(by_cli).config, storage.load(by_python).config
    assert {k: v for k, v in cli.items() if k != "argv"} == {k: v for k, v in python.items() if k != "argv"}


def test_resuming_a_complete_run_from_python_measures_nothing_again(tmp_path):
    out = tmp_path / "run.json"
    first = run_matrix(dataclasses.replace(TINY, workers=(1,), output=out))
    again = run_matrix(RunRequest(resume=out, calibrate=False, progress=False))
    assert [r.values for r in again.cases] == [r.values for r in first.cases]
    assert output_path(RunRequest(resume=out, output=tmp_path / "ignored.json")) == out


@pytest.mark.parametrize("change,message", [
    ({"cores": (0,)}, "--cores wants comma-separated positive integers"),
    ({"cores": (10_000,)}, "more than the"),
    ({"modes": ()}, "--modes names nothing"),
    ({"modes": ("tepid",)}, "unknown mode 'tepid'"),
    ({"workloads": ("no-such-workload",)}, "no-such-workload"),
    ({"sets": ("sleep.n",)}, "--set wants WORKLOAD.PARAM=VALUE"),
    ({"start_methods": ("teleport",)}, "unknown start method 'teleport'"),
    ({"timeout": 0.0}, "timeout wants a finite number of seconds above 0"),
    ({"profile": "medium"}, "profile must be one of"),
    ({"processes": 0}, "--processes wants a whole number from 1 to 20"),
    ({"processes": 21}, "--processes wants a whole number from 1 to 20"),
])
def test_bad_requests_are_one_line_bench_errors_before_any_case(tmp_path, change, message):
    out = tmp_path / "run.json"
    with pytest.raises(BenchError, match=message):
        run_matrix(dataclasses.replace(TINY, output=out, **change))
    assert not out.exists()


def test_an_interruption_is_still_a_keyboard_interrupt():
    stop = Interrupted(3, [Path("a.json")])
    assert isinstance(stop, KeyboardInterrupt) and stop.kept == 3 and stop.outputs == (Path("a.json"),)


def test_run_options_become_a_typed_request():
    args = build_parser().parse_args(["run", "--workloads", "sleep, fib,sleep", "--cores", "2,1", "--modes", "warm",
                                      "--set", "fib.k=5", "--no-calibrate", "--no-thread-limits", "-o", "r.json"])
    request = run_cmd.request_from_args(args)
    assert request.workloads == ("sleep", "fib") and request.cores == (1, 2) and request.modes == ("warm",)
    assert request.sets == ("fib.k=5",) and not request.calibrate and not request.thread_limits
    assert request.strategies is None and request.workers == () and str(request.output) == "r.json"


def test_ab_sides_start_from_the_run_request_defaults():
    request = ab_cmd.request_from_args(build_parser().parse_args(["ab"]))
    for label in ("A", "B"):
        assert side_request(request, label) == RunRequest()
    assert ABRequest().shared == RunRequest() and request.processes == ABRequest().processes


def test_ab_side_sets_come_after_the_shared_ones():
    args = build_parser().parse_args(["ab", "--set", "sleep.n=2", "--a-set", "sleep.n=3", "--timeout", "9"])
    request = ab_cmd.request_from_args(args)
    assert side_request(request, "A").sets == ("sleep.n=2", "sleep.n=3")
    assert side_request(request, "B") == dataclasses.replace(RunRequest(), sets=("sleep.n=2",), timeout=9.0)


def test_the_plain_functions_are_public():
    assert {"RunRequest", "run_matrix", "ABRequest", "run_ab"} <= set(bench.__all__)
    assert bench.RunRequest is RunRequest and bench.run_matrix is run_matrix


def test_a_run_on_two_cores_alone_gets_each_parallel_cases_one_worker_twin(tmp_path, no_leaked_processes):
    """--cores 2: the one-worker one-core case single_worker_speedup reads is added, with its serial, and run first."""
    from bench.analysis.table import tidy

    request = RunRequest(workloads=("fib",), strategies=("serial", "threads"), cores=(2,), modes=("warm",),
                         sets=("fib.n=2", "fib.k=12"), calibrate=False, progress=False, budget=None, processes=1,
                         output=tmp_path / "run.json")
    results = run_matrix(request)
    assert [(r.case.strategy, r.case.cores, r.case.workers) for r in results.cases] == [
        ("serial", 1, 1), ("threads", 1, 1), ("serial", 2, 1), ("threads", 2, 2)]
    assert all(r.ok for r in results.cases) and results.config["single_worker"] is True
    two = tidy(results).query("cores == 2 and strategy == 'threads'").iloc[0]
    assert two["single_worker_speedup"] > 0 and two["scaling_speedup"] > 0
    asked = run_matrix(dataclasses.replace(request, single_worker=False, output=tmp_path / "asked.json"))
    assert [r.case.cores for r in asked.cases] == [2, 2]


def test_twins_are_on_demand_unless_the_one_core_cases_were_asked_for():
    """The known-truth runs name `--cores 1,2`: each one-core case is a check, measured in order."""
    from bench.execute.session import twins_on_demand

    assert twins_on_demand(RunRequest()) and twins_on_demand(RunRequest(cores=(2,)))
    assert not twins_on_demand(RunRequest(cores=(1, 2))) and not twins_on_demand(RunRequest(single_worker=False))
