"""Per-task overhead from the tidy table: the formula, the parallelism it divides by, the CLI option."""
from __future__ import annotations

import dataclasses

import pytest

from bench import storage
from bench.analysis.overhead import overhead_rows, parallelism, per_task_overhead, with_overhead
from bench.analysis.table import tidy
from bench.cli import main
from bench.testing import make_result, make_results

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)


def _with_meta(result, **metadata):
    return dataclasses.replace(result, metadata={**result.metadata, **metadata})


def _results():
    serial = _with_meta(make_result([1.0, 1.0, 1.0], strategy="serial", workers=1), n_tasks=100)
    ideal = _with_meta(make_result([0.5, 0.5, 0.5], strategy="pool-map"), n_tasks=100)
    slow = _with_meta(make_result([0.7, 0.7, 0.7], strategy="threads"), n_tasks=100)
    unknown = make_result([0.7], strategy="joblib")  # recorded before n_tasks existed
    return make_results([serial, ideal, slow, unknown])


def test_formula():
    assert per_task_overhead(0.7, 1.0, 2, 100) == pytest.approx(0.002)
    assert per_task_overhead(0.5, 1.0, 2, 100) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        per_task_overhead(1.0, 1.0, 0, 10)


def test_rows_follow_the_cases():
    rows = overhead_rows(_results())
    assert [r["overhead_per_task_s"] for r in rows][0] is None  # serial: none by definition
    assert rows[1]["overhead_per_task_s"] == pytest.approx(0.0)
    assert rows[2]["overhead_per_task_s"] == pytest.approx(0.002)
    assert rows[3]["overhead_per_task_s"] is None and rows[3]["n_tasks"] is None


def test_an_external_cluster_divides_by_its_threads():
    result = _with_meta(make_result([1.0], strategy="dask-distributed", cores=1, workers=1),
                        cluster="external", cluster_threads=4)
    assert parallelism(result) == 4
    assert parallelism(_with_meta(result, cluster="local")) == 1


def test_columns_appended_to_the_tidy_frame():
    results = _results()
    frame = with_overhead(tidy(results), results)
    assert list(frame.columns[-3:]) == ["n_tasks", "parallelism", "overhead_per_task_s"]
    assert frame.loc[2, "overhead_per_task_s"] == pytest.approx(0.002)


def test_bench_table_overhead_option(tmp_path, capsys):
    path = tmp_path / "r.json"
    storage.save(_results(), path)
    assert main(["table", str(path), "--overhead", "--format", "csv",
                 "--columns", "strategy,overhead_per_task_s"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "strategy,overhead_per_task_s"
    strategy, overhead = lines[3].split(",")
    assert strategy == "threads" and float(overhead) == pytest.approx(0.002)
    assert main(["table", str(path), "--columns", "nope"]) == 2
