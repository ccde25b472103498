"""The verdict says whether it is decided: built records, no runs."""
from __future__ import annotations

import pytest

from bench.analysis.records import Instance
from bench.analysis.verdict import verdict_row

pytestmark = pytest.mark.unit


def record(strategy, speedup, low, high, n_pairs=4, median_s=0.1, mode="warm", workers=2):
    return {"workload": "fib", "params": "k=25,n=8", "python": "", "strategy": strategy, "cores": 2,
            "workers": workers, "mode": mode, "start_method": "", "speedup": speedup, "speedup_ci_low": low,
            "speedup_ci_high": high, "efficiency": speedup / 2, "ok": True, "n_pairs": n_pairs,
            "median_s": median_s, "error": ""}


SERIAL = {**record("serial", 1.0, 1.0, 1.0, n_pairs=0, median_s=0.16, workers=1)}
FIB = Instance("fib", "k=25,n=8", "")


def test_a_best_clear_of_its_runner_up_is_decided():
    row = verdict_row(FIB, "fib", [SERIAL, record("pool-map", 1.9, 1.85, 1.95), record("threads", 0.9, 0.8, 1.0)])
    assert row.decision.startswith("decided") and row.reading.startswith("Use pool-map")
    assert "Decided" in row.reading


def test_overlapping_contenders_are_not_decided_and_the_reading_says_how_long_it_would_take():
    row = verdict_row(FIB, "fib", [SERIAL, record("pool-map", 1.8, 1.5, 2.1), record("joblib", 1.6, 1.3, 2.0)])
    assert row.decision.startswith("not decided in the budget: about")
    assert "more would decide it." in row.reading


def test_stay_serial_is_decided_whatever_loses_least():
    row = verdict_row(FIB, "fib", [SERIAL, record("pool-map", 0.5, 0.4, 0.6), record("joblib", 0.45, 0.3, 0.6)])
    assert row.decision == "decided: no parallel case reaches serial"


def test_files_without_pairs_say_nothing_about_it():
    row = verdict_row(FIB, "fib", [SERIAL, record("pool-map", 1.8, 1.5, 2.1, n_pairs=0),
                                   record("joblib", 1.6, 1.3, 2.0, n_pairs=0)])
    assert row.decision == "" and "decide" not in row.reading


def test_a_workload_whose_parallel_cases_were_all_cut_is_not_said_to_have_failed():
    """A budget that ran out before ocr's parallel cases: nothing failed, nothing was measured."""
    cut = verdict_row(FIB, "fib", [SERIAL])
    assert cut.n_failed == 0 and "was measured" in cut.reading and "succeeded" not in cut.reading
    failed = verdict_row(FIB, "fib", [SERIAL, {**record("pool-map", 1.0, 1.0, 1.0), "ok": False, "error": "boom",
                                               "speedup": None, "speedup_ci_low": None, "speedup_ci_high": None}])
    assert failed.n_failed == 1 and "succeeded" in failed.reading
