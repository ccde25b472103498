"""The Reproduce box and the one line of settings every case shares."""
from __future__ import annotations

import pytest

from bench.render.html import document, page, reproduce
from bench.testing import make_result, make_results

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)


def run():
    results = make_results([
        make_result([1.0, 1.0], strategy="serial", workers=1,
                    metadata={"env_OMP_NUM_THREADS": "1", "stop_reason": "budget", "value_starts": [1000.0, 1001.0]}),
        make_result([0.5, 0.5], metadata={"env_OMP_NUM_THREADS": "1", "start_method": "fork",
                                          "value_starts": [1100.0, 1290.0], "task_seconds": [0.1] * 500}),
        make_result([0.6, 0.6], strategy="pool-map", metadata={"env_OMP_NUM_THREADS": "1", "start_method": "spawn"})])
    results.metadata.update({"git_commit": "abc123-dirty", "python_executable": "/usr/bin/python3",
                             "date": "1970-01-01T00:16:00+00:00"})
    results.config["argv"] = "run --profile quick -o results/x.json"
    return results


def test_the_box_has_both_commands_the_commit_its_dirty_flag_the_interpreter_and_the_duration():
    box = reproduce.reproduce(run(), "results/x.json")
    assert box.run_command == "python -m bench run --profile quick -o results/x.json"
    assert box.report_command == "python -m bench report results/x.json"
    assert (box.commit, box.dirty, box.interpreter) == ("abc123", True, "/usr/bin/python3")
    assert box.duration_s == pytest.approx(1290.5 - 960.0) and reproduce.duration_words(box.duration_s) == "5 min 30 s"
    html = document.render(page.build(run(), source="results/x.json"))
    assert html.index('id="reproduce"') < html.index('id="verdict"')
    assert "with uncommitted changes" in html and "/usr/bin/python3" in html and "5 min 30 s" in html


def test_settings_shared_by_all_cases_are_one_line_and_measurements_stay_off_the_page():
    same, varying = reproduce.same_for_all(run())
    assert same == (("affinity", "0,1"), ("OMP_NUM_THREADS", "1"))
    assert varying == ("start_method",)  # named, its values in the data
    html = document.render(page.build(run()))
    assert "task_seconds" not in html and "value_starts" not in html and "1290.0" not in html
