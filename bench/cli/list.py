"""`bench list`: workloads with parameters and defaults, strategies, and what is unavailable here."""
from __future__ import annotations

import argparse
import json
from typing import Any

from bench import registry
from bench.execute.matrix import machine_cores, resolve_params
from bench.machine import topology
from bench.model import PROFILES


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("list", help="list workloads, their parameters, and strategies")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--workload-module", action="append", default=[], metavar="MODULE",
                        help="also list the workloads this importable module exposes")
    parser.set_defaults(func=run)


def describe_workloads() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name in registry.workload_names(everything=True):
        try:
            workload = registry.get_workload(name)
        except Exception as exc:  # a broken plugin must not hide the others
            found.append({"name": name, "unavailable": f"cannot load: {type(exc).__name__}: {exc}"})
            continue
        found.append({
            "name": name, "summary": workload.summary, "bound": workload.bound,
            "unavailable": workload.unavailable_reason(),
            "default": name not in registry.OPT_IN_WORKLOADS,
            "params": [{"name": p.name, "type": p.kind.__name__, "quick": p.quick, "full": p.full,
                        "help": p.help} for p in workload.params],
        })
    return found


def describe_strategies() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name in registry.strategy_names():
        try:
            cls = registry.get_strategy(name)
        except Exception as exc:
            found.append({"name": name, "unavailable": f"cannot load: {type(exc).__name__}: {exc}"})
            continue
        found.append({"name": name, "summary": cls.summary, "uses_processes": cls.uses_processes,
                      "needs_pickle": cls.needs_pickle, "unavailable": cls.unavailable_reason(),
                      "default": name in registry.DEFAULT_STRATEGIES})
    return found


def describe_machine(machine: topology.Topology) -> dict[str, Any]:
    """The topology, the default core counts and the CPUs each gets, with its placement mark."""
    cores = machine_cores(machine)
    pinning = [{"cores": k, "cpus": list(machine.pin(k)), "placement": topology.placement(machine, machine.pin(k))}
               for k in cores]
    return {"topology": machine.to_dict(), "default_cores": cores, "pinning": pinning,
            "default_task_counts": _task_counts(max(cores))}


def _task_counts(max_cores: int) -> dict[str, dict[str, Any]]:
    """Each cpu-bound workload's task count (both profiles) in a run up to ``max_cores`` (4 tasks per core)."""
    found: dict[str, dict[str, Any]] = {}
    for name in registry.workload_names():
        try:
            workload = registry.get_workload(name)
        except Exception:  # said in the workload list already
            continue
        param = getattr(workload, "task_count_param", None)
        if param and workload.bound == "cpu":
            found[f"{name}.{param}"] = {profile: dict(resolve_params(workload, profile, {}, max_cores))[param]
                                        for profile in PROFILES}
    return found


def _machine_lines(machine: dict[str, Any]) -> list[str]:
    lines = [f"Machine: {machine['topology']['summary']}", "  default --cores, and the CPUs each takes:"]
    for pin in machine["pinning"]:
        mark = "" if pin["placement"] == "cores" else f"  [{pin['placement']}]"
        lines.append(f"    {pin['cores']:>4}: CPUs {topology.format_cpu_list(pin['cpus'])}{mark}")
    counts = ", ".join(f"{name}={'/'.join(str(v) for v in by_profile.values())}"
                       for name, by_profile in machine["default_task_counts"].items())
    if counts:
        lines.append(f"  default task counts up to {max(machine['default_cores'])} cores (quick/full): {counts}")
    return lines


def _text(workloads: list[dict[str, Any]], strategies: list[dict[str, Any]]) -> str:
    lines = ["Workloads (set parameters with --set WORKLOAD.PARAM=VALUE):"]
    for w in workloads:
        state = f"  [unavailable: {w['unavailable']}]" if w["unavailable"] else ""
        extra = "" if w.get("default", True) else " (not in the default matrix)"
        lines.append(f"  {w['name']:<12} {w.get('summary', '')} (bound: {w.get('bound', '?')}){extra}{state}")
        for p in w.get("params", []):
            lines.append(f"      {p['name']:<10} {p['type']:<6} quick={p['quick']!s:<8} full={p['full']!s:<8} "
                         f"{p['help']}")
    lines.append("Strategies:")
    for s in strategies:
        flags = ", ".join(f for f in ("uses_processes", "needs_pickle") if s.get(f))
        extra = "" if s.get("default", True) else " (not in the default matrix)"
        state = f"  [unavailable: {s['unavailable']}]" if s["unavailable"] else ""
        lines.append(f"  {s['name']:<15} {s.get('summary', '')}{' [' + flags + ']' if flags else ''}{extra}{state}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    for module in args.workload_module:
        registry.import_workload_module(module)
    workloads, strategies = describe_workloads(), describe_strategies()
    machine = describe_machine(topology.current())
    if args.format == "json":
        print(json.dumps({"workloads": workloads, "strategies": strategies, "machine": machine}, indent=2))
    else:
        print("\n".join([_text(workloads, strategies), *_machine_lines(machine)]))
    return 0
