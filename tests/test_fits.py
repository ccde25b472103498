"""The fit table (bench.analysis.fits) and `bench fit`: plumbing from results to fitted models.

How accurately the estimators recover known parameters is tests/test_stats.py's job; here
synthetic runs with a known answer check that the right points reach the fits and that a
missing value always comes with a reason in words.
"""
import io
import json

import pandas as pd
import pytest

from bench import cli, storage
from bench.analysis import fits, stats
from bench.analysis.table import tidy
from bench.testing import make_result, make_results, scaling_results

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)

REQUIRED = ["workload", "strategy", "mode", "serial_fraction", "serial_fraction_ci_low", "serial_fraction_ci_high",
            "usl_sigma", "usl_kappa", "peak_workers", "n_points", "note"]


def amdahl(f):
    return lambda p: float(stats.amdahl_speedup(p, f))


def table_of(results):
    return fits.fit_table(tidy(results))


def test_serial_fraction_recovered_from_a_run_with_known_f():
    row = table_of(scaling_results(amdahl(0.2), cores=(1, 2, 4, 8))).iloc[0]
    assert row.serial_fraction == pytest.approx(0.2, abs=0.03)
    assert row.serial_fraction_ci_low <= 0.2 <= row.serial_fraction_ci_high
    assert row.n_points == 4 and row.max_p == 8
    assert row.max_speedup == pytest.approx(1 / row.serial_fraction)


def test_usl_fitted_from_three_or_more_p_and_peak_flagged_as_extrapolation():
    sigma, kappa = 0.05, 0.01  # peak at floor(sqrt(0.95 / 0.01)) = 9 workers, beyond the 8 measured
    run = scaling_results(lambda p: float(stats.usl_speedup(p, sigma, kappa)), cores=(1, 2, 4, 8), noise=0.002)
    row = table_of(run).iloc[0]
    assert row.usl_sigma == pytest.approx(sigma, abs=0.03)
    assert row.usl_kappa == pytest.approx(kappa, abs=0.005)
    assert row.peak_workers > 8 and bool(row.peak_extrapolated)
    assert "extrapolation beyond the measured p <= 8" in row.note


def test_two_cores_fit_amdahl_and_say_why_usl_is_missing():
    row = table_of(scaling_results(amdahl(0.1), cores=(1, 2))).iloc[0]
    assert 0.0 <= row.serial_fraction <= 1.0
    assert fits.is_missing(row.usl_sigma) and fits.is_missing(row.usl_kappa) and fits.is_missing(row.peak_workers)
    assert "USL not fitted" in row.note and "3 or more distinct parallelism values, got 2 (p=1, 2)" in row.note


def test_serial_point_is_implied_so_one_core_count_above_one_is_enough():
    fit = fits.fit_groups(tidy(scaling_results(amdahl(0.3), cores=(2,))))[0]
    assert [(p.p, p.speedup, p.implied) for p in fit.points][0] == (1, 1.0, True)
    assert isinstance(fit.amdahl, stats.AmdahlFit)


def test_only_p_equal_one_is_too_few_points_said_in_words():
    row = table_of(scaling_results(amdahl(0.3), cores=(1,))).iloc[0]
    assert fits.is_missing(row.serial_fraction)
    assert "Amdahl not fitted" in row.note and "got 1 (p=1)" in row.note


def test_points_use_parallelism_min_workers_cores_and_every_worker_count():
    cases = [make_result([1.0] * 5, strategy="serial", cores=2, workers=1),
             make_result([0.55] * 5, strategy="threads", cores=2, workers=2),
             make_result([0.30] * 5, strategy="threads", cores=2, workers=4)]
    fit = fits.fit_groups(tidy(make_results(cases)))[0]
    assert [(p.p, p.workers) for p in fit.points] == [(1, 1), (2, 2), (2, 4)]
    assert [k.workers for k in fit.karp_flatt] == [2, 4]
    assert "speed-up above p at p=2" in " ".join(fit.notes)


def test_failed_cases_and_serial_are_not_points():
    cases = [make_result([1.0] * 5, strategy="serial", cores=2, workers=1),
             make_result([0.6] * 5, strategy="threads", cores=2),
             make_result([0.1] * 5, strategy="threads", cores=2, workers=4, ok=False, error="wrong result")]
    table = table_of(make_results(cases))
    assert list(table.strategy) == ["threads"] and table.n_points.tolist() == [2]


def test_no_gain_says_so_instead_of_a_misleading_fit():
    row = table_of(scaling_results(lambda p: 0.8, cores=(1, 2))).iloc[0]
    assert "no gain over serial" in row.note


def test_groups_by_workload_strategy_and_mode(small_run_path):
    table = table_of(storage.load(small_run_path))
    assert set(REQUIRED) <= set(table.columns)
    assert len(table) == 12  # 3 workloads x 2 strategies x 2 modes
    assert not table.duplicated(["workload", "strategy", "mode"]).any()
    assert table.note.str.contains("USL not fitted").all()  # cores 1 and 2 only


def test_empty_results_give_an_empty_table_with_the_columns():
    table = table_of(make_results([]))
    assert table.empty and list(table.columns) == fits.COLUMNS


@pytest.fixture(scope="module")
def two_core_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("fit") / "run.json"
    storage.save(scaling_results(amdahl(0.1), cores=(1, 2), modes=("cold", "warm")), path)
    return path


@pytest.mark.parametrize("fmt", ["csv", "md", "json"])
def test_bench_fit_prints_every_format(two_core_file, capsys, fmt):
    assert cli.main(["fit", str(two_core_file), "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "csv":
        frame = pd.read_csv(io.StringIO(out))
        assert set(REQUIRED) <= set(frame.columns) and list(frame["mode"]) == ["cold", "warm"]
    elif fmt == "json":
        rows = json.loads(out)
        assert len(rows) == 2 and rows[0]["usl_sigma"] is None and "USL not fitted" in rows[0]["note"]
        assert 0 <= rows[0]["serial_fraction"] <= 1
    else:
        assert out.splitlines()[0].startswith("| workload")


def test_bench_fit_bad_input_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert cli.main(["fit", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not valid JSON" in err


@pytest.mark.parametrize("speedup_at,why", [
    (lambda p: 0.07 + 0.01 * p, "there is no gain over serial"),  # tiny tasks: parallel always loses
    (lambda p: 2.0 * p, "it never exceeds linear scaling"),  # oversubscribed waiting
])
def test_usl_is_not_forced_onto_data_it_cannot_describe(speedup_at, why):
    row = table_of(scaling_results(speedup_at, cores=(1, 2, 4, 8))).iloc[0]
    assert fits.is_missing(row.usl_sigma) and f"USL not fitted: {why}" in row.note
    assert not fits.is_missing(row.serial_fraction)  # Amdahl's f is still reported, with a note
