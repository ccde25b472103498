"""`bench plan` as a plain call: the request's matrix, probed, planned; nothing measured beyond the probes.

The planner itself (``bench.analysis.plan.plan``) reads nothing of this machine:
the cases, the probes and the CPU count are its inputs.  This module is the I/O
around it: resolving the matrix as `bench run` would, and probing its workloads.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Mapping, Sequence

from bench import storage
from bench.analysis import plan as planning
from bench.analysis.plan import Probe
from bench.execute import session
from bench.execute.matrix import machine_cores
from bench.execute.pacing import timing_of
from bench.execute.probe import probe
from bench.execute.runner import Runner, RunSettings
from bench.machine.topology import Topology
from bench.model import BenchError, Case, Workload


def plan_request(request: session.RunRequest, machine: Topology | None = None) -> planning.Plan:
    """The plan of ``bench run`` with this request: cases, each workload's probe, time by part, what the budget buys.

    ``machine`` plans for another machine (``bench plan --cpus N``, ``topology.synthetic``): its
    default core counts and the task counts they bring; the probes still time this machine's
    serial cycle, which is all the estimate needs of it.
    """
    request = session._with_task(request)
    session.import_plugins(request.workload_modules, request.strategy_modules)
    matrix = session.resolve_matrix(replace(request, cores=None) if machine else request)
    if machine is not None:
        matrix = replace(matrix, spec=replace(matrix.spec, cores=planned_cores(request.cores, machine)))
    workloads = session.workloads_of(matrix.spec)
    results = storage.ResultSet(config=session.run_config(matrix, request), skipped=matrix.skipped)
    cases = session._cases(matrix.spec, workloads, results, request.scheduler)
    settings = replace(session._settings(request, matrix.spec, Path(os.devnull)), progress=False)
    probes = probe_alone(settings, workloads, cases)
    budget = session.budget_of(request, matrix.spec.profile)
    return planning.plan(cases, probes, budget, cpus=len(machine.cpus) if machine else len(settings.cpus),
                         timing=timing_of(settings.plan, settings.processes),
                         calibration_s=2 * planning.CALIBRATION_S
                         if request.calibrate and planning.calibrates(budget) else 0.0,
                         twins_on_demand=session.twins_on_demand(request))


def planned_cores(requested: Sequence[int] | None, machine: Topology) -> list[int]:
    """The core counts of a run on ``machine``: its defaults, or those asked for, checked against its CPUs."""
    if requested is None:
        return machine_cores(machine)
    cores = sorted(set(requested))
    if not cores or cores[0] < 1 or cores[-1] > len(machine.cpus):
        raise BenchError(f"--cores wants counts from 1 to the planned machine's {len(machine.cpus)} CPUs, "
                         f"got {','.join(map(str, requested))!r}")
    return cores


def probe_alone(settings: RunSettings, workloads: Mapping[str, Workload], cases: Sequence[Case]) -> dict[str, Probe]:
    """The probes with a launcher of their own; nothing is written but the scratch folder, removed after."""
    runner = Runner(settings, workloads, storage.ResultSet(metadata={}, config={}))
    runner.launcher = runner._start_launcher(cases)
    try:
        return probe(runner, cases)
    finally:
        if runner.launcher is not None:
            runner.launcher.close()
        shutil.rmtree(runner.scratch, ignore_errors=True)
