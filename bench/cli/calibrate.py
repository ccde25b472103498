"""`bench calibrate`: measure this machine's CPU and memory-bandwidth ceilings and spawn costs."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Mapping

from bench.execute.matrix import machine_cores, parse_int_list
from bench.machine import topology
from bench.output_file import write_atomically


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("calibrate", help="measure the machine's CPU and bandwidth ceilings and spawn costs")
    p.add_argument("--cores", help="comma-separated core counts (default: the machine's, as bench run: 1,2,4,... "
                   "up to the affinity mask, and the physical cores under SMT)")
    p.add_argument("--brief", action="store_true", help="the few-second variant that `bench run` uses")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("-o", "--output", help="also write the calibration as JSON to this file")
    p.set_defaults(func=run)


def _ceiling_cell(c: Mapping[str, Any] | None) -> str:
    if not c:
        return "-"
    return f"x{c['value']:.2f}  CI {c['ci_low']:.2f}-{c['ci_high']:.2f}  [{c['low']:.2f}-{c['high']:.2f}]"


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:.3g} ms"


def format_text(calibration: Mapping[str, Any]) -> str:
    summary = calibration["summary"]
    lines = [f"Machine ceilings: throughput of k pinned copies / one copy, median of "
             f"{calibration['repetitions']} repetitions, 95 % CI, [min-max of repetitions]",
             f"{'cores':>5}  {'CPU ceiling (pure-Python loop)':<36}{'bandwidth ceiling (numpy triad)':<36}streamed"]
    placed = calibration.get("cpu_placement", {})
    for k in calibration["cores"]:
        cpu, bw = summary.get("cpu", {}).get(str(k)), summary.get("bandwidth", {}).get(str(k))
        gbps = f"{bw['gbps']:.1f} GB/s" if bw and bw.get("gbps") else "-"
        mark = f"  [{placed[str(k)]}]" if placed.get(str(k), "cores") != "cores" else ""
        lines.append(f"{k:>5}  {_ceiling_cell(cpu):<36}{_ceiling_cell(bw):<36}{gbps:<10}{mark}".rstrip())
    lines.append("Spawn cost (start + join of one do-nothing worker): median, 95 % CI, [min-max], n")
    for name, s in summary.get("spawn", {}).items():
        label = name.replace("process_", "process (") + (")" if name.startswith("process_") else "")
        lines.append(f"  {label:<18}{_ms(s['median_s']):>10}  CI {_ms(s['ci_low_s'])}-{_ms(s['ci_high_s'])}"
                     f"  [{_ms(s['min_s'])}-{_ms(s['max_s'])}]  n={s['n']}")
    mib = 2**20
    lines += [f"CPU loop: {calibration['cpu_loop_iterations']} iterations per copy "
              f"(~{calibration['target_seconds']:g} s alone); triad: 3 arrays of "
              f"{calibration['triad_array_bytes'] / mib:.1f} MiB (LLC {calibration['llc_bytes'] / mib:.1f} MiB from "
              f"{calibration['llc_source']}), {calibration['triad_passes']} passes",
              f"CPUs {','.join(map(str, calibration['cpus']))}; calibrated in {calibration['seconds']:g} s; "
              f"1-min load average {calibration['load_avg_1min']:g} at the start (other load lowers the ceilings)"]
    if calibration.get("cpu_topology"):
        lines.append(f"Topology: {calibration['cpu_topology']}; k cores take distinct physical cores first "
                     "([siblings]: two threads of one core, [nodes]: more than one NUMA node)")
    return "\n".join(lines)


def write_json(calibration: Mapping[str, Any], path: str) -> None:
    write_atomically(Path(path), json.dumps(calibration, indent=1, sort_keys=True) + "\n")


def run(args: argparse.Namespace) -> int:
    from bench.machine.calibrate import BRIEF, FULL, calibrate

    cores = parse_int_list(args.cores, "--cores") if args.cores else machine_cores(topology.current())
    calibration = calibrate(cores, BRIEF if args.brief else FULL)
    if args.output:
        write_json(calibration, args.output)
    if args.format == "json":
        sys.stdout.write(json.dumps(calibration, indent=1, sort_keys=True) + "\n")
    else:
        sys.stdout.write(format_text(calibration) + "\n")
    return 0
