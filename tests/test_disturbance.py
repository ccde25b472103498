"""Disturbed cases in the tidy table, the verdict, bench explain and the run summary (built results)."""
from __future__ import annotations

import pytest

from bench.analysis import disturbance
from bench.analysis.explain import explain
from bench.analysis.records import instances, labels, records
from bench.analysis.table import tidy
from bench.analysis.verdict import verdict_row
from bench.testing import foreign_metrics, make_result, make_results

pytestmark = pytest.mark.unit
SERIAL = [0.2] * 6


def run(processes_share: float, threads_share: float = 0.01):
    """fib at 2 cores: serial, warm processes at x0.97 (the neighbour's doing), threads at x0.95."""
    return make_results([
        make_result(SERIAL, strategy="serial", cores=2, workers=1, metrics=foreign_metrics(0.01)),
        make_result([0.206] * 3 + [0.207] * 3, reference=SERIAL, strategy="processes", cores=2,
                    metrics=foreign_metrics(processes_share, processes_share)),
        make_result([0.21] * 3 + [0.211] * 3, reference=SERIAL, strategy="threads", cores=2,
                    metrics=foreign_metrics(threads_share)),
    ])


def verdict_of(results):
    rows = records(tidy(results))
    (inst,) = instances(rows)
    return verdict_row(inst, labels([inst])[inst], rows)


def test_the_table_carries_the_shares_and_the_flag_in_words():
    frame = tidy(run(0.48)).set_index("strategy")
    assert frame.loc["processes", "foreign_cpu_share"] == pytest.approx(0.48)
    assert bool(frame.loc["processes", "disturbed"]) and not bool(frame.loc["threads", "disturbed"])
    assert frame.loc["processes", "disturbed_note"] == "another process used 48 % of cores 0-1 during this case"
    assert frame.loc["threads", "disturbed_note"] == ""


def test_cases_from_before_the_foreign_load_are_not_called_disturbed():
    frame = tidy(make_results([make_result(SERIAL, strategy="serial", cores=2, workers=1)]))
    assert frame.loc[0, "disturbed"] is None or frame.loc[0, "disturbed"] != frame.loc[0, "disturbed"]


def test_a_verdict_does_not_rest_on_a_disturbed_case():
    row = verdict_of(run(0.48))
    assert row.reading.startswith("Not decided: machine busy (processes warm, 2 workers: another process used 48 %")
    assert "Among the undisturbed cases: Stay serial" in row.reading
    assert row.best is not None and row.best.strategy == "threads" and not row.recommends


def test_a_quiet_run_reads_as_before():
    row = verdict_of(run(0.02))
    assert row.reading.startswith("Stay serial") and not row.busy


def test_explain_says_so_first_and_the_summary_counts():
    results = run(0.48)
    (why,) = explain(results)
    processes = next(c for c in why.cases if c.strategy == "processes")
    assert processes.readings[0].startswith("Disturbed: another process used 48 % of cores 0-1")
    assert disturbance.count(results.cases) == 1
    assert disturbance.summary(results.cases).startswith(", 1 disturbed")
    assert disturbance.summary(run(0.0).cases) == ""
