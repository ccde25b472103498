"""The report's "Against the machine" section: data from stored results, and the rendered words."""
from __future__ import annotations

import dataclasses
import re

import pytest

from bench import storage
from bench.analysis.table import tidy
from bench.render.html import document, page
from bench.render.html.ceilingview import view
from bench.testing import make_result, make_results

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)

CALIBRATION = {
    "plan": "brief", "repetitions": 3, "seconds": 4.2, "load_avg_1min": 0.5,
    "raw": {"cpu": {"1": [[1.0]] * 3, "2": [[1.0, 1.0 / 0.7]] * 3},  # x1.4 on two cores
            "bandwidth": {"1": [[1.0]] * 3, "2": [[1.0, 1.0 / 0.9]] * 3}},
    "triad_bytes_per_copy": 1e9,
    "spawn_raw": {"process_fork": [0.004, 0.005, 0.006], "thread": [1e-4, 1.2e-4, 1.1e-4]},
}


def machine_limited_run() -> storage.ResultSet:
    """fib reaches x1.39 on 2 cores where the machine gives only x1.4: the machine is the limit."""
    profile = {"cpu_self_s": 0.9, "cpu_children_s": 0.0, "wall_s": 1.0, "cpu_wait_s": 0.05}
    cases = [make_result([1.0, 1.01, 0.99, 1.0, 1.0], strategy="serial", workers=1, metrics=profile),
             make_result([0.72, 0.72, 0.71, 0.73, 0.72], strategy="processes")]
    run = make_results([dataclasses.replace(r, metadata={**r.metadata, "bound": "cpu"}) for r in cases])
    run.calibration = CALIBRATION
    return run


def test_view_has_machine_lines_spawn_costs_and_verdicts():
    run = machine_limited_run()
    section = view(run, tidy(run))
    assert [m["cores"] for m in section.machine] == [1, 2]
    assert dict(section.spawn)["process (fork)"]["median_s"] == 0.005
    (fib,) = section.workloads
    assert fib["limit"] == "machine" and fib["ceiling_kind"] == "cpu"
    assert "3 repetitions" in section.note


def test_view_without_calibration_says_so(small_run_path):
    run = storage.load(small_run_path)
    section = view(run, tidy(run))
    assert section.machine == () and section.spawn == ()
    assert "no calibration" in section.note


def test_rendered_section_says_when_the_machine_is_the_limit():
    html = document.render(page.build(machine_limited_run(), source="machine.json"))
    section = re.search(r'<section id="machine">(.*?)</section>', html, re.DOTALL).group(1)
    assert "The machine" in section
    assert "The machine, not the strategy, is the limit" in section
    assert "x1.40" in section and "plausible" in section
    assert 'href="#machine"' in html
