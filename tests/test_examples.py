"""The examples' functions and inputs are right; the slow measuring is left to their commands."""
from __future__ import annotations

import shutil

import pytest

import bench
from examples import blend, fib, ocr, process_subclass, sleep


def test_sleep_and_fib_inputs_scale_with_their_parameter(monkeypatch):
    assert sleep.make_inputs(0.5) == [0.5] * 10
    monkeypatch.setenv("FIB_K", "6")
    assert fib.make_inputs() == [0, 1, 2, 3, 4, 5] and [fib.fib(n) for n in range(7)] == [0, 1, 1, 2, 3, 5, 8]
    assert 0.3 < fib.largest_share(20) < 0.45


def test_blend_reads_generated_images(tmp_path):
    paths = blend.make_images(16, tmp_path)
    assert len(paths) == 14 and blend.blend_file(paths[0]).shape == (16, 16, 3)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_ocr_reads_a_generated_page(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")  # the task sets it when unset: keep it from leaking into other tests
    [path] = ocr.make_pages(1, tmp_path)
    assert "".join(ocr.ocr(path).split())[:10] == "".join(ocr.page_truth(0, ocr.LINES, ocr.WORDS).split())[:10]


def test_process_subclass_keeps_order_and_runs_as_a_plugin_strategy(no_leaked_processes):
    assert process_subclass.map_with_subclasses(fib.fib, list(range(9)), 2) == [fib.fib(n) for n in range(9)]
    results = bench.run(fib.fib, list(range(12)), strategies="process-subclass", cores=[1], modes="cold",
                        strategy_modules=["examples.process_subclass"])
    assert results.table()["ok"].all()


def test_readme_plugin_example_runs_with_the_installed_script(tmp_path):
    """README's mypkg/cubes.py, verbatim, run from its package's parent folder with the `bench` script."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    code = re.search(r"```python\n(# mypkg/cubes.py.*?)```", readme, re.S).group(1)
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "cubes.py").write_text(code)
    script = Path(sys.executable).parent / "bench"
    if not script.exists():
        pytest.skip("no installed bench script next to this interpreter")
    done = subprocess.run([str(script), "run", "--workload-module", "mypkg.cubes", "--workloads", "cubes",
                           "--strategies", "threads", "--cores", "1", "--modes", "warm", "--no-progress",
                           "--set", "cubes.n=50", "-o", "r.json"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "BENCH_NO_CALIBRATE": "1"})
    assert done.returncode == 0, done.stderr
    assert "2 cases, 0 failed" in done.stderr


def test_issue31_examples_tutorial_lines_give_the_harness_workloads_answers(no_leaked_processes):
    """The tutorials' own code, tiny: the same answers as the workloads the harness measures."""
    import numpy as np

    from examples import dask_array, dask_delayed, shared_state, wordcount
    from workloads.wordcount import WORKLOAD, count_words, merge_counts

    mean = dask_array.tutorial(40, 3, 10, "synchronous")
    assert mean.shape == (3,) and np.all((0 < mean) & (mean < 1))
    assert dask_delayed.tutorial(list(range(8)), "threads") == [fib.fib(n) for n in range(8)]
    assert shared_state.tutorial(3, 5) == 15 == shared_state.serial(3, 5)
    pages = list(WORKLOAD.make_tasks({"pages": 2, "words": 50, "vocab": 40}))
    assert wordcount.tutorial(pages) == merge_counts([count_words(page) for page in pages])


def test_the_pyperf_side_by_side_reads_a_ratio_of_means_with_an_interval_that_narrows_with_values():
    from examples import pyperf_side

    ratio, low, high = pyperf_side.ratio_of_means([0.06, 0.062, 0.058], [0.03, 0.031, 0.029])
    assert ratio == pytest.approx(2.0) and low < 2.0 < high
    _, wide_low, _ = pyperf_side.ratio_of_means([0.06, 0.062, 0.058], [0.03, 0.031, 0.029])
    _, narrow_low, _ = pyperf_side.ratio_of_means([0.06, 0.062, 0.058] * 10, [0.03, 0.031, 0.029] * 10)
    assert wide_low < narrow_low < 2.0
    assert pyperf_side.fib_task(10) == 55
