"""--resume continues the run a file holds, with that run's matrix and inputs, or refuses.

The file's cases were measured with its own matrix (workloads, strategies, cores,
``--set`` values...) and inputs.  An option given beside ``--resume`` that would
change them cannot be honoured half-way, and dropping it without a word makes the
user believe it was; so such a resume is refused, naming each difference.  Nor can
a function workload go on after its inputs changed: every remaining case would
differ from the serial results measured on the old inputs, and be blamed on the
strategies.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

from bench import function_workload
from bench.execute.matrix import parse_sets
from bench.model import MODES, BenchError

#: request field -> the option that sets it (their ``config`` keys are the field names)
_LISTS = {"workloads": "--workloads", "strategies": "--strategies", "cores": "--cores", "workers": "--workers",
          "modes": "--modes", "start_methods": "--start-methods"}
#: request field -> (option, the value meaning "not given")
_SETTINGS = {"profile": ("--profile", "quick"), "timeout": ("--timeout", 120.0), "processes": ("--processes", None)}


def _shown(values: Sequence[Any]) -> str:
    return ",".join(str(v) for v in values if v is not None) or "default"


def _list_differences(request: Any, config: dict[str, Any]) -> list[str]:
    out = []
    for field, option in _LISTS.items():
        given = getattr(request, field)
        if not given or (field == "modes" and tuple(given) == MODES):
            continue
        stored = [v for v in config.get(field) or [] if v is not None]
        if {str(v) for v in given} != {str(v) for v in stored}:
            out.append(f"{option} {_shown(given)} (the file's run: {_shown(stored)})")
    return out


def _set_differences(sets: Sequence[str], config: dict[str, Any]) -> list[str]:
    stored = config.get("overrides") or {}
    out = []
    for workload, params in parse_sets(sets).items():
        for param, value in params.items():
            old = (stored.get(workload) or {}).get(param)
            if old != value:
                out.append(f"--set {workload}.{param}={value} (the file's run: "
                           f"{f'{workload}.{param}={old}' if old is not None else 'not set'})")
    return out


def _setting_differences(request: Any, config: dict[str, Any]) -> list[str]:
    out = []
    for field, (option, absent) in _SETTINGS.items():
        given = getattr(request, field)
        if given != absent and field in config and given != config[field]:
            out.append(f"{option} {given} (the file's run: {config[field]})")
    return out


def _function_entries(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(entry[len(function_workload.ENTRY_PREFIX):]) for entry in config.get("workload_modules") or []
            if function_workload.is_entry(entry)]


def _task_differences(request: Any, config: dict[str, Any]) -> list[str]:
    if not (request.task or request.inputs):
        return []
    stored = [(spec.get("task"), spec.get("inputs")) for spec in _function_entries(config)]
    given = (request.task, function_workload.inputs_source(request.inputs) if request.inputs else None)
    if any(all(g is None or g == s for g, s in zip(given, pair)) for pair in stored):
        return []
    was = "; ".join(f"--task {t} --inputs {i}" for t, i in stored) or "no --task"
    return [f"--task {request.task or ''} --inputs {request.inputs or ''} (the file's run: {was})".replace("  ", " ")]


def changed_inputs(config: dict[str, Any]) -> list[str]:
    """The function workloads whose inputs differ from those the run started with (by their digest)."""
    out = []
    for spec in _function_entries(config):
        digest = spec.get("inputs_digest")
        if digest and "inputs" in spec:
            now = function_workload.inputs_digest(function_workload.read_inputs(spec["inputs"]))
            if now != digest:
                out.append(f"the inputs {spec['inputs']} changed since the run started")
    return out


def check(request: Any, config: dict[str, Any], path: Any) -> None:
    """Refuse (exit 2, one line) a resume whose options or inputs differ from the file's run."""
    found = (_list_differences(request, config) + _set_differences(request.sets, config)
             + _setting_differences(request, config) + _task_differences(request, config) + changed_inputs(config))
    if found:
        raise BenchError(f"cannot resume {path}: {'; '.join(found)}; a run goes on only as it started "
                         "(resume without those options), or start a new one with -o")
