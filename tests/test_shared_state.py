"""The shared-state family: every way of sharing ends in the same exact final state, the reduce resets it
for the next cycle, the file lock really excludes, and a tiny real run of each agrees with serial."""
from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import get_context

import pytest

from bench.execute.session import RunRequest, run_matrix
from workloads import shared_state

PARAMS = {"n": 5, "k": 40, "slots": 3}
EXPECTED = [tuple(sum(a for s, a in (u for i in range(5) for u in shared_state.updates(i, 40, 3)) if s == slot)
                  for slot in range(3))]


@pytest.mark.parametrize("workload", shared_state.WORKLOADS, ids=lambda w: w.name)
def test_each_sharing_gives_the_exact_final_state_and_resets_it(workload, no_leaked_processes):
    tasks = workload.make_tasks(PARAMS)
    for _ in range(2):  # the reduce resets the state, so a second cycle gives the same
        assert workload.reduce(PARAMS, [workload.task(t) for t in tasks]) == EXPECTED
    with ThreadPoolExecutor(3) as pool:
        assert workload.reduce(PARAMS, list(pool.map(workload.task, tasks))) == EXPECTED
    assert workload.summarize(PARAMS, EXPECTED) == {"updates": 200.0}
    if workload is shared_state.MANAGER:
        workload._manager.shutdown()  # the case process's exit does this in a real run


def test_the_file_lock_excludes_forked_workers_that_inherited_the_parents_mapping():
    """Each process and thread opens its own file: an inherited fd would share the parent's lock."""
    params = {"n": 4, "k": 20_000, "slots": 1}
    workload = shared_state.SHARED_MEMORY
    tasks = workload.make_tasks(params)
    workload.reduce(params, [])  # the parent maps the file before the fork
    with get_context("fork").Pool(2) as pool:
        found = workload.reduce(params, pool.map(workload.task, tasks, chunksize=1))
    assert found == [(sum(a for i in range(4) for _, a in shared_state.updates(i, 20_000, 1)),)]


def test_a_tiny_run_of_the_three_agrees_with_serial(tmp_path, no_leaked_processes):
    names = tuple(w.name for w in shared_state.WORKLOADS)
    request = RunRequest(workloads=names, strategies=("serial", "threads", "pool-map"), cores=(1,), workers=(2,),
                         single_worker=False, modes=("warm",),
                         sets=tuple(f"{n}.{k}={v}" for n in names for k, v in PARAMS.items()),
                         profile="quick", calibrate=False, progress=False, processes=1, output=tmp_path / "r.json")
    results = run_matrix(dataclasses.replace(request))
    assert len(results.cases) == 9
    assert all(r.ok for r in results.cases), [(r.case.key, r.error) for r in results.cases if not r.ok]
    [threads] = [r for r in results.cases if r.case.workload == "shared-manager" and r.case.strategy == "threads"]
    # threads start no process: the one process seen in the case's tree, and its CPU, are the Manager's server
    assert threads.metrics["workers_seen"] == 1 and threads.metrics["cpu_workers_s"] > 0


def test_manager_proxies_carry_the_managers_key_to_workers_multiprocessing_did_not_start():
    """An MPI worker has another authkey: the proxies bring the Manager's and connect with it."""
    import multiprocessing
    import pickle

    workload = shared_state.MANAGER
    task = workload.make_tasks(PARAMS)[0]
    process = multiprocessing.current_process()
    ours = bytes(process.authkey)
    payload = pickle.dumps(task)
    try:
        process.authkey = b"an MPI worker's own key"
        index, k, slots, shared = pickle.loads(payload)
        assert bytes(process.authkey) == ours
        assert shared_state.manager_task((index, k, slots, shared)) == k
    finally:
        process.authkey = ours
        workload._manager.shutdown()
