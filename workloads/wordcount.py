"""``wordcount``: map-reduce over text pages, the dask-bag tutorial's "count words in raw text".

Each task counts the words of one generated page (lower-cased, punctuation
stripped, ``collections.Counter``) and returns its counts; ``reduce`` merges
the per-page counts into one, inside the timed cycle.  The merge is serial and
grows with the vocabulary (``vocab``), the map with the page length
(``words``): with many distinct words and short pages the reduce dominates and
no strategy can help (the task-size bound ignores the reduce; the measured
speed-up shows it).  Process strategies also pay for shipping each page in and
its counts back.  Pages are generated once per case process from their index
(Zipf-like word frequencies, sentences with capitals and punctuation), so every
strategy counts the same text; the result (word -> count) is exact.

``wordcount-ocr`` is the tutorial's own pipeline where tesseract is installed:
each task renders one of the ``ocr`` workload's pages, OCRs it (one OpenMP
thread per tesseract) and counts its words; the same reduce merges them.
"""
from __future__ import annotations

import random
import string
from collections import Counter
from typing import Any, Callable, Sequence

from bench.model import Param, Params, WorkloadBase
from workloads._common import resolve
from workloads._text import VOCABULARY
from workloads.ocr import OcrWorkload, ocr_task

PARAMS = (
    Param("pages", int, 16, 64, "number of pages (one task each)", minimum=1),
    # 16 pages x 20000 words: counting ~5-10 ms a page, ~0.1-0.2 s serial here
    Param("words", int, 20_000, 50_000, "words per page", minimum=1),
    Param("vocab", int, 5000, 50_000, "distinct words the pages draw from (the size of the reduce)",
          minimum=1),
)
_STRIP = str.maketrans("", "", string.punctuation)


def vocabulary(size: int) -> list[str]:
    """``size`` distinct words: the common words, then the same with a number appended."""
    base = len(VOCABULARY)
    return [VOCABULARY[i % base] + (str(i // base) if i >= base else "") for i in range(size)]


def page_text(index: int, words: int, vocab: Sequence[str]) -> str:
    """Page ``index``: Zipf-like draws from ``vocab`` in sentences of 12 words, capitalised, with a full stop."""
    rng = random.Random(f"wordcount:{index}")
    weights = [1.0 / (rank + 1) for rank in range(len(vocab))]
    drawn = rng.choices(vocab, cum_weights=_cumulative(weights), k=words)
    sentences = (" ".join(drawn[i:i + 12]).capitalize() + "." for i in range(0, words, 12))
    return " ".join(sentences)


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, found = 0.0, []
    for weight in weights:
        total += weight
        found.append(total)
    return found


def count_words(text: str) -> dict[str, int]:
    """The map: one page's word counts."""
    return dict(Counter(text.lower().translate(_STRIP).split()))


def merge_counts(counts: Sequence[dict[str, int]]) -> dict[str, int]:
    """The reduce: all pages' counts in one (serial, in the case process)."""
    total: Counter[str] = Counter()
    for page in counts:
        total.update(page)
    return dict(total)


def ocr_count_words(task: Any) -> dict[str, int]:
    """The OCR variant's map: OCR one rendered page (the ocr workload's task), then count its words."""
    return count_words(ocr_task(task))


def count_summary(results: Sequence[Any]) -> dict[str, float]:
    """Distinct and total words of the merged counts."""
    merged = results[0] if results else {}
    return {"distinct_words": float(len(merged)), "total_words": float(sum(merged.values()))}


class WordCountWorkload(WorkloadBase):
    """Word counts per page (map), merged (reduce)."""

    name = "wordcount"
    summary = "map-reduce: word counts of generated text pages, merged inside the timed cycle"
    bound = "cpu"
    params = PARAMS

    @property
    def task(self) -> Callable[[Any], Any]:
        return count_words

    def make_tasks(self, params: Params) -> Sequence[str]:
        v = resolve(self.params, params)
        vocab = vocabulary(int(v["vocab"]))
        return [page_text(index, int(v["words"]), vocab) for index in range(int(v["pages"]))]

    def reduce(self, params: Params, results: list[Any]) -> list[Any]:
        return [merge_counts(results)]

    def summarize(self, params: Params, results: Sequence[Any]) -> dict[str, float]:
        return count_summary(results)


class OcrWordCountWorkload(OcrWorkload):
    """The ocr workload's pages, OCR'd and word-counted per task, merged in the reduce."""

    name = "wordcount-ocr"
    summary = "map-reduce over OCR: tesseract on generated pages, word counts merged inside the timed cycle"

    @property
    def task(self) -> Callable[[Any], Any]:
        return ocr_count_words

    def reduce(self, params: Params, results: list[Any]) -> list[Any]:
        return [merge_counts(results)]

    def summarize(self, params: Params, results: Sequence[Any]) -> dict[str, float]:
        return count_summary(results)


WORKLOAD = WordCountWorkload()
OCR_WORKLOAD = OcrWordCountWorkload()
