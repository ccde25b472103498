"""`bench explain`: the accounting and readings per workload, from stored results."""
from __future__ import annotations

import pytest

from bench import storage
from bench.analysis.explain import explain
from bench.cli import main
from bench.render.explain_text import render_md, render_text
from bench.testing import accounted_results

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)


def test_each_workload_is_explained_at_its_largest_core_count_fastest_first():
    (why,) = explain(accounted_results())
    assert why.cores == 2 and not why.missing
    assert [c.strategy for c in why.cases][:2] == ["pool-async", "pool-map"]
    assert all(c.accounting is not None for c in why.cases)


def test_the_readings_name_the_loss_and_the_bound_that_limits():
    cases = {(c.strategy, c.mode): c for c in explain(accounted_results())[0].cases}
    pool_map = " ".join(cases[("pool-map", "warm")].readings)
    assert "not the strategy, are the limit" in pool_map and "chunks of 1 would allow x2.0" in pool_map
    assert "idle cores" in cases[("threads", "warm")].readings[0]
    assert "start-up" in cases[("pool-async", "cold")].readings[0]
    assert not any("task sizes" in r.lower() for r in cases[("pool-async", "warm")].readings)  # x2 = p: no limit


def test_text_and_markdown_carry_the_table_and_the_identity():
    whys = explain(accounted_results())
    text = render_text(whys)
    assert "fib (n=10) at 2 cores" in text and "x1.67" in text and "p x wall within 5%" in text
    md = render_md(whys)
    assert md.startswith("### fib") and "| pool-map | warm | 2 |" in md


def test_an_old_file_is_explained_not_crashed(small_run_path, capsys):
    assert main(["explain", str(small_run_path), "--workload", "sleep"]) == 0
    out = capsys.readouterr().out
    assert "No accounting: no CPU time of the workers recorded" in out and "No task-size bound" in out


def test_bad_input_is_one_line_exit_2(tmp_path, small_run_path, capsys):
    assert main(["explain", str(small_run_path), "--workload", "nope"]) == 2
    assert main(["explain", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "known: fib, sleep, square" in err[0]


def test_the_command_on_a_saved_synthetic_run(tmp_path, capsys):
    path = tmp_path / "acc.json"
    storage.save(accounted_results(), path)
    assert main(["explain", str(path), "--format", "md"]) == 0
    assert "chunks of 1 would allow x2.0" in capsys.readouterr().out


def test_alike_readings_are_said_once_with_each_cases_figures():
    from bench.render.explain_text import grouped

    lines = grouped([("a warm", "Largest loss: idle cores, 40% of 2 cores' time."),
                     ("b warm", "Largest loss: idle cores, 45% of 2 cores' time."),
                     ("c cold", "Largest loss: start-up, 70% of 2 cores' time.")])
    assert lines == ["a warm, b warm: Largest loss: idle cores, 40, 45% of 2 cores' time.",
                     "c cold: Largest loss: start-up, 70% of 2 cores' time."]
