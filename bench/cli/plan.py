"""`bench plan`: what `bench run` with the same options would cost, and what a budget buys, before it runs.

Each workload's serial cycle is probed briefly (a second or so each); the rest is
arithmetic (``bench.analysis.plan``).
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from bench.analysis import plan as planning
from bench.cli.run import add_budget_argument, matrix_fields


def add_parser(subparsers: Any) -> None:
    from bench.cli.run import add_matrix_arguments

    p = subparsers.add_parser("plan", help="estimate a run's time by part, and what a budget buys, before running it")
    add_matrix_arguments(p, "override a workload parameter (repeatable)")
    add_budget_argument(p)
    p.add_argument("--processes", type=int, default=None, metavar="N", help="as bench run --processes")
    p.add_argument("--no-calibrate", action="store_true", help="plan without the calibration, as bench run would")
    p.add_argument("--no-single-worker", action="store_true",
                   help="plan the matrix as asked, without the one-worker one-core cases bench run adds")
    p.add_argument("--cases", action="store_true", help="list every case with its estimated minimum and cost")
    p.add_argument("--cpus", type=int, default=None, metavar="N",
                   help="plan for a machine of N logical CPUs instead of this one (its default core and task counts; "
                        "the probes still time this machine)")
    p.add_argument("--smt", action="store_true", help="with --cpus: two hardware threads per physical core")
    p.add_argument("--numa", type=int, default=1, metavar="M", help="with --cpus: the cores split over M NUMA nodes")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bench.execute import session
    from bench.execute.plan_session import plan_request

    request = session.RunRequest(**matrix_fields(args), budget=args.budget, processes=args.processes,
                                 calibrate=not args.no_calibrate, progress=False,
                                 single_worker=not args.no_single_worker)
    print("bench plan: probing each workload's serial cycle (a second or so each)", file=sys.stderr)
    machine = planned_machine(args)
    found = plan_request(request, machine)
    sys.stdout.write(render(found, args.cases, machine))
    return 0


def planned_machine(args: argparse.Namespace) -> Any:
    """The machine of --cpus/--smt/--numa (bench.machine.topology.synthetic), or None: this one."""
    from bench.machine import topology
    from bench.model import BenchError

    if args.cpus is None:
        if args.smt or args.numa != 1:
            raise BenchError("--smt and --numa describe a planned machine: give --cpus N with them")
        return None
    try:
        return topology.synthetic(args.cpus, smt=args.smt, numa=args.numa)
    except ValueError as exc:
        raise BenchError(f"--cpus {args.cpus}: {exc}") from None


def render(found: planning.Plan, cases: bool = False, machine: Any = None) -> str:
    """The plan as text: the probes, the cases, the time by part, what the budget buys."""
    lines = [f"{len(found.estimates)} cases on {found.cpus} CPUs ({_shape(found)})"]
    if machine is not None:
        lines += _machine_lines(found, machine)
    lines += ["", "serial cycle per workload (probe, 1 core):"]
    for probe in found.probes.values():
        lines.append(f"  {probe.workload:14s} {probe.cycle_s * 1000:9.1f} ms  ({probe.n_tasks} tasks; "
                     f"a fresh case process costs {probe.process_s:.2f} s more)")
    lines += ["", "estimated time without a budget:",
              f"  calibration      {found.calibration_s:7.0f} s",
              f"  serial cases     {found.serial_s:7.0f} s",
              f"  parallel pairs   {found.pairs_s:7.0f} s   "
              f"(at the minimum of every case: {found.minimum_pairs_s:.0f} s)",
              f"  report           {found.report_s:7.0f} s   (bench report, after the run)",
              f"  total            {found.calibration_s + found.serial_s + found.pairs_s + found.report_s:7.0f} s"]
    lines += ["", *_budget_lines(found)]
    if cases:
        lines += ["", "cases (estimated cycle, pair, and cost at the profile's minimum):"]
        for e in found.estimates:
            lines.append(f"  {e.case.key:70s} cycle {e.cycle_s:7.3f} s  pair {e.pair_s:7.3f} s")
    lines += ["", f"bench run prints: {found.one_line()}"]
    return "\n".join(lines) + "\n"


def _machine_lines(found: planning.Plan, machine: Any) -> list[str]:
    """The planned machine, the placement of each core count, and the task counts its cases get."""
    from bench.machine.topology import placements

    cores = sorted({e.case.cores for e in found.estimates})
    marks = {k: m for k, m in placements(machine, cores).items() if m != "cores"}
    tasks = sorted({f"{e.case.workload}: {dict(e.case.params).get('n', '-')}" for e in found.estimates
                    if e.case.cores == cores[-1] and "n" in dict(e.case.params)})
    return [f"planned machine: {machine.summary()} (synthetic; this machine's probes)",
            "  core counts marked: " + (", ".join(f"{k} {m}" for k, m in marks.items()) or "none (distinct cores)"),
            "  task counts (n) at the largest core count: " + ("; ".join(tasks) or "unchanged")]


def _shape(found: planning.Plan) -> str:
    workloads = sorted({e.case.workload for e in found.estimates})
    cores = sorted({e.case.cores for e in found.estimates})
    return f"workloads {','.join(workloads)}; cores {','.join(map(str, cores))}"


def _budget_lines(found: planning.Plan) -> list[str]:
    a = found.allocation
    if a is None or found.budget_s is None:
        return ["no budget (--budget none): every case takes the profile's pairs"]
    top = a.top.label if a.top else "cut"
    others = f"{a.others.label} each" if a.others else "cut"
    if a.others is None and a.twins is not None:
        others = ("cut, but for one worker on one core, warm (single_worker_speedup, one-core truths): "
                  f"{a.twins.label} each")
        if found.twins_on_demand:
            others += ", after the race and for the verdict's contenders only (--cores 1,... measures them all)"
    lines = [f"budget {found.budget_s:.0f} s (calibration included) buys:",
             f"  the verdict's cases (each workload's largest core count): {top} each",
             f"  the other core counts: {others}",
             f"  at the minimum: {a.minimum_s:.0f} s; left for racing: {max(a.spare_s, 0):.0f} s "
             f"(about {a.extra_pairs} more pairs, to the cases that can still change a verdict)"]
    if a.cut:
        lines.append(f"  cut: {len(a.cut)} cases the budget cannot pay for, e.g. {a.cut[0]}")
    if not a.fits:
        lines.append("  the budget is too small even for the lowest minimum: "
                     "the run will cut cases as the time runs out")
    return lines
