"""`bench plan --cpus N [--smt] [--numa M]`: the planned machine and its core counts (no probe runs here)."""
from __future__ import annotations

import argparse

import pytest

from bench.cli.plan import planned_machine
from bench.execute.plan_session import planned_cores
from bench.machine.topology import placements, synthetic
from bench.model import BenchError

pytestmark = pytest.mark.unit


def args(cpus=None, smt=False, numa=1) -> argparse.Namespace:
    return argparse.Namespace(cpus=cpus, smt=smt, numa=numa)


def test_a_planned_machine_gets_its_own_default_core_counts_and_marks():
    machine = planned_machine(args(128, smt=True, numa=2))
    cores = planned_cores(None, machine)
    assert cores[0] == 1 and cores[-1] == 128 and 64 in cores and len(cores) <= 6
    marks = placements(machine, cores)
    assert marks[64] == "nodes" and marks[128] == "siblings+nodes" and marks[1] == "cores"


def test_asked_core_counts_are_checked_against_the_planned_machine_not_this_one():
    machine = synthetic(16)
    assert planned_cores([16, 4, 4], machine) == [4, 16]
    with pytest.raises(BenchError, match="16 CPUs"):
        planned_cores([32], machine)


def test_a_machine_that_cannot_be_built_or_smt_without_cpus_is_one_line_of_bad_input():
    assert planned_machine(args()) is None
    with pytest.raises(BenchError, match="--cpus 7"):
        planned_machine(args(7, smt=True))
    with pytest.raises(BenchError, match="give --cpus"):
        planned_machine(args(smt=True))
