"""Where the time went: accounting arithmetic on synthetic inputs, and the tidy table's columns."""
from __future__ import annotations

import pytest

from bench.analysis import accounting
from bench.analysis.table import tidy
from bench.testing import accounted_results, make_result, make_results


def test_the_four_parts_add_up_to_p_times_wall():
    acc = accounting.account(p=2, wall_s=0.62, work_s=1.0, cpu_total_s=1.10, wait_total_s=0.02)
    assert (acc.work_s, acc.overhead_s, acc.waiting_s) == pytest.approx((1.0, 0.10, 0.02))
    assert acc.idle_s == pytest.approx(1.24 - 1.12)
    assert acc.residual_s == pytest.approx(0.0) and accounting.identity_holds(acc, processes=3)


def test_a_negative_overhead_is_clamped_and_said():
    acc = accounting.account(p=2, wall_s=0.6, work_s=1.0, cpu_total_s=0.98, wait_total_s=0.0)
    assert acc.overhead_s == 0.0 and "less CPU than serial" in acc.notes[0]
    assert accounting.identity_holds(acc, processes=3)


def test_queueing_behind_our_own_busy_cores_is_not_a_loss():
    # 4 busy workers on 2 cores for 1 s: 2 s CPU, 2 s queued, no core-second free
    acc = accounting.account(p=2, wall_s=1.0, work_s=1.9, cpu_total_s=2.0, wait_total_s=2.0)
    assert acc.waiting_s == 0.0 and acc.idle_s == 0.0 and acc.wait_measured_s == 2.0
    assert "overlapped our own busy cores" in acc.notes[0]


def test_cpu_beyond_the_budget_breaks_the_identity_beyond_its_tolerance():
    acc = accounting.account(p=1, wall_s=1.0, work_s=1.0, cpu_total_s=1.5, wait_total_s=0.0)
    assert acc.residual_s == pytest.approx(-0.5)
    assert not accounting.identity_holds(acc, processes=2)
    assert accounting.tolerance_s(10.0, 3) == pytest.approx(0.5 + 0.03)


def test_work_comes_from_the_paired_reference_first_then_the_serial_case():
    assert accounting.work_seconds({"ref_cpu_total_s": 0.9}, {"cpu_total_s": 2.0}) == 0.9
    assert accounting.work_seconds({}, {"cpu_total_s": 2.0}) == 2.0
    assert accounting.work_seconds({}, {"cpu_self_s": 1.0, "cpu_children_s": 0.5}) == 1.5
    assert accounting.work_seconds({}, None) is None


def test_an_old_file_gets_a_reason_not_numbers():
    found = accounting.case_accounting({"cpu_self_s": 0.1, "wall_s": 0.5}, {"cpu_self_s": 1.0}, 2, 0.5)
    assert isinstance(found, str) and "workers" in found
    assert accounting.as_columns(found)["work_s"] is None


def test_start_up_is_cold_minus_warm_and_may_be_negative():
    assert accounting.startup_seconds(0.75, 0.62) == pytest.approx(0.13)
    assert accounting.startup_seconds(0.60, 0.62) == pytest.approx(-0.02)
    assert accounting.startup_seconds(None, 0.62) is None


def test_the_dominant_loss_is_named_in_words():
    acc = accounting.account(p=2, wall_s=1.0, work_s=1.0, cpu_total_s=1.02, wait_total_s=0.05)
    assert accounting.dominant_loss(acc)[0] == "idle"
    assert "idle cores" in accounting.loss_words(acc)
    assert "I/O" in accounting.loss_words(acc, bound="io-latency")
    overhead = accounting.account(p=2, wall_s=0.75, work_s=1.0, cpu_total_s=1.4, wait_total_s=0.0)
    assert accounting.dominant_loss(overhead, startup_s=0.1)[0] == "overhead"
    assert accounting.dominant_loss(overhead, startup_s=0.3)[0] == "start-up"


def test_tidy_has_the_accounting_columns_and_the_identity_holds_per_case():
    frame = tidy(accounted_results())
    assert set(accounting.COLUMNS) <= set(frame.columns)
    parallel = frame[frame.strategy != "serial"]
    budget = parallel.workers.clip(upper=parallel.cores) * [1.00, 1.01, 0.62, 0.75, 0.53, 0.66]
    parts = parallel.work_s + parallel.overhead_s + parallel.waiting_s + parallel.idle_s
    tolerance = [accounting.tolerance_s(b, 3) for b in budget]
    assert ((parts - budget).abs() <= tolerance).all()


def test_tidy_start_up_and_task_bound_per_case():
    frame = tidy(accounted_results()).set_index(["strategy", "mode"])
    assert frame.loc[("pool-map", "cold"), "startup_s"] == pytest.approx(0.13, abs=0.01)
    assert frame.loc[("pool-map", "warm"), "startup_s"] != frame.loc[("pool-map", "warm"), "startup_s"]  # NaN
    assert frame.loc[("pool-map", "warm"), "task_bound_speedup"] == pytest.approx(1 / 0.6)
    assert frame.loc[("pool-async", "warm"), "task_bound_speedup"] == pytest.approx(2.0)


def test_an_old_file_keeps_every_column_with_reasons(small_run_path):
    from bench import storage

    frame = tidy(storage.load(small_run_path))
    parallel = frame[frame.strategy != "serial"]
    assert parallel.work_s.isna().all() and parallel.task_bound_speedup.isna().all()
    assert parallel.accounting_note.str.contains("before per-case tree accounting").all()


def test_a_serial_case_is_its_own_work():
    serial = make_result([1.0] * 3, strategy="serial", workers=1, cores=1,
                         metrics={"cpu_self_s": 0.4, "cpu_children_s": 0.0, "cpu_wait_s": 0.1, "wall_s": 1.0})
    row = tidy(make_results([serial])).iloc[0]
    assert (row.work_s, row.overhead_s, row.waiting_s, row.idle_s) == pytest.approx((0.4, 0.0, 0.1, 0.5))


def test_the_identity_holds_on_a_tiny_real_run(tmp_path, no_leaked_processes):
    """Skipped until the measuring core stores tree metrics (cpu_total_s, wait_total_s, wall_s)."""
    import os

    from bench import storage
    from bench.analysis import stats
    from bench.cli import main

    cores = "1,2" if len(os.sched_getaffinity(0)) >= 2 else "1"
    out = tmp_path / "tiny.json"
    assert main(["run", "--workloads", "sleep", "--strategies", "serial,threads,pool-map", "--cores", cores,
                 "--set", "sleep.n=4", "--set", "sleep.seconds=0.01", "--no-progress", "-o", str(out)]) == 0
    results = storage.load(out)
    parallel = [r for r in results.cases if not r.case.is_serial and r.ok]
    if not all("cpu_total_s" in r.metrics for r in parallel):
        pytest.skip("this measuring core does not record tree accounting metrics yet")
    serial = {(r.case.cores): r for r in results.cases if r.case.is_serial}
    for result in parallel:
        acc = accounting.of_result(result, serial.get(result.case.cores))
        assert not isinstance(acc, str), acc
        processes = 1 + result.case.workers
        assert accounting.identity_holds(acc, processes), (result.case.key, acc)
        assert stats.parallelism(result.case.workers, result.case.cores) == acc.p


def test_a_loss_above_all_the_cores_time_says_the_cycle_is_too_short_to_resolve():
    """square's cycles last about a millisecond; the CPU read around them spans more than that."""
    tiny = accounting.account(p=2, wall_s=0.0012, work_s=0.0001, cpu_total_s=0.0032, wait_total_s=0.0)
    words = accounting.loss_words(tiny)
    assert "more than all of 2 cores' time" in words and "1.2 ms" in words
    ordinary = accounting.loss_words(accounting.account(p=2, wall_s=1.0, work_s=1.0, cpu_total_s=1.5,
                                                        wait_total_s=0.0))
    assert "more than all" not in ordinary and "25% of 2 cores' time" in ordinary
