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


def measure(task: Callable[[Any], Any], inputs: Sequence[Any], args: argparse.Namespace,
            **options: Any) -> bench.Results:
    """The harness's answer, printed as its verdict table."""
    cores = [int(c) for c in args.cores.split(",")]
    # calibrate: a few seconds that say what this machine gives at each core count right now
    results = bench.run(task, inputs, cores=cores, output=args.output, calibrate=True, **options)
    return show(results)


def measure_workloads(args: argparse.Namespace, workloads: Sequence[str], strategies: Sequence[str],
                      sets: Sequence[str] = (), modes: Sequence[str] = ("warm",)) -> bench.Results:
    """The harness's answer for built-in workloads (those with a reduce step: ``bench.run`` takes plain
    functions, which have none), as ``bench run --workloads ...`` gives it."""
    import tempfile
    from pathlib import Path

    cores = tuple(int(c) for c in args.cores.split(","))
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(args.output) if args.output else Path(scratch) / "run.json"
        request = bench.RunRequest(workloads=tuple(workloads), strategies=tuple(strategies), cores=cores,
                                   modes=tuple(modes), sets=tuple(sets), output=output, force=True,
                                   progress=False, calibrate=True)
        return show(bench.Results(bench.run_matrix(request)))


def show(results: bench.Results) -> bench.Results:
    """The table, the verdict and the machine's ceiling, as every example prints them."""
    columns = ["workload", "strategy", "cores", "workers", "mode", "median_s", "speedup", "speedup_ci_low",
               "speedup_ci_high", "ok"]
    print(results.table()[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    verdicts = results.verdict()
    for _, verdict in verdicts.iterrows():
        which = f" {verdict['workload']}:" if len(verdicts) > 1 else ""
        print(f"harness:{which} at {int(verdict['cores'])} cores best {verdict['strategy']} "
              f"x{int(verdict['workers'])} ({verdict['mode']}): x{verdict['speedup']:.2f} "
              f"[{verdict['speedup_ci_low']:.2f}, {verdict['speedup_ci_high']:.2f}]; {verdict['reading']}")
    print(ceiling_line(results.table()))
    return results


def ceiling_line(table: Any) -> str:
    """What the machine itself allowed at the most cores (the run's calibration), if known."""
    top = table[(table["cores"] == table["cores"].max()) & (table["strategy"] != "serial")]
    known = top.dropna(subset=["ceiling"])
    if known.empty:
        return "machine: no ceiling for this bound (io-latency: the analytic ideal applies)"
    row = known.iloc[0]
    return f"machine: {row['ceiling_kind']} ceiling at {int(row['cores'])} cores x{row['ceiling']:.2f}"
