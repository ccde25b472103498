"""Interleaved A/B mode: scheduling (pure, fake channels) and a tiny real run (invariants only)."""
from __future__ import annotations

import os

from bench import storage
from bench.analysis.compare import identity
from bench.cli import main
from bench.execute.ab import (
    ROOT,
    Side,
    SideFailed,
    SideRecord,
    arm_names,
    channel_arms,
    precision_of,
    side_env,
)
from bench.measure.core import TimingPlan, interleave, order, session_plans


def test_order_alternates_abba():
    assert [order(i, "AB") for i in range(4)] == [["A", "B"], ["B", "A"], ["A", "B"], ["B", "A"]]


def test_arms_with_references_pair_each_side_with_its_own_reference():
    assert arm_names(["A", "B"], False) == ["A", "B"]
    assert arm_names(["A", "B"], True) == ["A-reference", "A", "B-reference", "B"]


def test_side_env_puts_the_side_code_first_and_keeps_the_harness_importable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the current folder comes after the harness: a user's workload module
    side = Side("A", pythonpath=("/wt/base",), env={"MY_FLAG": "1"})
    env = side_env({"PYTHONPATH": "/extra", "HOME": "/root"}, side)
    assert env["PYTHONPATH"].split(os.pathsep) == ["/wt/base", str(ROOT), str(tmp_path), "/extra"]
    assert env["MY_FLAG"] == "1" and env["HOME"] == "/root"


class FakeChannel:
    """Answers "cycle ..." with a fixed time and logs who was asked for what, in order."""

    def __init__(self, label, seconds, log, fail_at=None):
        self.label, self.seconds, self.log, self.fail_at = label, seconds, log, fail_at

    def request(self, command, timeout):
        self.log.append(self.label + ("r" if command.endswith("reference") else ""))
        if self.fail_at is not None and len([x for x in self.log if x[0] == self.label]) >= self.fail_at:
            raise SideFailed("case process died (exit code 1)")
        return {"value": self.seconds}


def _run(channels, plan, references=False):
    names = arm_names(list(channels), references)
    return interleave(channel_arms(channels, names, timeout=1), plan, precision_of(names))


def test_interleave_asks_in_abba_order_and_keeps_warmups_apart():
    log = []
    channels = {"A": FakeChannel("A", 0.01, log), "B": FakeChannel("B", 0.01, log)}
    records, reason = _run(channels, TimingPlan(warmups=1, values=4, min_values=3))
    assert log == list("ABBAABBAAB") and reason == "max_values"
    assert [len(r.warmups) for r in records.values()] == [1, 1]
    assert [len(r.values) for r in records.values()] == [4, 4]


def test_interleave_with_references_runs_each_reference_next_to_its_side():
    log = []
    channels = {"A": FakeChannel("A", 0.01, log), "B": FakeChannel("B", 0.01, log)}
    _run(channels, TimingPlan(warmups=0, values=2, min_values=2), references=True)
    assert log == ["Ar", "A", "Br", "B", "B", "Br", "A", "Ar"]


def test_interleave_stops_both_sides_together_on_the_budget():
    log = []
    channels = {"A": FakeChannel("A", 0.4, log), "B": FakeChannel("B", 0.1, log)}
    records, reason = _run(channels, TimingPlan(warmups=1, values=10, min_values=3, budget_seconds=1.0))
    assert [len(r.values) for r in records.values()] == [3, 3] and reason == "budget"


def test_interleave_stops_once_the_pairs_are_precise():
    log = []
    channels = {"A": FakeChannel("A", 0.01, log), "B": FakeChannel("B", 0.02, log)}
    records, reason = _run(channels, TimingPlan(warmups=0, values=50, min_values=4, target=0.03))
    assert reason == "precision" and len(records["A"].values) == 4


def test_a_failing_side_stops_and_the_other_goes_on():
    log = []
    channels = {"A": FakeChannel("A", 0.01, log), "B": FakeChannel("B", 0.01, log, fail_at=2)}
    records, _ = _run(channels, TimingPlan(warmups=0, values=4, min_values=3))
    assert records["B"].error.startswith("case process died")
    assert len(records["A"].values) == 4


# ---------------------------------------------------------------- a real, tiny run

TINY = ["--workloads", "sleep", "--strategies", "threads", "--cores", "1", "--workers", "1", "--modes", "warm",
        "--set", "sleep.n=2", "--set", "sleep.seconds=0.002", "--no-progress"]


def run_ab(tmp_path, *extra):
    out_a, out_b = tmp_path / "a.json", tmp_path / "b.json"
    code = main(["ab", *TINY, "--output-a", str(out_a), "--output-b", str(out_b), *extra])
    return code, out_a, out_b


def test_ab_writes_two_matching_files_with_interleaved_values(tmp_path, no_leaked_processes):
    code, out_a, out_b = run_ab(tmp_path, "--b-set", "sleep.seconds=0.003", "--b-env", "BENCH_AB_TEST=1")
    assert code == 0
    a, b = storage.load(out_a), storage.load(out_b)
    assert a.complete and b.complete
    assert [identity(r.case) for r in a.cases] == [identity(r.case) for r in b.cases]
    assert [r.case.params_dict["seconds"] for r in b.cases] == [0.003, 0.003]
    assert b.config["ab"]["env"] == {"BENCH_AB_TEST": "1"} and a.config["ab"]["side"] == "A"
    for case_a, case_b in zip(a.cases, b.cases):
        assert case_a.ok and case_b.ok and len(case_a.values) == len(case_b.values) >= 3
        assert case_a.metadata["ab_processes"] == 2 and len(case_a.warmups) == 2  # one warm-up per process
        # how the values split by process pair (what `bench compare` takes the pairs' spread from), both sides alike
        split = case_a.metadata["process_values"]
        assert len(split) == 2 and sum(split) == len(case_a.values) and split == case_b.metadata["process_values"]
        assert case_a.metadata["process_warmups"] == [1, 1] and len(storage.process_slices(case_a)) == 2
        assert case_a.metadata["cpu_placement"] == case_b.metadata["cpu_placement"] != ""  # bench.machine.topology
        starts_a, starts_b = case_a.metadata["value_starts"], case_b.metadata["value_starts"]
        rounds = list(zip(starts_a, starts_b))
        for earlier, later in zip(rounds, rounds[1:]):  # every round of A and B is before the next one
            assert max(earlier) < min(later)
    assert main(["compare", str(out_a), str(out_b), "--format", "json"]) in (0, 1)


def test_ab_side_that_cannot_import_is_refused_before_any_case(tmp_path, capsys, no_leaked_processes):
    broken = tmp_path / "broken"
    (broken / "workloads").mkdir(parents=True)
    (broken / "workloads" / "__init__.py").write_text("raise ImportError('broken checkout')\n")
    code, out_a, out_b = run_ab(tmp_path, "--b-pythonpath", str(broken))
    assert code == 2 and not out_a.exists() and not out_b.exists()
    error = capsys.readouterr().err.splitlines()[-1]
    assert "side B cannot import workloads" in error and "broken checkout" in error


def test_ab_bad_side_options_exit_2(tmp_path, capsys):
    assert run_ab(tmp_path, "--a-python", str(tmp_path / "no-python"))[0] == 2
    assert run_ab(tmp_path, "--b-env", "NOEQUALS")[0] == 2
    assert run_ab(tmp_path, "--a-pythonpath", str(tmp_path / "missing"))[0] == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 3 and all(line.startswith("bench: error:") for line in errors)


def test_session_plans_share_values_minimum_and_budget():
    plans = session_plans(TimingPlan(warmups=1, values=5, min_values=3, budget_seconds=1.0), 2)
    assert [(p.warmups, p.values, p.min_values, p.budget_seconds) for p in plans] == [(1, 3, 2, 0.5), (1, 2, 1, 0.5)]
    assert len(session_plans(TimingPlan(warmups=0, values=2), 5)) == 2


def test_interleave_counts_the_budget_per_session():
    log = []
    channels = {"A": FakeChannel("A", 0.3, log), "B": FakeChannel("B", 0.3, log)}
    records = {"A": SideRecord(), "B": SideRecord()}
    for plan in session_plans(TimingPlan(warmups=1, values=10, min_values=4, budget_seconds=1.0), 2):
        arms, _ = _run(channels, plan)
        for name, record in arms.items():
            records[name].extend(name, record)
    assert [len(r.arms[name].values) for name, r in records.items()] == [4, 4]
    assert [len(r.arms[name].warmups) for name, r in records.items()] == [2, 2]


def test_ab_with_references_pairs_each_side_with_its_serial_reference(tmp_path, no_leaked_processes):
    code, out_a, out_b = run_ab(tmp_path, "--references", "--processes", "1")
    assert code == 0
    for path in (out_a, out_b):
        parallel = [r for r in storage.load(path).cases if not r.case.is_serial]
        assert parallel and all(r.paired for r in parallel)
