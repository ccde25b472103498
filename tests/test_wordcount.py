"""The wordcount map-reduce: deterministic pages, exact merged counts, a tiny real run."""
from __future__ import annotations

import dataclasses
from collections import Counter

from bench.execute.session import RunRequest, run_matrix
from workloads import wordcount

PARAMS = {"pages": 3, "words": 200, "vocab": 300}


def test_pages_are_deterministic_and_the_merge_counts_every_word_once():
    tasks = wordcount.WORKLOAD.make_tasks(PARAMS)
    assert tasks == wordcount.WORKLOAD.make_tasks(PARAMS) and len(tasks) == 3
    [merged] = wordcount.WORKLOAD.reduce(PARAMS, [wordcount.count_words(page) for page in tasks])
    everything = Counter(word.strip(".").lower() for page in tasks for word in page.split())
    assert merged == dict(everything) and sum(merged.values()) == 600
    assert wordcount.WORKLOAD.summarize(PARAMS, [merged])["total_words"] == 600
    assert len(set(wordcount.vocabulary(300))) == 300


def test_a_tiny_run_agrees_with_serial(tmp_path, no_leaked_processes):
    request = RunRequest(workloads=("wordcount",), strategies=("serial", "threads", "pool-map"), cores=(1,),
                         workers=(2,), modes=("warm",), sets=tuple(f"wordcount.{k}={v}" for k, v in PARAMS.items()),
                         profile="quick", calibrate=False, progress=False, processes=1, output=tmp_path / "r.json")
    results = run_matrix(dataclasses.replace(request))
    assert all(r.ok for r in results.cases), [(r.case.key, r.error) for r in results.cases if not r.ok]
    pages = wordcount.WORKLOAD.make_tasks(PARAMS)
    [merged] = wordcount.WORKLOAD.reduce(PARAMS, [wordcount.count_words(page) for page in pages])
    assert {r.metrics["distinct_words"] for r in results.cases} == {len(merged)}


def test_the_ocr_variant_counts_the_words_tesseract_reads(tmp_path, no_leaked_processes):
    ocr = wordcount.OCR_WORKLOAD
    if ocr.unavailable_reason() is not None:
        import pytest

        pytest.skip(ocr.unavailable_reason())
    request = RunRequest(workloads=("wordcount-ocr",), strategies=("serial", "threads"), cores=(1,), workers=(2,),
                         modes=("warm",), sets=("wordcount-ocr.pages=2", "wordcount-ocr.words=4"), profile="quick",
                         calibrate=False, progress=False, processes=1, output=tmp_path / "r.json")
    results = run_matrix(request)
    assert all(r.ok for r in results.cases), [(r.case.key, r.error) for r in results.cases if not r.ok]
    assert all(r.metrics["total_words"] >= 6 for r in results.cases)  # 2 pages x 4 words, read by tesseract
