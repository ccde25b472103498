"""One `bench ab` as a plain Python call: two sides of one matrix, measured interleaved.

    from bench.execute.ab_session import ABRequest, run_ab
    from bench.execute.session import RunRequest
    results = run_ab(ABRequest(shared=RunRequest(workloads=("sleep",), ...),
                               sides={"A": Side("A", sets=("sleep.seconds=0.03",)), "B": Side("B")}))

Why a request of its own: each side's matrix is a ``RunRequest`` (the shared
options plus the side's ``--set`` items) resolved by the same rules as `bench
run`, so the two commands cannot drift apart in their defaults or checks.  How
the interleaving works is ``bench.execute.ab``; the loop is ``ABRunner``.
"""
from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench import output_file, registry, storage
from bench.analysis.compare_defaults import pairs_to_reach
from bench.execute import ab_imports, interrupts
from bench.execute.ab import LABELS, Side
from bench.execute.ab_runner import ABRunner, ABSettings, probe_python
from bench.execute.matrix import MatrixSpec, build_cases
from bench.execute.runner import PLANS, base_env
from bench.execute.session import (
    Interrupted,
    RunRequest,
    import_plugins,
    resolve_matrix,
    run_config,
    start_method_axis,
    workloads_of,
)
from bench.execute.session import _check_processes as check_processes  # the one rule of `bench run`
from bench.execute.session import _with_task as with_task  # --task/--inputs as `bench run` resolves them
from bench.machine import topology
from bench.measure.core import TimingPlan
from bench.measure.metadata import git_commit, machine_metadata
from bench.model import BenchError, Case

__all__ = ["ABRequest", "run_ab", "side_problems", "side_request"]


def _default_sides() -> dict[str, Side]:
    return {label: Side(label) for label in LABELS}


def _default_outputs() -> dict[str, Path]:
    return {label: Path(f"results/ab-{label}.json") for label in LABELS}


@dataclass(frozen=True)
class ABRequest:
    """Every option of `bench ab`, typed, with its defaults.

    ``shared`` holds what both sides share (workloads, strategies, cores, --set,
    profile, plugin modules, timeout, progress); its other fields (output,
    resume, calibrate, ...) do not apply to an A/B run.
    """

    shared: RunRequest = field(default_factory=RunRequest)
    sides: Mapping[str, Side] = field(default_factory=_default_sides)
    outputs: Mapping[str, Path] = field(default_factory=_default_outputs)
    #: fresh process pairs per case, the values shared among them (None: PROCESSES; the gate's GATE_PROCESSES)
    processes: int | None = None
    references: bool = False  # each side also measures its serial reference, paired
    force: bool = False  # overwrite existing outputs (as `bench run --force`)
    budget: float | None = None  # seconds of timed cycles per case, both sides together (None: the profile's)
    #: per side, words after "side A" in the line that says where it imports from (e.g. " (base abc123)")
    described: Mapping[str, str] = field(default_factory=dict)


#: process pairs per case of a plain `bench ab`: each pair's luck is seen, but 2 pairs say little
#: about how far it goes (`bench compare` then takes a t interval with 1 degree of freedom over them)
PROCESSES = 2


def side_request(request: ABRequest, label: str) -> RunRequest:
    """The side's matrix as a `bench run` request: the shared --set items first, then the side's own."""
    return replace(request.shared, sets=(*request.shared.sets, *request.sides[label].sets))


def _side_matrix(request: ABRequest, label: str) -> tuple[MatrixSpec, dict[str, Any], list[Case]]:
    """The side's matrix spec, results config, and cases (the start-method axis of `bench run`)."""
    side, other = request.sides[label], next(name for name in LABELS if name != label)
    run_request = replace(side_request(request, label), single_worker=False)  # a gate compares what it was asked
    matrix = resolve_matrix(run_request)
    spec, workloads = matrix.spec, workloads_of(matrix.spec)
    config = {**run_config(matrix, run_request),
              "ab": {**side.describe(), "other_output": str(request.outputs[other])}}
    cases = build_cases(spec, workloads, start_method_axis(list(spec.strategies), None)) if workloads else []
    return spec, config, cases


def _side_metadata(side: Side) -> dict[str, Any]:
    metadata = {**machine_metadata(), **topology.metadata(topology.current())}
    if side.python:
        metadata.update(probe_python(side.python))
    if side.pythonpath:
        metadata["git_commit"] = git_commit(Path(side.pythonpath[0]))
    return metadata


def _check(request: ABRequest) -> None:
    """What `bench ab` refuses before measuring, in the order it always did."""
    check_processes(request.processes or PROCESSES)
    if set(request.sides) != set(LABELS) or set(request.outputs) != set(LABELS):
        raise BenchError(f"an A/B run wants sides and outputs for {' and '.join(LABELS)}")
    if request.outputs["A"].resolve() == request.outputs["B"].resolve():
        raise BenchError("--output-a and --output-b name the same file")
    for label in LABELS:
        output_file.check_writable(request.outputs[label], f"--output-{label.lower()}")
        refuse_overwrite(request.outputs[label], request.force)


def refuse_overwrite(path: Path, force: bool) -> None:
    """Earlier A/B files are someone's measurements, as `bench run -o` holds (ab has no --resume)."""
    if path.exists() and not force:
        raise BenchError(f"{path} already exists; pass --force to overwrite it")


def _check_imports(request: ABRequest, spec: MatrixSpec) -> None:
    """Each side imports its code from where it was told, or the run is refused (``bench.execute.ab_imports``)."""
    shared = request.shared
    builtin = any(name in registry.BUILTIN_WORKLOADS for name in spec.workloads)
    names = ab_imports.module_names(shared.workload_modules, shared.strategy_modules, builtin)
    with tempfile.TemporaryDirectory(prefix="bench-ab-probe-") as scratch:
        ab_imports.check_sides(request.sides, names, base_env(), Path(scratch), request.described)


def timing_plan(profile: str, budget: float | None) -> TimingPlan:
    """The profile's plan; a budget of its own lifts the profile's cap on values to the full profile's.

    Why: a gate must resolve a 10 % change against a 6 % threshold, which on a loaded
    2-core machine takes a hundred values of a millisecond task, not the quick profile's 4-40.
    """
    plan = PLANS[profile]
    if budget is None:
        return plan
    if not (math.isfinite(budget) and budget > 0):
        raise BenchError(f"--case-budget wants a finite number of seconds above 0, got {budget!r}")
    # at least the pairs a signed-rank test needs: a quiet machine's tight interval must not stop a case untestable
    return replace(plan, budget_seconds=budget, values=max(plan.values, PLANS["full"].values),
                   min_values=max(plan.min_values, pairs_to_reach()))


def _settings(request: ABRequest, spec: MatrixSpec) -> ABSettings:
    shared = request.shared
    return ABSettings(outputs=request.outputs, plan=timing_plan(spec.profile, request.budget), timeout=shared.timeout,
                      workload_modules=shared.workload_modules, strategy_modules=shared.strategy_modules,
                      cpus=topology.current().order, progress=shared.progress,
                      processes=request.processes or PROCESSES, references=request.references)


def run_ab(request: ABRequest) -> dict[str, storage.ResultSet]:
    """Measure every case of the matrix on both sides, alternating cycle by cycle; both files saved after each case.

    Returns the results by side label. Raises BenchError for bad input and
    Interrupted (both files saved) on Ctrl-C or SIGTERM.
    """
    request = replace(request, shared=with_task(request.shared))
    import_plugins(request.shared.workload_modules, request.shared.strategy_modules)
    _check(request)
    matrices = {label: _side_matrix(request, label) for label in LABELS}
    cases = {label: matrix[2] for label, matrix in matrices.items()}
    if not cases["A"]:
        raise BenchError("nothing to run: no available workload was selected")
    spec = matrices["A"][0]
    _check_imports(request, spec)
    results = {label: storage.ResultSet(metadata=_side_metadata(request.sides[label]), config=matrices[label][1])
               for label in LABELS}
    try:
        with interrupts.stop_on_signals(), ExitStack() as locks:
            for label in LABELS:  # held as `bench run` holds its file; checked again once held
                locks.enter_context(output_file.locked(request.outputs[label]))
                refuse_overwrite(request.outputs[label], request.force)
            ABRunner(request.sides, _settings(request, spec), workloads_of(spec), results).run(cases)
    except KeyboardInterrupt:
        for label, result in results.items():
            storage.save(result, request.outputs[label])
        raise Interrupted(len(results["A"].cases), [request.outputs[label] for label in LABELS]) from None
    return results


def side_problems(results: Mapping[str, storage.ResultSet]) -> list[str]:
    """A side whose every case failed measured nothing: `bench ab` exits 1 and its gate fails (as `bench run`)."""
    problems = []
    for label in LABELS:
        cases = results[label].cases
        if cases and not any(result.ok for result in cases):
            problems.append(f"every case failed on side {label} (first: {cases[0].error}); nothing was compared")
    return problems
