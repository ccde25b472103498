"""Does `bench compare` catch a real slowdown and stay quiet on noise?  Measure it.

    .venv/bin/python -m bench.demos.compare_demo                 # 5 repetitions, changes 0, +2 %, +10 %
    .venv/bin/python -m bench.demos.compare_demo --reps 5 --changes 0,0.1 --mode ab

Each repetition runs the `sleep` workload (a few strategies, warm pools, cores
1 and 2) once as BASE and once per change as NEW with ``sleep.seconds`` made
that much larger, then `bench compare BASE NEW` (the real CLI, in subprocesses).
``--mode sequential`` runs BASE and NEW one after the other, as CI does;
``--mode ab`` measures them interleaved with `bench ab`.  One line per
comparison, then a tally: the gate should pass every A/A comparison (change 0)
and the +2 % ones, and fail every +10 % one.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

MATRIX = ["--workloads", "sleep", "--strategies", "threads,pool-map", "--modes", "warm", "--cores", "1,2",
          "--no-progress"]


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True)


def _check(done: subprocess.CompletedProcess, what: str) -> None:
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        sys.exit(f"compare_demo: {what} failed (exit {done.returncode}): {tail}")


def run_pair(mode: str, out: Path, seconds: float, change: float, base: Path | None) -> tuple[Path, Path]:
    """BASE and NEW files for one comparison; sequential mode reuses the repetition's BASE."""
    new_seconds = f"sleep.seconds={seconds * (1 + change):.6g}"
    tag = f"{change:+.0%}".replace("%", "pct")
    if mode == "ab":
        a, b = out / f"ab-{tag}-A.json", out / f"ab-{tag}-B.json"
        _check(bench("ab", *MATRIX, "--set", f"sleep.seconds={seconds}", "--b-set", new_seconds,
                     "--output-a", str(a), "--output-b", str(b), "--force"), "bench ab")
        return a, b
    assert base is not None
    new = out / f"new-{tag}.json"
    _check(bench("run", *MATRIX, "--set", new_seconds, "--force", "-o", str(new)), "bench run (NEW)")
    return base, new


def compare(base: Path, new: Path, extra: list[str]) -> tuple[int, dict]:
    done = bench("compare", str(base), str(new), "--format", "json", *extra)
    if done.returncode not in (0, 1):
        sys.exit(f"compare_demo: bench compare failed: {done.stderr.strip()}")
    return done.returncode, json.loads(done.stdout)


def line(rep: int, change: float, code: int, report: dict, seconds: float) -> str:
    counts = report["summary"]["counts"]
    moved = [c["stats"]["change"] for c in report["cases"] if c["stats"] and c["stats"]["significant"]]
    biggest = f"{max(moved, key=abs):+.1%}" if moved else "none"
    return (f"rep {rep}  change {change:+5.0%}  {'FAIL' if code else 'pass'}  regressions {counts['regression']:2d}"
            f"  improvements {counts['improvement']:2d}  inconclusive {counts.get('inconclusive', 0):2d}"
            f"  unchanged {counts['unchanged']:2d}"
            f"  untested {counts['untested']:2d}  largest significant change {biggest:>7}  ({seconds:.0f} s)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--changes", default="0,0.02,0.10", help="relative increases of sleep.seconds in NEW")
    p.add_argument("--seconds", type=float, default=0.02,
                   help="BASE sleep per task (0.02: the quick profile then measures 5 values per case)")
    p.add_argument("--mode", choices=("sequential", "ab"), default="sequential")
    p.add_argument("--out", default="results/compare-demo", help="folder for the results files")
    args, extra = p.parse_known_args(argv)  # anything else goes to bench compare (--threshold, --metric ...)
    changes = [float(c) for c in args.changes.split(",")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failed = {change: 0 for change in changes}
    for rep in range(1, args.reps + 1):
        base = None
        if args.mode == "sequential":
            base = out / "base.json"
            _check(bench("run", *MATRIX, "--set", f"sleep.seconds={args.seconds}", "--force", "-o", str(base)),
                   "bench run (BASE)")
        for change in changes:
            started = time.monotonic()
            code, report = compare(*run_pair(args.mode, out, args.seconds, change, base), extra)
            failed[change] += code
            print(line(rep, change, code, report, time.monotonic() - started), flush=True)
    for change in changes:
        print(f"change {change:+.0%}: gate failed in {failed[change]}/{args.reps} repetitions ({args.mode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
