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

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench import output_file, storage
from bench.execute import interrupts
from bench.execute.ab import LABELS, Side
from bench.execute.ab_runner import ABRunner, ABSettings, probe_python
from bench.execute.matrix import MatrixSpec, build_cases
from bench.execute.runner import PLANS
from bench.execute.session import (
    Interrupted,
    RunRequest,
    import_plugins,
    resolve_matrix,
    run_config,
    start_method_axis,
    workloads_of,
)
from bench.machine import topology
from bench.measure.metadata import git_commit, machine_metadata
from bench.model import BenchError, Case

__all__ = ["ABRequest", "run_ab", "side_request"]


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
    processes: int = 2  # fresh process pairs per case, the values shared among them
    references: bool = False  # each side also measures its serial reference, paired


def side_request(request: ABRequest, label: str) -> RunRequest:
    """The side's matrix as a `bench run` request: the shared --set items first, then the side's own."""
    return replace(request.shared, sets=(*request.shared.sets, *request.sides[label].sets))


def _side_matrix(request: ABRequest, label: str) -> tuple[MatrixSpec, dict[str, Any], list[Case]]:
    """The side's matrix spec, results config, and cases (the start-method axis of `bench run`)."""
    side, other = request.sides[label], next(name for name in LABELS if name != label)
    run_request = side_request(request, label)
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
    if request.processes < 1:
        raise BenchError(f"--processes wants a positive integer, got {request.processes}")
    if set(request.sides) != set(LABELS) or set(request.outputs) != set(LABELS):
        raise BenchError(f"an A/B run wants sides and outputs for {' and '.join(LABELS)}")
    if request.outputs["A"].resolve() == request.outputs["B"].resolve():
        raise BenchError("--output-a and --output-b name the same file")
    for label in LABELS:
        output_file.check_writable(request.outputs[label], f"--output-{label.lower()}")


def _settings(request: ABRequest, spec: MatrixSpec) -> ABSettings:
    shared = request.shared
    return ABSettings(outputs=request.outputs, plan=PLANS[spec.profile], timeout=shared.timeout,
                      workload_modules=shared.workload_modules, strategy_modules=shared.strategy_modules,
                      cpus=topology.current().order, progress=shared.progress,
                      processes=request.processes, references=request.references)


def run_ab(request: ABRequest) -> dict[str, storage.ResultSet]:
    """Measure every case of the matrix on both sides, alternating cycle by cycle; both files saved after each case.

    Returns the results by side label. Raises BenchError for bad input and
    Interrupted (both files saved) on Ctrl-C or SIGTERM.
    """
    import_plugins(request.shared.workload_modules, request.shared.strategy_modules)
    _check(request)
    matrices = {label: _side_matrix(request, label) for label in LABELS}
    cases = {label: matrix[2] for label, matrix in matrices.items()}
    if not cases["A"]:
        raise BenchError("nothing to run: no available workload was selected")
    results = {label: storage.ResultSet(metadata=_side_metadata(request.sides[label]), config=matrices[label][1])
               for label in LABELS}
    spec = matrices["A"][0]
    try:
        with interrupts.stop_on_signals():
            ABRunner(request.sides, _settings(request, spec), workloads_of(spec), results).run(cases)
    except KeyboardInterrupt:
        for label, result in results.items():
            storage.save(result, request.outputs[label])
        raise Interrupted(len(results["A"].cases), [request.outputs[label] for label in LABELS]) from None
    return results
