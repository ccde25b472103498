"""A results file with huge strings or very many cases gives a bounded page that says what it cut."""
from __future__ import annotations

import pytest

from bench import storage
from bench.cli import main
from bench.render.html import bounds, document, page
from bench.testing import make_result, make_results

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)

HUGE = "x" * 1_000_000


def huge_run():
    cases = [make_result([0.1, 0.11, 0.1], strategy="serial", workers=1, cores=1)]
    cases += [make_result((), ok=False, error=f"boom {i} {HUGE}", strategy=f"s{i}", cores=1) for i in range(20)]
    cases = [c.__class__(**{**c.__dict__, "metadata": {"blob": HUGE, "affinity": "0"}}) for c in cases]
    results = make_results(cases)
    results.config["argv"] = HUGE
    return results


def test_huge_strings_are_cut_and_the_page_says_so():
    report = page.build(huge_run(), source="huge.json")
    html = document.render(report)
    assert len(html) < 1_000_000, "21 MB of strings must not become a 21 MB page"
    assert "more characters cut" in html
    assert report.notes == ("42 strings longer than 400 characters were cut (bench table prints them whole)",)
    footer = html[html.index("<footer>"):]  # for the tool's author, not at the top
    assert "To keep the page bounded, 42 strings longer than 400 characters were cut" in footer


def test_very_many_cases_are_summarised_in_the_raw_table(monkeypatch):
    monkeypatch.setattr(bounds, "MAX_ROWS", 5)
    results = make_results([make_result([0.1, 0.1, 0.1], strategy=f"s{i}") for i in range(12)])
    report = page.build(results)
    assert len(report.rows) == 5 and len(report.csv.strip().splitlines()) == 1 + 5
    assert report.notes == ("the raw table and its CSV show the first 5 of 12 cases (bench table --format csv "
                            "prints all)",)


def test_bench_report_prints_what_it_cut(tmp_path, capsys):
    source = tmp_path / "huge.json"
    storage.save(huge_run(), source)
    assert main(["report", str(source), "-o", str(tmp_path / "r.html")]) == 0
    assert "report: kept short: 42 strings longer than 400 characters were cut" in capsys.readouterr().err
    assert (tmp_path / "r.html").stat().st_size < 1_000_000
