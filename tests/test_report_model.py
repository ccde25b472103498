"""The pure report model (bench.render.html.page and its pieces): data in, data out."""
import pytest

from bench import storage
from bench.render.html import page
from bench.render.html.curves import workers_rule
from bench.testing import make_result, make_results, scaled, scaling_results

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)

SERIAL = [1.00, 1.01, 0.99, 1.02, 0.98, 1.00, 1.01]


def case(factor, strategy, cores=2, workers=None, mode="warm", **extra):
    return make_result(scaled(SERIAL, factor), strategy=strategy, cores=cores, workers=workers, mode=mode, **extra)


def two_strategies():
    """processes is the fastest at 2 cores; threads wins on 1 core, which must not matter."""
    return make_results([
        case(1.0, "serial", cores=1, workers=1), case(0.9, "threads", cores=1), case(1.1, "processes", cores=1),
        case(1.0, "serial", workers=1), case(1 / 1.5, "threads"), case(1 / 1.9, "processes"),
        case(1 / 1.6, "processes", mode="cold"),
    ])


@pytest.fixture(scope="module")
def small_report():
    return page.build(storage.load("tests/fixtures/small_run.json"), source="small_run.json")


def test_verdict_picks_best_strategy_by_speedup_at_the_most_cores():
    row = page.build(two_strategies()).verdicts[0]
    assert (row.cores, row.best.strategy, row.best.mode, row.best.workers) == (2, "processes", "warm", 2)
    assert row.best.speedup == pytest.approx(1.9, rel=1e-6)
    assert row.best.ci_low <= 1.9 <= row.best.ci_high
    assert row.best.efficiency == pytest.approx(0.95, rel=1e-6)
    assert row.runner_up.strategy == "threads" and row.runner_up.speedup == pytest.approx(1.5, rel=1e-6)
    assert row.reading.startswith("Use processes with 2 workers")


def test_verdict_says_stay_serial_when_nothing_beats_it():
    results = make_results([case(1.0, "serial", workers=1), case(1.5, "threads"), case(1.2, "processes")])
    row = page.build(results).verdicts[0]
    assert row.best.strategy == "processes" and row.best.slower_than_serial
    assert row.reading.startswith("Stay serial")


def test_failed_cases_are_listed_with_why_and_left_out_of_curves():
    results = make_results([case(1.0, "serial", workers=1), case(0.5, "threads"),
                            case(0.4, "processes", ok=False, error="result differs from serial")])
    report = page.build(results)
    assert [(f.strategy, f.error) for f in report.failed] == [("processes", "result differs from serial")]
    assert report.verdicts[0].best.strategy == "threads" and report.verdicts[0].n_failed == 1
    assert [s.strategy for s in report.workloads[0].series] == ["threads"]
    assert report.summary.n_failed == 1


def test_workload_whose_parallel_cases_all_failed_has_no_verdict_but_says_why():
    results = make_results([case(1.0, "serial", workers=1), case(0.5, "threads", ok=False, error="timeout")])
    row = page.build(results).verdicts[0]
    assert row.best is None and "No parallel case succeeded" in row.reading


def test_skipped_items_come_from_the_results():
    results = two_strategies()
    results.skipped = [{"workload": "ocr", "reason": "tesseract not installed"},
                       {"strategy": "ray", "reason": "ray is not installed"}]
    skipped = page.build(results).skipped
    assert [(s.kind, s.name, s.reason) for s in skipped] == [
        ("workload", "ocr", "tesseract not installed"), ("strategy", "ray", "ray is not installed")]


def test_series_and_overheads():
    report = page.build(two_strategies())
    view = report.workloads[0]
    labels = [s.label for s in view.series]
    assert labels == ["processes (cold)", "processes (warm)", "threads (warm)"]
    warm = next(s for s in view.series if s.label == "processes (warm)")
    assert [p.cores for p in warm.points] == [1, 2]
    overhead = view.overheads[0]
    assert (overhead.strategy, overhead.cores) == ("processes", 2)
    assert overhead.overhead_s == pytest.approx(1 / 1.6 - 1 / 1.9, rel=1e-6)
    (startup,) = report.startup  # one chart over every workload
    assert (startup.strategy, startup.workloads) == ("processes", 1)
    assert startup.median_s == pytest.approx(overhead.overhead_s, rel=1e-6)


def test_workers_rule_joins_oversubscribed_points():
    assert (workers_rule(2, 2), workers_rule(4, 2), workers_rule(3, 2)) == ("", "2 workers per core", "3 workers")


def test_workload_run_with_two_parameter_sets_gets_two_labelled_sections():
    results = make_results([case(1.0, "serial", workers=1, params={"n": 1}), case(0.5, "threads", params={"n": 1}),
                            case(1.0, "serial", workers=1, params={"n": 2}), case(0.6, "threads", params={"n": 2})])
    assert [w.label for w in page.build(results).workloads] == ["fib (n=1)", "fib (n=2)"]


def test_fits_are_attached_to_their_workload_and_usl_needs_three_p():
    report = page.build(scaling_results(lambda p: p / (1 + 0.1 * (p - 1)), cores=(1, 2, 4)))
    assert report.usl_fitted and report.measured_p == (1, 2, 4)
    assert [f.key["strategy"] for f in report.workloads[0].fits] == ["threads"]


def test_small_run_two_cores(small_report):
    assert [v.label for v in small_report.verdicts] == ["fib", "square", "sleep"]
    assert small_report.measured_p == (1, 2) and not small_report.usl_fitted
    assert small_report.summary.cores == (1, 2) and small_report.summary.n_cases == 38
    assert dict(small_report.same_settings)["OMP_NUM_THREADS"] == "1"  # one line, not a row per case
    assert "load_avg_1min" not in [*dict(small_report.same_settings), *small_report.varying_settings]
    assert ("numpy", "2.4.6") in small_report.versions
    assert small_report.csv.splitlines()[0].startswith("workload,params,strategy")
    assert small_report.comparison is None


def test_base_comparison_reports_time_and_speedup_verdicts():
    base = two_strategies()
    slower = [case(1.0, "serial", cores=1, workers=1), case(0.9, "threads", cores=1), case(1.1, "processes", cores=1),
              case(1.0, "serial", workers=1), case(1.3 / 1.5, "threads"), case(1 / 1.9, "processes"),
              case(1 / 1.6, "processes", mode="cold")]
    view = page.build(make_results(slower), base).comparison
    threads = next(r for r in view.rows if r.identity == "fib/threads/cores=2/workers=2/warm")
    assert threads.status == "regression" and threads.speedup_status == "regression"
    assert threads.change == pytest.approx(0.3, rel=1e-6)
    assert threads.base_speedup == pytest.approx(1.5, rel=1e-6)
    assert threads.new_speedup == pytest.approx(1.5 / 1.3, rel=1e-6)
    assert view.gate_failed and view.counts["regression"] == 1
    assert view.rows[0] is threads  # worst first


def test_empty_results_build():
    report = page.build(make_results([], complete=False))
    assert report.verdicts == () and report.startup == () and not report.summary.complete


def test_skipped_items_are_grouped_by_reason_and_name_a_few():
    """A budget that cut many cases is one line per reason naming a few, with the count."""
    results = make_results([])
    results.skipped += [{"case": f"fib/threads/cores=1/workers={w}/warm", "reason": "cut by the budget"}
                        for w in range(1, 6)]
    results.skipped.append({"strategy": "ray", "reason": "not installed"})
    items = page.skipped_items(results)
    assert [(i.kind, i.reason) for i in items] == [("5 cases", "cut by the budget"), ("strategy", "not installed")]
    assert items[0].name.endswith("and 2 more") and items[1].name == "ray"
