"""A budgeted run end to end on a tiny matrix (no timing asserted), and joining a raced process's pairs."""
from __future__ import annotations

import dataclasses

import pytest

from bench.analysis.race import BUDGET, OUT, PRECISION
from bench.execute.pacing import joined
from bench.execute.session import RunRequest, run_matrix
from bench.testing import make_result

TINY = RunRequest(workloads=("sleep",), strategies=("serial", "threads", "pool-map"), cores=(1,), modes=("warm",),
                  workers=(1,), sets=("sleep.n=2", "sleep.seconds=0.01"), calibrate=False, progress=False)


def test_a_budgeted_run_gives_every_case_its_minimum_and_says_where_each_stood(tmp_path, no_leaked_processes):
    results = run_matrix(dataclasses.replace(TINY, budget=60.0, output=tmp_path / "run.json"))
    parallel = [r for r in results.cases if not r.case.is_serial]
    assert len(parallel) == 2 and all(r.ok for r in parallel) and results.complete
    assert all(len(r.values) >= 3 and r.paired for r in parallel)
    assert all(r.metadata["stop_reason"] in (PRECISION, OUT, BUDGET) for r in parallel)
    account = results.config["budget"]
    assert account["budget_s"] == 60.0 and account["cut"] == [] and account["planned_s"] > 0


def test_a_budget_too_small_for_the_cases_cuts_them_and_says_so(tmp_path, no_leaked_processes):
    results = run_matrix(dataclasses.replace(TINY, budget=0.01, output=tmp_path / "run.json"))
    cut = [s for s in results.skipped if "cut by the budget" in s.get("reason", "")]
    assert cut and results.config["budget"]["cut"] == [s["case"] for s in cut]
    assert {r.case.key for r in results.cases}.isdisjoint(s["case"] for s in cut)


def test_no_budget_is_todays_run(tmp_path, no_leaked_processes):
    results = run_matrix(dataclasses.replace(TINY, budget=None, output=tmp_path / "run.json"))
    assert results.config["budget"] == {"budget_s": None}
    assert all(r.metadata["stop_reason"] in ("precision", "budget", "max_values") or "," in r.metadata["stop_reason"]
               for r in results.cases if not r.case.is_serial)


def test_a_raced_process_joins_its_pairs_after_the_ones_measured_before():
    before = make_result([0.10, 0.11], reference=[0.20, 0.21], strategy="threads",
                         metadata={"processes": 2, "rounds": 2, "stop_reason": "budget", "case_process_s": 1.0,
                                   "value_starts": [1.0, 2.0]})
    answer = {"values": [0.12], "warmups": [], "reference": [0.22], "reference_warmups": [], "ok": True,
              "metrics": {}, "metadata": {"rounds": 1, "stop_reason": "max_values", "case_process_s": 0.4,
                                          "value_starts": [3.0]}}
    after = joined(before, answer)
    assert after.values == (0.10, 0.11, 0.12) and after.reference == (0.20, 0.21, 0.22) and after.paired
    assert after.metadata["processes"] == 3 and after.metadata["rounds"] == 3
    assert after.metadata["case_process_s"] == pytest.approx(1.4)
    assert after.metadata["value_starts"] == [1.0, 2.0, 3.0]


def test_bad_budgets_are_refused_in_one_line(tmp_path):
    from bench.model import BenchError

    with pytest.raises(BenchError, match="budget"):
        run_matrix(dataclasses.replace(TINY, budget="soon", output=tmp_path / "run.json"))
    with pytest.raises(BenchError, match="budget"):
        run_matrix(dataclasses.replace(TINY, budget=-5.0, output=tmp_path / "run.json"))
