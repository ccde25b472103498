"""What every example does: one naive timing as the seed did it, then the harness's answer."""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import bench
from bench.execute.matrix import parse_int_list
from bench.output_file import claim


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


def positive_int(text: str) -> int:
    """An example's size (--k, --size, --pages): a whole number above 0, or one line from argparse."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"wants a whole number above 0, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """--scale: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (0 < value < float("inf")):
        raise argparse.ArgumentTypeError(f"wants a finite number above 0, got {text!r}")
    return value


def core_counts(text: str) -> list[int]:
    """--cores: checked before the naive timing, against the CPUs this process may use."""
    try:
        counts = parse_int_list(text, "--cores")
    except bench.BenchError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    available = len(os.sched_getaffinity(0))
    if max(counts) > available:
        raise argparse.ArgumentTypeError(f"at most {available} cores are available here, got {text!r}")
    return counts


def parser(description: str) -> argparse.ArgumentParser:
    """The options every example takes (tiny defaults: seconds, on 2 cores)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--cores", type=core_counts, default="1,2", help="core counts (default 1,2)")
    p.add_argument("--output", help="also save the results file here")
    p.add_argument("--force", action="store_true", help="overwrite an existing --output file")
    return p


def parse(p: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """The arguments, with --output checked now: a bad path fails before any timing, as one line."""
    args = p.parse_args(argv)
    if args.output:
        try:
            claim(Path(args.output), args.force, "--output")
        except bench.BenchError as exc:
            p.error(str(exc))
    return args


def measure(task: Callable[[Any], Any], inputs: Sequence[Any], args: argparse.Namespace,
            **options: Any) -> bench.Results:
    """The harness's answer, printed as its verdict table."""
    # calibrate: a few seconds that say what this machine gives at each core count right now
    results = bench.run(task, inputs, cores=args.cores, output=args.output, force=args.force, calibrate=True,
                        **options)
    return show(results)


def measure_workloads(args: argparse.Namespace, workloads: Sequence[str], strategies: Sequence[str],
                      sets: Sequence[str] = (), modes: Sequence[str] = ("warm",)) -> bench.Results:
    """The harness's answer for built-in workloads (those with a reduce step: ``bench.run`` takes plain
    functions, which have none), as ``bench run --workloads ...`` gives it."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        output = Path(args.output) if args.output else Path(scratch) / "run.json"
        request = bench.RunRequest(workloads=tuple(workloads), strategies=tuple(strategies),
                                   cores=tuple(args.cores), modes=tuple(modes), sets=tuple(sets), output=output,
                                   force=bool(args.force) or not args.output, progress=False, calibrate=True)
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
