"""The report's "why not more" parts: dot plot data, time split, verdict readings, fixes."""
from __future__ import annotations

import re

import pytest

from bench.analysis.records import Instance, labels
from bench.render.html import document, page, why
from bench.render.html.plots import nice_ticks
from bench.testing import accounted_results, demo_results, make_result, make_results, scaled, scaling_results

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)

SERIAL = [1.00, 1.01, 0.99, 1.02, 0.98]


@pytest.fixture(scope="module")
def demo_report():
    return page.build(demo_results(), source="demo.json")


@pytest.fixture(scope="module")
def demo_html(demo_report):
    return document.render(demo_report)


def test_two_core_counts_get_a_dot_plot_not_curves(demo_report, demo_html):
    view = demo_report.workloads[0]
    assert not view.curves and view.dots
    assert 'alt="Speed-up of fib per strategy at 2 cores, warm and cold' in demo_html
    assert 'alt="Speed-up of fib against cores' not in demo_html


def test_three_core_counts_get_curves():
    report = page.build(scaling_results(lambda p: 0.9 * p, cores=(1, 2, 4)))
    assert report.workloads[0].curves and not document.figures(report)["workload-0"]["dots"]


def test_dots_are_grouped_by_family_and_sorted_with_the_recommended_one_marked(demo_report):
    dots = demo_report.workloads[0].dots
    families = list(dict.fromkeys(d.family for d in dots))
    assert families == ["processes", "threads"]
    assert {d.cores for d in dots} == {2}  # the verdict's core count only: one row per strategy
    warm = [d.speedup for d in dots if d.family == "processes" and d.mode == "warm"]
    assert warm == sorted(warm, reverse=True)
    assert {d.strategy for d in dots if d.recommended} == {"pool-async"}
    assert all(d.ideal == 2.0 for d in dots)  # min(workers, cores): the case's own ideal


def test_family_comes_from_the_strategy_flags():
    assert (why.family("pool-map"), why.family("threads (fork)"), why.family("dask-threads")) == \
        ("processes", "threads", "threads")
    assert why.family("no-such-strategy") == "other"


def test_time_split_bars_add_up_to_the_cycle_and_mark_the_bound(demo_report):
    splits = {s.strategy: s for s in demo_report.workloads[0].splits}
    assert len(splits) == 8 and all(s.mode == "warm" for s in splits.values())
    pool_map = splits["pool-map"]
    names = [name for name, _ in pool_map.parts]
    assert names == ["work", "overhead", "waiting", "idle"]  # start-up has its own chart
    assert pool_map.bound_s is not None and pool_map.bound_s > 0.5  # one cycle of 1 s serial at < x2
    # the tick is on the bar's own clock: the bar is the cycle, the tick that cycle x speed-up / bound
    assert pool_map.bound_s == pytest.approx(pool_map.total_s * pool_map.speedup / pool_map.bound_speedup, rel=0.06)
    assert pool_map.beats_bound == (pool_map.speedup > pool_map.bound_speedup)
    assert 'alt="Where the time of fib went per strategy at 2 cores' in document.render(demo_report)


def test_a_negative_start_up_is_drawn_as_noise_in_the_one_start_up_chart():
    results = accounted_results()
    for result in results.cases:
        if result.case.strategy == "pool-map" and result.case.mode == "cold":
            object.__setattr__(result, "values", tuple(v * 0.5 for v in result.values))
    report = page.build(results)
    startup = {s.strategy: s for s in report.startup}
    assert startup["pool-map"].median_s < 0 and startup["pool-async"].median_s > 0
    assert "cold measured faster than warm, which only noise can do" in document.render(report)


def test_old_files_say_why_there_is_no_time_split(small_run_path):
    from bench import storage

    html = document.render(page.build(storage.load(small_run_path)))
    assert "Where the time went is not shown: no CPU time of the workers recorded" in html


def test_verdict_names_the_loss_and_the_bound(demo_report, demo_html):
    fib = demo_report.verdicts[0]
    assert fib.recommends and "Largest loss" in fib.why and "Task sizes" in fib.why
    assert '<td class="best">pool-async<br>' in demo_html


def test_stay_serial_is_not_bolded_as_a_best_strategy():
    results = make_results([make_result(SERIAL, strategy="serial", workers=1),
                            make_result(scaled(SERIAL, 2.0), strategy="threads")])
    html = document.render(page.build(results))
    verdict = re.search(r'<table class="verdict"[^>]*>(.*?)</table>', html, re.DOTALL).group(1)
    assert "Stay serial" in verdict and 'class="best"' not in verdict and "closest:" in verdict


def test_unidentifiable_models_collapse_to_one_line(small_run_path):
    from bench import storage

    report = page.build(storage.load(small_run_path))
    assert "cannot be identified from p = 1, 2" in report.unidentified
    shown = sum(len(w.shown_fits) for w in report.workloads)
    assert report.unidentified.startswith(f"{sum(len(w.fits) for w in report.workloads) - shown} of ")


def test_headings_name_the_interpreter_only_when_there_are_several():
    one = [Instance("fib", "n=1", "3.12 (GIL enabled)"), Instance("sleep", "n=1", "3.12 (GIL enabled)")]
    assert list(labels(one).values()) == ["fib", "sleep"]
    two = [Instance("fib", "n=1", "3.12 (GIL enabled)"), Instance("fib", "n=1", "3.13t (GIL disabled)")]
    assert list(labels(two).values()) == ["fib [3.12 (GIL enabled)]", "fib [3.13t (GIL disabled)]"]


def test_colour_bar_ticks_are_round_speedups():
    assert nice_ticks(1 / 16, 2.0) == [0.1, 0.2, 0.5, 1.0, 2.0]
    ticks = nice_ticks(0.0004, 8.0)
    assert 1.0 in ticks and all(str(t).rstrip("0").rstrip(".") in {"0.001", "0.01", "0.1", "0.0005", "0.005",
                                                                   "0.05", "0.5", "1", "2", "5"} for t in ticks)
    assert len([t for t in ticks if t < 1]) <= 4


def test_everything_shown_is_escaped():
    nasty = '<img src=x onerror="alert(1)">'
    results = make_results([make_result(SERIAL, workload=nasty, strategy="serial", workers=1),
                            make_result(scaled(SERIAL, 0.6), workload=nasty, strategy="threads"),
                            make_result(scaled(SERIAL, 0.7), workload=nasty, strategy=nasty)])
    html = document.render(page.build(results))
    assert nasty not in html and "&lt;img src=x onerror=" in html
