"""The CPU topology read from fixture /sys trees, the CPUs chosen for k cores, and their placement marks."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterable, Mapping

import pytest

from bench import storage
from bench.analysis.table import tidy
from bench.cli import list as list_cmd
from bench.execute.matrix import machine_cores
from bench.execute.session import RunRequest, run_matrix
from bench.machine import topology
from bench.machine.topology import format_cpu_list, parse_cpu_list, placements, synthetic
from bench.testing import scaling_results

POWERS = (1, 2, 4, 8, 16, 32, 64, 128)


def make_sys(root: Path, cores: Mapping[int, tuple[int, list[int]]], nodes: Mapping[int, Iterable[int]] | None = None,
             offline: Iterable[int] = (), sibling_file: str = "core_cpus_list") -> Path:
    """A /sys tree: ``cores`` maps each physical core to (package, its CPUs); offline CPUs get no topology folder."""
    offline = set(offline)
    cpu_dir = root / "devices/system/cpu"
    every = sorted(cpu for _, cpus in cores.values() for cpu in cpus)
    for package, cpus in cores.values():
        online = [c for c in cpus if c not in offline]
        for cpu in cpus:
            folder = cpu_dir / f"cpu{cpu}"
            folder.mkdir(parents=True)
            if cpu in offline:
                (folder / "online").write_text("0\n")
                continue
            (folder / "topology").mkdir()
            (folder / "topology" / sibling_file).write_text(format_cpu_list(online) + "\n")
            (folder / "topology" / "physical_package_id").write_text(f"{package}\n")
    (cpu_dir / "online").write_text(format_cpu_list(c for c in every if c not in offline) + "\n")
    (cpu_dir / "offline").write_text(format_cpu_list(offline) + "\n")
    for node, cpus in (nodes or {}).items():
        (root / f"devices/system/node/node{node}").mkdir(parents=True)
        (root / f"devices/system/node/node{node}/cpulist").write_text(format_cpu_list(cpus) + "\n")
    return root


def server(root: Path, siblings_apart: bool) -> Path:
    """2 sockets x 32 cores x 2 threads: siblings numbered c/c+64 (``siblings_apart``) or 2c/2c+1."""
    cores = {c: (c // 32, [c, c + 64] if siblings_apart else [2 * c, 2 * c + 1]) for c in range(64)}
    nodes = {n: [cpu for c, (p, cpus) in cores.items() if p == n for cpu in cpus] for n in (0, 1)}
    return make_sys(root, cores, nodes)


@pytest.mark.unit
def test_two_socket_smt_server_with_siblings_numbered_apart(tmp_path):
    machine = topology.read(server(tmp_path, siblings_apart=True), affinity=range(128))
    assert (len(machine.cpus), machine.physical_cores, machine.sockets, machine.nodes) == (128, 64, 2, 2)
    assert machine.threads_per_core == 2 and machine.source == "sysfs"
    assert machine.summary() == "2 sockets, 2 NUMA nodes, 64 physical cores, 128 CPUs (SMT x2)"
    # distinct physical cores of node 0 first, then node 1's, then the siblings
    assert [machine.pin(k) for k in (1, 2, 4)] == [(0,), (0, 1), (0, 1, 2, 3)]
    assert machine.pin(32) == tuple(range(32)) and machine.pin(64) == tuple(range(64))
    assert machine.pin(65)[-1] == 64
    assert placements(machine, POWERS) == {1: "cores", 2: "cores", 4: "cores", 8: "cores", 16: "cores",
                                           32: "cores", 64: "nodes", 128: "siblings+nodes"}
    assert machine_cores(machine) == [1, 2, 8, 16, 64, 128]


@pytest.mark.unit
def test_two_socket_smt_server_with_siblings_numbered_next_to_each_other(tmp_path):
    machine = topology.read(server(tmp_path, siblings_apart=False), affinity=range(128))
    assert (machine.physical_cores, machine.nodes, machine.threads_per_core) == (64, 2, 2)
    # "2 cores" is CPUs 0 and 2, two physical cores, not the two threads 0 and 1 of one
    assert [machine.pin(k) for k in (1, 2, 4, 8)] == [(0,), (0, 2), (0, 2, 4, 6), tuple(range(0, 16, 2))]
    assert machine.pin(32) == tuple(range(0, 64, 2)) and machine.pin(64) == tuple(range(0, 128, 2))
    assert placements(machine, POWERS) == placements(topology.read(server(tmp_path / "apart", True),
                                                                   affinity=range(128)), POWERS)


@pytest.mark.unit
def test_the_older_sibling_file_name_is_read_too(tmp_path):
    cores = {c: (0, [c, c + 4]) for c in range(4)}
    machine = topology.read(make_sys(tmp_path, cores, sibling_file="thread_siblings_list"), affinity=range(8))
    assert machine.physical_cores == 4 and machine.pin(4) == (0, 1, 2, 3) and machine.pin(5) == (0, 1, 2, 3, 4)


@pytest.mark.unit
def test_sixteen_cores_without_smt_and_without_a_numa_folder(tmp_path):
    machine = topology.read(make_sys(tmp_path, {c: (0, [c]) for c in range(16)}), affinity=range(16))
    assert machine.summary() == "1 socket, 1 NUMA node, 16 physical cores, 16 CPUs"
    assert all(machine.pin(k) == tuple(range(k)) for k in (1, 2, 4, 8, 16))
    assert set(placements(machine, (1, 2, 4, 8, 16)).values()) == {"cores"}
    assert machine_cores(machine) == [1, 2, 4, 8, 16]


@pytest.mark.unit
def test_a_container_sees_only_its_affinity_mask(tmp_path):
    # 32 CPUs, 16 cores (siblings c/c+16), the container gets CPUs 2,3,4 and their siblings 18,19,20
    root = make_sys(tmp_path, {c: (0, [c, c + 16]) for c in range(16)}, {0: range(32)})
    machine = topology.read(root, affinity=[2, 3, 4, 18, 19, 20])
    assert (len(machine.cpus), machine.physical_cores, machine.online) == (6, 3, 32)
    assert machine.summary().endswith("; 6 of 32 online CPUs in this process's affinity mask")
    assert [machine.pin(k) for k in (1, 2, 3, 4, 6)] == [(2,), (2, 3), (2, 3, 4), (2, 3, 4, 18),
                                                         (2, 3, 4, 18, 19, 20)]
    assert placements(machine, (1, 2, 3, 4, 6)) == {1: "cores", 2: "cores", 3: "cores", 4: "siblings",
                                                    6: "siblings"}
    assert machine_cores(machine) == [1, 2, 3, 4, 6]  # the mask's CPUs, and its physical cores under SMT
    with pytest.raises(ValueError, match="6 usable CPUs"):
        machine.pin(8)


@pytest.mark.unit
def test_a_mask_across_two_nodes_stays_in_the_bigger_one_while_it_fits(tmp_path):
    root = make_sys(tmp_path, {c: (c // 8, [c]) for c in range(16)}, {0: range(8), 1: range(8, 16)})
    machine = topology.read(root, affinity=[6, 7, 8, 9, 10])
    assert machine.pin(3) == (8, 9, 10)  # node 1 holds three of the five
    assert placements(machine, (1, 3, 4, 5)) == {1: "cores", 3: "cores", 4: "nodes", 5: "nodes"}


@pytest.mark.unit
def test_offline_cpus_are_left_out_even_when_the_mask_names_them(tmp_path):
    # 4 cores x 2 threads (c/c+4); core 1 is offline (CPUs 1 and 5), and CPU 6, one thread of core 2
    root = make_sys(tmp_path, {c: (0, [c, c + 4]) for c in range(4)}, offline=[1, 5, 6])
    machine = topology.read(root, affinity=range(8))
    assert [cpu.id for cpu in machine.cpus] == [0, 2, 3, 4, 7]
    assert (machine.physical_cores, machine.online, machine.offline) == (3, 5, (1, 5, 6))
    assert machine.order == (0, 2, 3, 4, 7)
    assert placements(machine, (1, 2, 3, 4, 5)) == {1: "cores", 2: "cores", 3: "cores", 4: "siblings",
                                                    5: "siblings"}
    assert "offline CPUs 1,5-6" in machine.summary()


@pytest.mark.unit
def test_a_missing_sys_gives_a_flat_topology_that_says_so(tmp_path):
    machine = topology.read(tmp_path / "no-sys", affinity=[0, 1, 2])
    assert machine.flat and machine.source.startswith("flat: ")
    assert machine.pin(2) == (0, 1) and machine.physical_cores == 3
    assert placements(machine, (1, 2, 3)) == {1: "unknown", 2: "unknown", 3: "unknown"}
    assert "sharing of cores and nodes unknown" in machine.summary()


@pytest.mark.unit
def test_an_unreadable_cpu_folder_also_falls_back_to_flat(tmp_path):
    root = make_sys(tmp_path, {c: (0, [c]) for c in range(4)})
    (root / "devices/system/cpu/cpu2/topology/physical_package_id").unlink()
    machine = topology.read(root, affinity=range(4))
    assert machine.flat and "cpu2" in machine.source


@pytest.mark.unit
@pytest.mark.parametrize("cpus,smt,numa", [(16, False, 1), (64, True, 1), (128, True, 2), (6, False, 2)])
def test_synthetic_machines_are_numbered_as_linux_numbers_them(tmp_path, cpus, smt, numa):
    threads = 2 if smt else 1
    n_cores = cpus // threads
    per_node = n_cores // numa
    cores = {c: (c // per_node, [c + level * n_cores for level in range(threads)]) for c in range(n_cores)}
    nodes = {n: [cpu for c, (p, ids) in cores.items() if p == n for cpu in ids] for n in range(numa)}
    read = topology.read(make_sys(tmp_path, cores, nodes), affinity=range(cpus))
    planned = synthetic(cpus, smt=smt, numa=numa)
    assert planned.cpus == read.cpus and planned.order == read.order
    assert planned.summary() == read.summary() and planned.source == "synthetic"


@pytest.mark.unit
def test_synthetic_refuses_machines_that_cannot_be_built():
    with pytest.raises(ValueError, match="split evenly"):
        synthetic(7, smt=True)
    with pytest.raises(ValueError, match="split evenly"):
        synthetic(16, numa=3)


@pytest.mark.unit
def test_the_stored_form_reads_back_as_the_same_topology():
    machine = dataclasses.replace(synthetic(32, smt=True, numa=2), offline=(40, 41), online=34)
    stored = topology.metadata(machine)
    assert topology.from_dict(stored["topology"]) == machine
    assert stored["cpu_topology"] == machine.summary() and stored["topology"]["order"][:2] == [0, 1]


@pytest.mark.unit
def test_the_kernels_cpu_list_format_both_ways():
    assert parse_cpu_list("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11] and parse_cpu_list("") == []
    assert format_cpu_list([5, 0, 1, 2, 7, 8]) == "0-2,5,7-8" and format_cpu_list([]) == ""


@pytest.mark.unit
def test_bench_list_shows_the_machine_its_pinning_and_task_counts():
    machine = list_cmd.describe_machine(synthetic(128, smt=True, numa=2))
    assert machine["default_cores"] == [1, 2, 8, 16, 64, 128]
    assert machine["default_task_counts"]["fib.n"] == {"quick": 512, "full": 512}
    lines = list_cmd._machine_lines(machine)
    assert lines[0] == "Machine: 2 sockets, 2 NUMA nodes, 64 physical cores, 128 CPUs (SMT x2)"
    assert "      64: CPUs 0-63  [nodes]" in lines and "     128: CPUs 0-127  [siblings+nodes]" in lines
    assert "      16: CPUs 0-15" in lines


def test_a_run_stores_the_topology_and_each_cases_placement(tmp_path, no_leaked_processes):
    request = RunRequest(workloads=("sleep",), strategies=("serial", "threads"), cores=(1,), modes=("warm",),
                         workers=(1,), sets=("sleep.n=2", "sleep.seconds=0.01"), calibrate=False, progress=False,
                         output=tmp_path / "run.json")
    run_matrix(request)
    saved = storage.load(tmp_path / "run.json")
    assert topology.from_dict(saved.metadata["topology"]) == topology.current()
    assert saved.metadata["cpu_topology"] == topology.current().summary()
    expected = topology.placement(topology.current(), topology.current().pin(1))
    assert list(tidy(saved)["cpu_placement"]) == [expected, expected]


def test_the_reports_run_summary_quotes_the_topology_and_the_marked_core_counts():
    from bench.render.html import page

    results = scaling_results(lambda p: 0.9 * p, cores=(1, 2, 4))
    machine = synthetic(4, smt=True)  # 2 cores x 2 threads: 4 cores must use siblings
    results.metadata.update(topology.metadata(machine))
    for result in results.cases:
        result.metadata["cpu_placement"] = topology.placement(machine, machine.pin(result.case.cores))
    cpus = page.build(results).summary.cpus
    assert "2 physical cores, 4 CPUs (SMT x2)" in cpus and cpus.endswith("; 4 cores: siblings")
