"""``ocr``: pytesseract over generated document pages.

Each task renders one page of known text (see :mod:`workloads._text`) with a
real TrueType font and runs the ``tesseract`` binary on it through
pytesseract.  The time is spent in a child process, so even threads can
scale; tesseract's own OpenMP threads are limited with ``OMP_THREAD_LIMIT=1``
in parallel strategies, otherwise workers fight over cores.

The page image is generated inside the task (a task is a small tuple), so
nothing heavy is pickled; the result is the OCR text, scored by ``summarize``
against the ground truth.
"""
from __future__ import annotations

import functools
import importlib.util
import shutil
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

from bench.model import Param, Params, WorkloadBase
from workloads._common import resolve
from workloads._text import char_accuracy, page_lines

PARAMS = (
    Param("pages", int, 2, 8, "number of pages to OCR (one task each)", minimum=1),
    Param("lines", int, 1, 1, "text lines per page", minimum=1),
    Param("words", int, 8, 8, "words per line", minimum=1),
    Param("font_size", int, 30, 30, "font size in pixels (below ~20 accuracy drops)",
          minimum=8),
)

#: fixed tesseract options: one uniform block of text, English model
TESSERACT_CONFIG = "--psm 6"
TESSERACT_LANG = "eng"
#: seed of the ground-truth text; part of the workload's definition
TEXT_SEED = 2024
FONT_NAMES = ("DejaVuSans.ttf", "DejaVuSerif.ttf")
#: where distributions put DejaVu (Debian/Ubuntu, Fedora, Arch, Homebrew)
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/TTF",
    "/opt/homebrew/share/fonts",
    "/usr/local/share/fonts",
)

OcrTask = tuple[int, int, int, int]

#: pytesseract imports these only to accept ndarrays and return DataFrames;
#: this workload passes PIL images and wants strings, and the two imports cost
#: ~0.5-1.5 s per process on a 2-core VM (in every case, every loky worker)
_PYTESSERACT_OPTIONAL = ("pandas", "numpy")
_import_lock = threading.Lock()


def import_pytesseract() -> Any:
    """pytesseract, imported without its optional pandas/numpy support.

    Only modules not yet imported are hidden, and only during the import (a
    ``None`` entry in ``sys.modules`` makes ``import`` raise ImportError, which
    pytesseract catches); anything imported later is unaffected.
    """
    if "pytesseract" in sys.modules:
        return sys.modules["pytesseract"]
    with _import_lock:
        hidden = [name for name in _PYTESSERACT_OPTIONAL if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]  # None is import's documented 'not found'
        try:
            import pytesseract
        finally:
            for name in hidden:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]
    return pytesseract


def _matplotlib_font_dir() -> Path | None:
    """matplotlib's bundled DejaVu folder, found without importing matplotlib (slow)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "mpl-data" / "fonts" / "ttf"


@functools.lru_cache(maxsize=1)
def find_font() -> Path | None:
    """Path of a DejaVu TrueType font: system packages first, then matplotlib's copy."""
    dirs = [Path(d) for d in FONT_DIRS]
    mpl_dir = _matplotlib_font_dir()
    if mpl_dir is not None:
        dirs.append(mpl_dir)
    for directory in dirs:
        for name in FONT_NAMES:
            if (directory / name).is_file():
                return directory / name
    return None


@functools.lru_cache(maxsize=8)
def _font(size: int) -> Any:
    """The loaded font, cached per process: loading costs more than drawing a line."""
    from PIL import ImageFont

    path = find_font()
    if path is None:
        raise RuntimeError("no DejaVu TrueType font found (install fonts-dejavu-core or matplotlib)")
    return ImageFont.truetype(str(path), size)


def render_page(lines: Sequence[str], font_size: int) -> Any:
    """A white grayscale PIL image with ``lines`` in black, 1.6 line spacing.

    The width follows the longest line, so nothing is ever cut off.
    """
    from PIL import Image, ImageDraw

    font = _font(font_size)
    margin, step = font_size * 2, int(font_size * 1.6)
    width = int(max(font.getlength(line) for line in lines)) + 2 * margin
    height = step * len(lines) + 2 * margin
    image = Image.new("L", (width, height), color=255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((margin, margin + row * step), line, font=font, fill=0)
    return image


def page_truth(page: int, lines: int, words: int) -> str:
    """The ground-truth text of one page, lines joined by newlines."""
    return "\n".join(page_lines(page, lines, words, seed=TEXT_SEED))


def ocr_task(task: OcrTask) -> str:
    """One task: render page ``(page, lines, words, font_size)`` and OCR it."""
    pytesseract = import_pytesseract()
    page, lines, words, font_size = task
    image = render_page(page_lines(page, lines, words, seed=TEXT_SEED), font_size)
    text = pytesseract.image_to_string(image, lang=TESSERACT_LANG, config=TESSERACT_CONFIG)
    return text.strip()  # drops tesseract's trailing form feed


def _tesseract_problem() -> str | None:
    """Why pytesseract/tesseract can't run here, or None."""
    try:
        pytesseract = import_pytesseract()
    except ImportError as exc:
        return f"pytesseract is not importable ({exc}); pip install pytesseract"
    command = pytesseract.pytesseract.tesseract_cmd
    if shutil.which(command) is None:
        return f"tesseract binary {command!r} not found on PATH; install tesseract-ocr"
    try:
        pytesseract.get_tesseract_version()
        languages = pytesseract.get_languages(config="")
    except Exception as exc:  # any failure to run it means unusable
        return f"tesseract {command!r} does not run: {type(exc).__name__}: {exc}"
    if TESSERACT_LANG not in languages:
        return f"tesseract has no {TESSERACT_LANG!r} language data (install tesseract-ocr-eng)"
    return None


class OcrWorkload(WorkloadBase):
    """pytesseract over generated pages; accuracy is checked against the truth."""

    name = "ocr"
    summary = ("OCR generated text pages with pytesseract (external-process; "
               "reports char_accuracy against the known text)")
    bound = "external-process"
    params = PARAMS
    parallel_env = {"OMP_THREAD_LIMIT": "1"}
    preload = ("PIL.Image", "PIL.ImageDraw", "PIL.ImageFont", "workloads.ocr:import_pytesseract")

    def unavailable_reason(self) -> str | None:
        problem = _tesseract_problem()
        if problem is None and find_font() is None:
            problem = "no DejaVu TrueType font found (install fonts-dejavu-core or matplotlib)"
        return problem

    @property
    def task(self) -> Callable[[Any], Any]:
        return ocr_task

    def make_tasks(self, params: Params) -> Sequence[OcrTask]:
        # Import what the task needs in the process that builds the tasks, as a
        # real program imports at the top: forked workers then inherit it.
        # pytesseract's import (~0.2 s) would otherwise land in
        # every cold pool's timed region under fork.
        import_pytesseract()
        from PIL import Image, ImageDraw, ImageFont  # noqa: F401  # imported for the workers to inherit

        v = resolve(self.params, params)
        return [(page, v["lines"], v["words"], v["font_size"]) for page in range(v["pages"])]

    def truths(self, params: Params) -> list[str]:
        """Ground-truth text of every page, in task order."""
        v = resolve(self.params, params)
        return [page_truth(page, v["lines"], v["words"]) for page in range(v["pages"])]

    def summarize(self, params: Params, results: Sequence[Any]) -> dict[str, float]:
        outputs = [r if isinstance(r, str) else "" for r in results]
        return {"char_accuracy": char_accuracy(self.truths(params), outputs)}


WORKLOAD = OcrWorkload()
