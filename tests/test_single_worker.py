"""What is not parallelism: single_worker_speedup, scaling_speedup and the above-p reading, on built results."""
from __future__ import annotations

import pytest

from bench.analysis import single_worker
from bench.analysis.explain import explain
from bench.analysis.table import tidy
from bench.testing import make_result, make_results

pytestmark = pytest.mark.unit
SERIAL = [0.100, 0.101, 0.099, 0.100, 0.102, 0.100]


def zlib_run(two_core_speedup: float = 2.18, one_core_speedup: float = 1.16):
    """zlib-like threads: one worker on one core x1.16 over the serial loop (malloc arenas), x2.18 on 2."""
    def paired(speedup, cores, workers):
        values = [v / speedup * (1 + 0.01 * ((3 * i) % 5 - 2)) for i, v in enumerate(SERIAL)]
        return make_result(values, reference=SERIAL, strategy="threads", cores=cores,
                           workers=workers, workload="zlib", metadata={"bound": "cpu"})
    return make_results([
        make_result(SERIAL, strategy="serial", cores=1, workers=1, workload="zlib"),
        paired(one_core_speedup, 1, 1),
        make_result(SERIAL, strategy="serial", cores=2, workers=1, workload="zlib"),
        paired(two_core_speedup, 2, 2),
    ])


def test_scaling_speedup_divides_out_the_one_worker_case():
    frame = tidy(zlib_run()).set_index(["strategy", "cores"])
    two = frame.loc[("threads", 2)]
    assert two["single_worker_speedup"] == pytest.approx(1.16, rel=0.01)
    assert two["scaling_speedup"] == pytest.approx(2.18 / 1.16, rel=0.01)
    assert two["scaling_ci_low"] < two["scaling_speedup"] < two["scaling_ci_high"]
    assert frame.loc[("serial", 2), "single_worker_speedup"] is None or \
        frame.loc[("serial", 2), "single_worker_speedup"] != frame.loc[("serial", 2), "single_worker_speedup"]


def test_a_speedup_above_p_says_which_part_is_not_parallelism_and_names_causes():
    frame = tidy(zlib_run()).set_index(["strategy", "cores"])
    text = frame.loc[("threads", 2), "not_parallelism_note"]
    assert text.startswith("x2.1") and "is more than 2 cores can give: one worker on one core already ran x1.1" in text
    assert "the cores bought x1.8" in text and "MALLOC_ARENA_MAX=1" in text and "frequency" in text
    assert "with one worker is faster than the serial loop" in frame.loc[("threads", 1), "not_parallelism_note"]
    (why,) = explain(zlib_run())
    assert any("MALLOC_ARENA_MAX" in r for r in why.cases[0].readings)


def test_a_speedup_within_p_reads_nothing():
    frame = tidy(zlib_run(1.9, 1.0)).set_index(["strategy", "cores"])
    assert frame.loc[("threads", 2), "not_parallelism_note"] == ""
    assert frame.loc[("threads", 2), "scaling_speedup"] == pytest.approx(1.9, rel=0.01)


def test_without_a_one_worker_twin_the_columns_are_empty_and_the_note_says_so():
    results = zlib_run()
    results.cases[:] = results.cases[2:]
    row = tidy(results).set_index("strategy").loc["threads"]
    assert row["single_worker_speedup"] is None or row["single_worker_speedup"] != row["single_worker_speedup"]
    assert "no one-worker case" in row["not_parallelism_note"]


def test_scaling_without_intervals_gives_no_interval():
    found = single_worker.scaling({"speedup": 2.0}, {"speedup": 1.25})
    assert found["scaling_speedup"] == pytest.approx(1.6) and "scaling_ci_low" not in found
