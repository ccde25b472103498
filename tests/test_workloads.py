"""Tests for the built-in workloads: determinism, picklability and correctness.

Kept fast: parameters are scaled down to a few milliseconds of work, and the
one real-parallel test only asserts that results equal the serial ones.
"""
from __future__ import annotations

import importlib
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.model import BOUNDS, BenchError, Workload
from bench.registry import get_workload
from workloads import _text, addweighted, fib, ocr

NAMES = ("sleep", "fib", "square", "addweighted", "ocr")

#: small parameters so running every task stays in the milliseconds
TINY: dict[str, dict[str, Any]] = {
    "sleep": {"n": 3, "seconds": 0.001},
    "fib": {"n": 3, "k": 15},
    "square": {"n": 50},
    "addweighted": {"count": 3, "size": 16},
    "ocr": {"pages": 1, "lines": 1, "words": 4},
}

TESSERACT_MISSING = ocr.WORKLOAD.unavailable_reason()
needs_tesseract = pytest.mark.skipif(TESSERACT_MISSING is not None,
                                     reason=str(TESSERACT_MISSING))


def fingerprint(value: Any) -> Any:
    """Comparable form of a result, as the runner compares them (arrays by content)."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        return tuple(fingerprint(item) for item in value)
    return value


def run_serial(name: str, params: dict[str, Any]) -> list[Any]:
    workload = get_workload(name)
    return [workload.task(task) for task in workload.make_tasks(params)]


def quick_params(name: str) -> dict[str, Any]:
    return {p.name: p.quick for p in get_workload(name).params}


# --- protocol and metadata ---------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_follows_protocol_with_documented_params(name: str) -> None:
    workload = get_workload(name)
    assert isinstance(workload, Workload)
    assert workload.name == name
    assert workload.bound in BOUNDS
    assert len(workload.summary) > 20
    assert workload.params
    for param in workload.params:
        assert param.help, param.name
        assert param.kind in (int, float, str)
        assert isinstance(param.quick, param.kind) and isinstance(param.full, param.kind)


@pytest.mark.parametrize("name", NAMES)
def test_task_is_a_module_level_function(name: str) -> None:
    task = get_workload(name).task
    module = importlib.import_module(task.__module__)
    assert getattr(module, task.__name__) is task
    assert pickle.loads(pickle.dumps(task)) is task


@pytest.mark.parametrize("name", NAMES)
def test_param_parse_rejects_bad_values(name: str) -> None:
    for param in get_workload(name).params:
        assert param.parse(str(param.quick)) == param.quick
        if param.kind in (int, float):
            with pytest.raises(BenchError, match=param.name):
                param.parse("abc")
        if param.minimum is not None:
            with pytest.raises(BenchError, match=">="):
                param.parse(str(param.kind(param.minimum) - 1))


def test_count_params_have_minimums() -> None:
    for name, param_name in [("sleep", "n"), ("fib", "n"), ("square", "n"),
                             ("addweighted", "count"), ("addweighted", "size"),
                             ("ocr", "pages"), ("ocr", "lines")]:
        param = {p.name: p for p in get_workload(name).params}[param_name]
        with pytest.raises(BenchError):
            param.parse("0")


# --- determinism and pickling ------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_make_tasks_deterministic_and_picklable(name: str) -> None:
    workload = get_workload(name)
    for params in (TINY[name], quick_params(name)):
        tasks = workload.make_tasks(params)
        assert list(tasks) == list(workload.make_tasks(params))
        assert pickle.loads(pickle.dumps(list(tasks))) == list(tasks)
        assert len(pickle.dumps(list(tasks))) < 100_000  # tasks stay small


@pytest.mark.parametrize("name", NAMES)
def test_missing_params_default_to_quick(name: str) -> None:
    workload = get_workload(name)
    assert list(workload.make_tasks({})) == list(workload.make_tasks(quick_params(name)))


@pytest.mark.parametrize("name", [n for n in NAMES if n != "ocr"])
def test_serial_results_deterministic(name: str) -> None:
    first = run_serial(name, TINY[name])
    assert len(first) == len(get_workload(name).make_tasks(TINY[name]))
    assert fingerprint(first) == fingerprint(run_serial(name, TINY[name]))


@pytest.mark.parametrize("name", [n for n in NAMES if n != "ocr"])
def test_process_pool_results_equal_serial(name: str) -> None:
    """Results must not depend on which process computed them."""
    workload = get_workload(name)
    tasks = workload.make_tasks(TINY[name])
    with ProcessPoolExecutor(max_workers=2) as pool:
        parallel = list(pool.map(workload.task, tasks))
    assert fingerprint(parallel) == fingerprint(run_serial(name, TINY[name]))


# --- sleep -------------------------------------------------------------------

def test_sleep_returns_indices_and_ideal_seconds() -> None:
    workload = get_workload("sleep")
    assert run_serial("sleep", {"n": 3, "seconds": 0.0}) == [0, 1, 2]
    params = {"n": 8, "seconds": 0.03}
    assert workload.ideal_seconds(params, 1) == pytest.approx(0.24)
    assert workload.ideal_seconds(params, 3) == pytest.approx(0.09)  # ceil(8/3) = 3 rounds
    assert workload.ideal_seconds(params, 4) == pytest.approx(0.06)
    assert workload.ideal_seconds(params, 16) == pytest.approx(0.03)


def test_sleep_quick_ideal_leaves_room_for_overhead() -> None:
    """At 4 workers a thread pool's ~0.5 ms of overhead must stay below 5% of the ideal."""
    ideal = get_workload("sleep").ideal_seconds(quick_params("sleep"), 4)
    assert ideal is not None and ideal >= 0.02


# --- fib and square ----------------------------------------------------------

def test_fib_known_values() -> None:
    assert [fib.fib(k) for k in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    assert fib.fib_task(20) == 6765
    assert run_serial("fib", {"n": 2, "k": 20}) == [6765, 6765]


def test_square_values() -> None:
    assert run_serial("square", {"n": 5}) == [0, 1, 4, 9, 16]


# --- addweighted -------------------------------------------------------------

def test_blend_matches_reference_with_clipping() -> None:
    a = np.array([[0, 100, 200, 255]], dtype=np.uint8)
    b = np.array([[0, 50, 255, 255]], dtype=np.uint8)
    # 0.7a + 0.5b + 8: 8, 103, 275.5 -> 255, 314 -> 255
    assert addweighted.blend(a, b, 0.7, 0.5, 8.0).tolist() == [[8, 103, 255, 255]]
    # negative gamma clips at 0; 0.5*10 + 0.5*20 - 20 = -5 -> 0
    low = addweighted.blend(np.full((1, 1), 10, np.uint8), np.full((1, 1), 20, np.uint8),
                            0.5, 0.5, -20.0)
    assert low.tolist() == [[0]] and low.dtype == np.uint8


def test_blend_matches_float64_formula_on_generated_pair() -> None:
    a, b = addweighted.make_pair(5, 32)
    out = addweighted.blend(a, b, 0.7, 0.5, 8.0)
    reference = np.clip(np.rint(a * 0.7 + b * 0.5 + 8.0), 0, 255).astype(np.uint8)
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8
    # float32 vs float64 may round a .5 tie differently: at most 1 apart
    assert np.abs(out.astype(int) - reference.astype(int)).max() <= 1
    assert (out == 255).any() and (out < 255).any()  # defaults really clip


def test_addweighted_task_returns_full_image() -> None:
    (task,) = get_workload("addweighted").make_tasks({"count": 1, "size": 8})
    result = addweighted.addweighted_task(task)
    a, b = addweighted.make_pair(0, 8)
    assert np.array_equal(result, addweighted.blend(a, b, *task[2:]))
    assert result.shape == (8, 8, 3)


def test_addweighted_pairs_differ_between_tasks() -> None:
    results = run_serial("addweighted", {"count": 2, "size": 16})
    assert not np.array_equal(results[0], results[1])


# --- ocr ---------------------------------------------------------------------

def test_page_text_is_deterministic_and_shaped() -> None:
    lines = _text.page_lines(3, lines=4, words=5, seed=7)
    assert lines == _text.page_lines(3, lines=4, words=5, seed=7)
    assert lines != _text.page_lines(4, lines=4, words=5, seed=7)
    assert len(lines) == 4 and all(len(line.split()) == 5 for line in lines)
    assert all(line[0].isupper() for line in lines)


def test_levenshtein_known_values() -> None:
    assert _text.levenshtein("kitten", "sitting") == 3
    assert _text.levenshtein("", "abc") == 3
    assert _text.levenshtein("abc", "abc") == 0
    assert _text.levenshtein("aaab", "ab") == 2


def _plain_levenshtein(a: str, b: str) -> int:
    table = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1,
                              table[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
    return table[-1][-1]


@settings(max_examples=200, deadline=None)
@given(st.text("abc ", max_size=12), st.text("abc ", max_size=12))
def test_levenshtein_prefix_trick_matches_plain_dp(a: str, b: str) -> None:
    assert _text.levenshtein(a, b) == _plain_levenshtein(a, b)


def test_summarize_scores_truth_and_corruption() -> None:
    workload = get_workload("ocr")
    params = {"pages": 2, "lines": 2, "words": 5}
    truths = workload.truths(params)
    assert workload.summarize(params, truths) == {"char_accuracy": 1.0}
    # whitespace differences are not errors
    spaced = [t.replace(" ", "  ").replace("\n", " \n") + "\n" for t in truths]
    assert workload.summarize(params, spaced)["char_accuracy"] == 1.0
    corrupted = [truths[0].replace("e", "c"), truths[1]]
    accuracy = workload.summarize(params, corrupted)["char_accuracy"]
    assert 0.0 <= accuracy < 1.0
    assert workload.summarize(params, truths[:1])["char_accuracy"] < 0.6  # missing page
    assert workload.summarize(params, ["", ""])["char_accuracy"] == 0.0


def test_font_is_found() -> None:
    font = ocr.find_font()
    assert font is not None and font.name.startswith("DejaVu")


def test_render_page_is_deterministic() -> None:
    lines = _text.page_lines(0, 2, 4)
    first, second = ocr.render_page(lines, 30), ocr.render_page(lines, 30)
    assert first.tobytes() == second.tobytes() and first.mode == "L"


def test_unavailable_reason_when_binary_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    pytesseract = pytest.importorskip("pytesseract")
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    reason = ocr.WORKLOAD.unavailable_reason()
    assert reason is not None and "tesseract" in reason


@needs_tesseract
def test_ocr_reads_generated_pages_accurately_and_deterministically() -> None:
    params = {"pages": 2, "lines": 2, "words": 6}
    first = run_serial("ocr", params)
    assert all(isinstance(text, str) for text in first)
    assert get_workload("ocr").summarize(params, first)["char_accuracy"] >= 0.95
    assert run_serial("ocr", {**params, "pages": 1}) == first[:1]


def test_ocr_parallel_env_limits_openmp() -> None:
    assert get_workload("ocr").parallel_env == {"OMP_THREAD_LIMIT": "1"}
    assert all(not get_workload(name).parallel_env for name in NAMES if name != "ocr")
