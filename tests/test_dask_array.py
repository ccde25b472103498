"""The dask-array workload: chunks as tasks, partials combined exactly as numpy's whole-array answer
within the declared tolerance, and a tiny real run on the dask schedulers."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bench.execute.session import RunRequest, run_matrix
from bench.measure import equality
from bench.model import BenchError
from workloads import dask_array

SMALL = {"rows": 250, "cols": 7, "chunk": 60, "reduction": "mean", "seed": 3}


def whole_array(params: dict) -> np.ndarray:
    """The array the chunks make up, built whole (what the tutorial's numpy line reduces)."""
    tasks = dask_array.WORKLOAD.make_tasks(params)
    return np.concatenate([np.random.default_rng([seed, i]).random((rows, cols)) for seed, i, rows, cols in tasks])


@pytest.mark.parametrize("reduction", dask_array.REDUCTIONS)
def test_chunks_cover_the_rows_and_combine_to_numpys_answer_within_the_declared_digits(reduction):
    params = {**SMALL, "reduction": reduction}
    tasks = dask_array.WORKLOAD.make_tasks(params)
    assert [rows for _, _, rows, _ in tasks] == [60, 60, 60, 60, 10]
    [result] = dask_array.WORKLOAD.reduce(params, [dask_array.chunk_partial(t) for t in tasks])
    x = whole_array(params)
    expected = {"mean": x.mean(axis=0), "sum": x.sum(axis=0), "std": x.std(axis=0)}[reduction]
    np.testing.assert_allclose(result.value, expected, rtol=1e-12)
    assert equality.fingerprint(result) == equality.fingerprint(equality.Rounded(expected, dask_array.DIGITS))
    assert equality.fingerprint(result) != equality.fingerprint(equality.Rounded(expected * 1.001, 10))


def test_an_unknown_reduction_is_one_line():
    with pytest.raises(BenchError, match="one of mean, sum, std"):
        dask_array.WORKLOAD.make_tasks({**SMALL, "reduction": "median"})


def test_a_tiny_run_on_the_dask_schedulers_matches_serial_numpy(tmp_path, no_leaked_processes):
    request = RunRequest(workloads=("dask-array",), strategies=("serial", "dask-threads", "dask-processes"),
                         cores=(1,), workers=(2,), modes=("warm",), sets=tuple(f"dask-array.{k}={v}" for k, v in
                                                                           SMALL.items()),
                         profile="quick", calibrate=False, progress=False, processes=1, single_worker=False)
    results = run_matrix(dataclasses.replace(request, output=tmp_path / "run.json"))
    assert sorted(r.case.strategy for r in results.cases) == ["dask-processes", "dask-threads", "serial"]
    assert all(r.ok for r in results.cases), [r.error for r in results.cases if not r.ok]
    assert all(r.metrics["chunks"] == 5 for r in results.cases)
