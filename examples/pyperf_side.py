"""pyperf's answer to the same question, for the side-by-side in README (issue 26): serial fib(25) x 8 against
a warm ``multiprocessing.Pool(2).map``, timed by ``pyperf.Runner.bench_func`` with its defaults.

    PYTHONPATH=. python examples/pyperf_side.py --affinity 0,1 -o pyperf.json     # pyperf's own run
    python examples/pyperf_side.py --ratio pyperf.json                             # its speed-up and interval

pyperf has no speed-up of its own: the ratio of the two benchmarks' means, with a 95 % interval from their
standard errors (independent, on the log scale) is what a pyperf user would read.  Compare with
``bench run --workloads fib --strategies serial,pool-map --cores 2 --modes warm --set fib.k=25 --set fib.n=8
--profile full --no-single-worker --budget 12s``.
"""
from __future__ import annotations

import math
import multiprocessing
import sys
from typing import Any, Sequence

TASKS = [25] * 8
POOL: Any = None


def fib_task(k: int) -> int:
    return k if k < 2 else fib_task(k - 1) + fib_task(k - 2)


def serial() -> list[int]:
    return [fib_task(k) for k in TASKS]


def pool_map() -> list[int]:
    return list(POOL.map(fib_task, TASKS))


def ratio_of_means(serial_values: Sequence[float], parallel_values: Sequence[float]) -> tuple[float, float, float]:
    """Serial mean over parallel mean, and its 95 % interval from the two standard errors: (ratio, low, high)."""
    def relative_se(values: Sequence[float]) -> float:
        n = len(values)
        if n < 2:
            return math.inf
        mean = sum(values) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
        return sd / math.sqrt(n) / mean

    ratio = (sum(serial_values) / len(serial_values)) / (sum(parallel_values) / len(parallel_values))
    half = 1.96 * math.hypot(relative_se(serial_values), relative_se(parallel_values))
    return ratio, ratio * math.exp(-half), ratio * math.exp(half)


def print_ratio(path: str) -> None:
    import pyperf

    suite = pyperf.BenchmarkSuite.load(path)
    s, p = (suite.get_benchmark(name) for name in ("serial", "pool-map"))
    ratio, low, high = ratio_of_means(s.get_values(), p.get_values())
    start, end = suite.get_dates() or (None, None)
    took = (end - start).total_seconds() if start and end else math.nan
    print(f"pyperf: x{ratio:.3f} [{low:.3f}, {high:.3f}] (+-{100 * math.log(high / ratio):.1f} %), "
          f"{len(s.get_values())}/{len(p.get_values())} values, {took:.1f} s")


def main() -> None:
    global POOL
    import pyperf

    runner = pyperf.Runner()
    POOL = multiprocessing.Pool(2) if "--worker" in sys.argv else None  # warm: started before pyperf times it
    runner.bench_func("serial", serial)
    runner.bench_func("pool-map", pool_map)
    if POOL is not None:
        POOL.terminate()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--ratio"]:
        print_ratio(sys.argv[2])
    else:
        main()
