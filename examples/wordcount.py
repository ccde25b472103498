"""The map-reduce experiment: word counts over text pages, merged at the end (dask.bag in the tutorial).

    .venv/bin/python -m examples.wordcount [--pages 16] [--words 20000] [--vocab 5000]
    .venv/bin/bench run --workloads wordcount --strategies serial,threads,pool-map,dask-processes \\
        --cores 1,2 --modes warm

The tutorial reads OCR'd text files with ``dask.bag``, counts words and reduces
with ``frequencies()``, and times it once.  The harness's ``wordcount`` workload
counts each generated page in a task and merges the counts in its reduce step,
inside the timed cycle, so a reduce that dominates shows in the speed-up.
"""
from __future__ import annotations

from examples._common import measure_workloads, naive_line, parse, parser, positive_int, timed
from workloads.wordcount import WORKLOAD, count_words, merge_counts


def tutorial(pages: list[str]) -> dict[str, int]:
    """dask.bag: split pages into words, count them on the default (processes) scheduler for bags."""
    import dask.bag as db

    words = db.from_sequence(pages, npartitions=8).map(str.lower).map(str.split).flatten()
    return dict(words.map(lambda w: w.strip(".")).frequencies().compute())


def naive(pages: list[str]) -> str:
    serial = timed(lambda: merge_counts([count_words(page) for page in pages]))
    return naive_line(serial, timed(lambda: tutorial(pages)), "dask.bag frequencies")


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--pages", type=positive_int, default=16)
    p.add_argument("--words", type=positive_int, default=20_000)
    p.add_argument("--vocab", type=positive_int, default=5000)
    args = parse(p, argv)
    params = {"pages": args.pages, "words": args.words, "vocab": args.vocab}
    print(naive(list(WORKLOAD.make_tasks(params))))
    measure_workloads(args, ["wordcount"], ["serial", "threads", "pool-map", "dask-processes"],
                      [f"wordcount.{key}={value}" for key, value in params.items()])


if __name__ == "__main__":
    main()
