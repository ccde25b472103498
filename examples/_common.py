"""What every example does: one naive timing as the seed did it, then the harness's answer."""
from __future__ import annotations

import argparse
import os
import time
from typing import Any, Callable, Sequence

import bench


def env_number(name: str, default: float) -> float:
    """Scale parameters come from the environment so `bench run --inputs mod:make_inputs` sees them too."""
    return float(os.environ.get(name, default))


def timed(action: Callable[[], Any]) -> float:
    """One wall-clock timing: what a seed script printed."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def naive_line(serial_s: float, parallel_s: float, how: str) -> str:
    return (f"naive single timing: serial {serial_s:.3f} s, {how} {parallel_s:.3f} s "
            f"-> claims x{serial_s / parallel_s:.2f}")


def parser(description: str) -> argparse.ArgumentParser:
    """The options every example takes (tiny defaults: seconds, on 2 cores)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--cores", default="1,2", help="core counts (default 1,2)")
    p.add_argument("--output", help="also save the results file here")
    return p


def measure(task: Callable[[Any], Any], inputs: Sequence[Any], args: argparse.Namespace, **options: Any) -> bench.Results:
    """The harness's answer, printed as its verdict table."""
    cores = [int(c) for c in args.cores.split(",")]
    results = bench.run(task, inputs, cores=cores, output=args.output, **options)
    columns = ["strategy", "cores", "workers", "mode", "median_s", "speedup", "speedup_ci_low",
               "speedup_ci_high", "ok"]
    print(results.table()[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    verdict = results.verdict().iloc[0]
    print(f"harness: at {int(verdict['cores'])} cores best {verdict['strategy']} x{int(verdict['workers'])} "
          f"({verdict['mode']}): x{verdict['speedup']:.2f} "
          f"[{verdict['speedup_ci_low']:.2f}, {verdict['speedup_ci_high']:.2f}]; {verdict['reading']}")
    return results
