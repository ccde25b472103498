"""Rendering the report to one self-contained HTML file, and `bench report`."""
import base64
import re

import pytest

from bench import cli, storage
from bench.analysis.table import tidy
from bench.render.html import document, page
from bench.testing import make_result, make_results, scaled, scaling_results

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)

EXTERNAL = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?:https?:)?//", re.IGNORECASE)
SERIAL = [1.00, 1.01, 0.99, 1.02, 0.98]


def html_of(results, base=None, **names):
    return document.render(page.build(results, base, **names))


@pytest.fixture(scope="module")
def small_run():
    return storage.load("tests/fixtures/small_run.json")


@pytest.fixture(scope="module")
def small_html(small_run):
    return html_of(small_run, source="tests/fixtures/small_run.json")


def section_of(html, anchor):
    return re.search(rf'<section id="{anchor}">(.*?)</section>', html, re.DOTALL).group(1)


def assert_self_contained(html):
    assert not EXTERNAL.search(html), EXTERNAL.search(html).group(0)
    assert not CSS_URL.search(html)
    assert "@import" not in html and "<link" not in html and "<iframe" not in html
    assert "default-src 'none'" in html  # the browser itself refuses anything external


def test_small_run_is_self_contained(small_html):
    assert_self_contained(small_html)
    images = re.findall(r'<img src="([^"]+)"', small_html)
    # two core counts: a dot plot (no curves) per workload, and one start-up chart for all;
    # no time split: this old file has no tree accounting
    assert len(images) == 3 + 1
    assert all(src.startswith("data:image/svg+xml;base64,") for src in images)


def test_verdict_comes_before_the_plots_and_sections_in_order(small_html):
    order = [small_html.index(marker) for marker in (
        'id="reproduce"', 'id="verdict"', 'id="failed"', 'id="skipped"', 'id="workload-0"', 'id="startup"',
        'id="machine"', 'id="models"', 'id="metadata"', 'id="raw"')]
    assert order == sorted(order)
    assert small_html.index('<table class="verdict"') < small_html.index("<img")


def test_csv_is_embedded_and_matches_bench_table(small_run, small_html):
    match = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)" download="small_run.csv"', small_html)
    assert match
    assert base64.b64decode(match.group(1)).decode("utf-8") == tidy(small_run).to_csv(index=False)


def test_tables_present(small_html):
    assert '<table class="verdict"' in small_html
    assert '<table class="sortable" id="raw-table">' in small_html
    assert small_html.count("<tr>") > 38  # every case in the raw table
    assert "OMP_NUM_THREADS" in small_html and "AMD EPYC" in small_html


def test_two_cores_replace_the_scaling_models_by_one_sentence(small_html):
    models = section_of(small_html, "models")
    assert "Measured at p = 1 and 2 only" in models and "3 or more core counts" in models
    assert "<table" not in models and "Karp" not in models
    for section in ("verdict", "models"):
        text = re.sub(r"<[^>]+>", " ", section_of(small_html, section))
        assert not re.search(r"\bnan\b|\bNone\b", text, re.IGNORECASE), section


def test_renders_with_base_and_shows_the_comparison():
    base = scaling_results(lambda p: 0.9 * p, cores=(1, 2), modes=("cold", "warm"))
    new = scaling_results(lambda p: 0.9 * p, cores=(1, 2), modes=("cold", "warm"), seed=1)
    html = html_of(new, base, source="new.json", base_source="base.json")
    assert_self_contained(html)
    assert 'id="comparison"' in html and "Against base.json" in html
    assert html.index('id="models"') < html.index('id="comparison"') < html.index('id="metadata"')
    assert "fib/threads/cores=2/workers=2/warm" in html and "unchanged" in html


def test_renders_without_base_has_no_comparison(small_html):
    assert 'id="comparison"' not in small_html


def test_failed_cases_are_shown_with_why_and_escaped():
    results = make_results([
        make_result(SERIAL, strategy="serial", workers=1), make_result(scaled(SERIAL, 0.6), strategy="threads"),
        make_result([], strategy="processes", ok=False, error="crashed: <script>alert(1)</script>")])
    html = html_of(results)
    assert "crashed: &lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "1 failed case." in html


def test_single_core_count_renders_and_says_what_cannot_be_fitted():
    html = html_of(scaling_results(lambda p: 1.0, cores=(1,), modes=("cold", "warm")))
    assert_self_contained(html)
    assert "Measured at p = 1 only" in section_of(html, "models")


def test_usl_with_enough_cores_shows_peak_and_extrapolation_flag():
    html = html_of(scaling_results(lambda p: p / (1 + 0.05 * (p - 1) + 0.01 * p * (p - 1)), cores=(1, 2, 4, 8),
                                   noise=0.002))
    assert "peak at" in html and "extrapolated" in html
    assert "needs at least three values of p" not in html


def test_empty_and_incomplete_results_render():
    html = html_of(make_results([], complete=False))
    assert "This run did not complete" in html and "holds no cases" in html


def test_number_formats():
    assert document.times(1.974) == "x1.97" and document.times(None) == "–"
    assert document.times(1.9) == "x1.90" and document.times(0.063) == "x0.0630" and document.times(2) == "x2.00"
    assert document.of_ideal(0.985) == "98%" and document.of_ideal(0.063) == "6.3%"
    assert document.seconds(0.0203) == "20.3 ms" and document.seconds(5.45e-05) == "54.5 µs"
    assert document.number(905.3) == "905" and document.number(2049.2) == "2,049"
    assert document.percent(0.041) == "+4.1%" and document.fraction(1.0) == "1.00"
    assert document.config_value({"fib": {"n": "4"}}) == "fib: n=4" and document.config_value([None]) == "default"
    assert document.status_count("regression", 4) == "4 regressions"
    assert document.status_count("still_failing", 1) == "1 still failing"


def test_bench_report_writes_the_page(tmp_path, capsys):
    results = tmp_path / "run.json"
    storage.save(scaling_results(lambda p: p * 0.9, cores=(1, 2)), results)
    out = tmp_path / "reports" / "run.html"
    assert cli.main(["report", str(results), str(results), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'id="comparison"' in page
    assert str(out) in capsys.readouterr().err


def test_bench_report_bad_input_is_one_line_exit_2(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err
    assert not (tmp_path / "x.html").exists()


def _drifting_run():
    starts = [1000.0 + i for i in range(5)]
    cases = [make_result(SERIAL, strategy="serial", workers=1, metadata={"bound": "cpu", "value_starts": starts})]
    for i in range(6):
        slow = 1.3 if i >= 3 else 1.0
        cases.append(make_result([0.55 * slow] * 4, reference=[1.0 * slow] * 4, workers=i + 2, cores=2,
                                 metadata={"bound": "cpu", "value_starts": [1100.0 + 60 * i + j for j in range(4)]}))
    return make_results(cases)


def test_drift_section_shows_the_speed_record_and_the_warning_in_the_verdict():
    html = html_of(_drifting_run())
    machine = section_of(html, "machine")
    assert "Speed over the run" in machine and "data:image/svg+xml" in machine
    verdict = section_of(html, "verdict")
    assert "The machine moved while it was measured" in verdict and "moved by 30%" in verdict


def test_no_drift_section_without_stamped_cycles(small_html):
    assert 'id="drift"' not in small_html
