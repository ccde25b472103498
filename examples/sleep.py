"""The sleep experiment: 10 tasks of 1 s each, scaled by SCALE (default 0.02: 10 x 20 ms).

    .venv/bin/python -m examples.sleep [--scale 0.02]
    SLEEP_SCALE=0.02 .venv/bin/bench run --task examples.sleep:sleep_task --inputs examples.sleep:make_inputs \\
        --bound io-latency --strategies threads,pool-map --cores 1,2 --modes warm
"""
from __future__ import annotations

import time
from multiprocessing import Pool

from examples._common import env_number, measure, naive_line, parse, parser, positive_float, timed

TASKS, SECONDS = 10, 1.0


def sleep_task(seconds: float) -> float:
    """One task of the seed: wait, using no CPU."""
    time.sleep(seconds)
    return seconds


def make_inputs(scale: float | None = None) -> list[float]:
    scale = env_number("SLEEP_SCALE", 0.02) if scale is None else scale
    return [SECONDS * scale] * TASKS


def naive(inputs: list[float]) -> str:
    """The seed's measurement: one serial loop, one Pool(2).map, one timing each."""
    serial = timed(lambda: [sleep_task(s) for s in inputs])
    with Pool(2) as pool:
        parallel = timed(lambda: pool.map(sleep_task, inputs))
    return naive_line(serial, parallel, "Pool(2).map")


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--scale", type=positive_float, default=0.02, help="task length in seconds (the seed: 1.0)")
    args = parse(p, argv)
    inputs = make_inputs(args.scale)
    print(naive(inputs))
    measure(sleep_task, inputs, args, strategies="threads,pool-map", modes="warm", bound="io-latency")


if __name__ == "__main__":
    main()
