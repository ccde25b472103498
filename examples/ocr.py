"""The OCR pool: ``pool.apply_async(ocr, (path,))`` over a sample of scanned pages (generated).

    .venv/bin/python -m examples.ocr [--pages 4]
    OCR_PAGES=4 .venv/bin/bench run --task examples.ocr:ocr --inputs examples.ocr:make_inputs \\
        --bound external-process --strategies pool-async,threads --cores 1,2 --modes warm

Pages are rendered with known text (``workloads.ocr``) into a folder under the
temporary directory once, and reused; each task OCRs one page file.
"""
from __future__ import annotations

import os
import tempfile
from multiprocessing import Pool
from pathlib import Path

from examples._common import env_number, measure, naive_line, parse, parser, positive_int, timed
from workloads.ocr import import_pytesseract, page_truth, render_page

LINES, WORDS, FONT_SIZE = 4, 6, 24
#: imported once, here: importing it lazily inside the task races under threads
#: ("partially initialized module 'pytesseract'"), which the harness caught as a failed case
pytesseract = import_pytesseract()


def ocr(path: str) -> str:
    """The seed's task: OCR one scan.  One OpenMP thread per tesseract, as the harness found it needs."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    from PIL import Image

    return pytesseract.image_to_string(Image.open(path), config="--psm 6")


def pages_folder() -> Path:
    return Path(tempfile.gettempdir()) / "bench-examples-ocr-pages"


def make_pages(count: int, folder: Path) -> list[str]:
    """Render ``count`` pages (skipping those already there); their paths, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for page in range(count):
        path = folder / f"page-{page:03d}.png"
        if not path.exists():
            render_page(page_truth(page, LINES, WORDS).splitlines(), FONT_SIZE).save(path)
        paths.append(str(path))
    return paths


def make_inputs(pages: int | None = None) -> list[str]:
    return make_pages(int(env_number("OCR_PAGES", 4)) if pages is None else pages, pages_folder())


def naive(paths: list[str]) -> str:
    """The seed: apply_async per page on Pool(2), timed once, against one serial loop."""
    serial = timed(lambda: [ocr(p) for p in paths])
    with Pool(2) as pool:
        parallel = timed(lambda: [r.get() for r in [pool.apply_async(ocr, (p,)) for p in paths]])
    return naive_line(serial, parallel, "Pool(2).apply_async")


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--pages", type=positive_int, default=4, help="how many pages (the seed: a folder of scans)")
    args = parse(p, argv)
    paths = make_inputs(args.pages)
    print(naive(paths))
    measure(ocr, paths, args, strategies="pool-async,threads", modes="warm", bound="external-process")


if __name__ == "__main__":
    main()
