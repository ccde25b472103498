"""Ground-truth text for the ``ocr`` workload, and how OCR output is scored.

Pure functions, no Pillow or tesseract: the text of page ``p`` depends only on
its arguments (a private ``random.Random`` seeded from them), so any process
regenerates exactly the same page, and ``summarize`` can rebuild the truth.
"""
from __future__ import annotations

import random
from typing import Sequence

#: common English words; short and long, no proper nouns, no digits, no "I"/"l"
#: lone glyphs (their ambiguity would measure the font, not the workload)
VOCABULARY: tuple[str, ...] = tuple("""
about above across after again against almost along already also always among
animal answer around because become before began begin behind being below best
better between black body book both bring brought build built business called
came cannot carry cause center change children city close color come common
company complete could country course cover cross during early earth enough
even every example face family father field figure final find fire first
follow food force form found four friend from full game garden give good
govern great green ground group grow half hand happen hard have head hear heart
heavy help here high hold home horse house hundred idea important inch
interest island just keep kind king know land language large last later learn
leave letter light line list little live long look machine made make many
mark measure might mile mind minute money more morning most mother mountain
move much music must name nation near need never next night north nothing
notice number object ocean office often open order other over page paper part
pattern people perhaps person picture piece place plain plan plant point power
press problem produce product question quick rain reach read ready record
remember report rest river road rock room round rule same school science
second seem sentence several shape short should show side simple since sing
size small snow sound south space special stand start state still stood story
street strong study such summer surface system table take talk teacher tell
than their there these thing think those thought through time together took
toward travel tree true under until usual valley very voice walk warm watch
water weather week weight were west where which while white whole wind window
winter with without wonder wood word work world would write year young
""".split())


def page_lines(page: int, lines: int, words: int, seed: int = 2024) -> list[str]:
    """The ground-truth lines of page ``page``: ``lines`` lines of ``words`` words.

    The first word of each line is capitalised, like the start of a sentence.
    """
    rng = random.Random(seed * 1_000_003 + page)
    result = []
    for _ in range(lines):
        chosen = [rng.choice(VOCABULARY) for _ in range(words)]
        chosen[0] = chosen[0].capitalize()
        result.append(" ".join(chosen))
    return result


def normalize(text: str) -> str:
    """Collapse all whitespace (newlines, form feeds, runs) to single spaces."""
    return " ".join(text.split())


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute) in O(len(a) * len(b)) time.

    The common prefix and suffix are stripped first: OCR output is usually
    (almost) identical to the truth, so the quadratic part stays tiny.
    """
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start:len(a) - end], b[start:len(b) - end]
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                                previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def char_accuracy(truths: Sequence[str], outputs: Sequence[str]) -> float:
    """1 - total edit distance / total truth length, whitespace-normalised, >= 0.

    Pages are scored pairwise and pooled, so long pages weigh more; a missing
    output counts as an empty page.
    """
    distance = total = 0
    for index, truth in enumerate(truths):
        expected = normalize(truth)
        got = normalize(outputs[index]) if index < len(outputs) else ""
        distance += levenshtein(expected, got)
        total += len(expected)
    if total == 0:
        return 1.0
    return max(0.0, 1.0 - distance / total)
