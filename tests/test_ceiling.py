"""Ceiling arithmetic, the bound check and the verdict, on synthetic inputs (bench.machine.ceiling is pure)."""
from __future__ import annotations

import dataclasses
import math

import pytest

from bench import storage
from bench.analysis.table import tidy
from bench.machine import ceiling
from bench.machine.ceiling import Ceiling
from bench.render.html import ceilingview
from bench.testing import make_result, make_results

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)


def reps(*rows: list[float]) -> list[list[float]]:
    return [list(row) for row in rows]


def flat_calibration(cpu2: float = 1.6, bw2: float = 1.25, n: int = 3) -> dict:
    """One copy always 1.0 s; two copies' makespan chosen so the ratio is exactly cpu2 / bw2."""
    return {"raw": {"cpu": {"1": [[1.0]] * n, "2": [[1.0, 2 / cpu2]] * n},
                    "bandwidth": {"1": [[1.0]] * n, "2": [[2 / bw2, 1.0]] * n}},
            "triad_bytes_per_copy": 1e9}


def ceiling_at(value: float, low: float, high: float, k: int = 2, kind: str = "cpu") -> Ceiling:
    return Ceiling(kind=kind, k=k, value=min(value, k), ratio=value, ci_low=low, ci_high=high, low=low,
                   high=high, repetitions=5)


# ---------------------------------------------------------------- arithmetic

def test_ratio_is_k_times_one_copy_over_makespan():
    c = ceiling.estimate("cpu", reps([1.0], [1.0], [1.0]), reps([1.0, 1.25], [1.25, 1.0], [1.1, 1.25]))
    assert c.k == 2 and c.repetitions == 3
    assert c.ratio == pytest.approx(2 * 1.0 / 1.25)
    assert c.value == c.ratio
    assert (c.ci_low, c.ci_high) == pytest.approx((1.6, 1.6))  # nothing varies: the point twice


def test_ratio_above_k_is_clipped_but_kept():
    c = ceiling.estimate("cpu", reps([1.0], [1.0]), reps([0.8, 0.9], [0.9, 0.8]))
    assert c.ratio == pytest.approx(2 / 0.9)
    assert c.value == 2  # a machine does not give more than its CPUs: the excess is noise


def test_one_copy_against_itself_is_exactly_one_with_a_spread():
    one = reps([1.0], [1.2], [0.9], [1.1], [1.05])
    c = ceiling.estimate("cpu", one, one)
    assert c.value == c.ratio == 1.0
    assert c.ci_low < 1.0 < c.ci_high  # the noise of the baseline shows as spread
    assert c.low <= 1.0 <= c.high


def test_spread_brackets_the_ratio_and_is_seeded():
    one = reps([1.0], [1.1], [0.95], [1.05], [1.0])
    many = reps([1.1, 1.2], [1.3, 1.2], [1.15, 1.1], [1.25, 1.2], [1.2, 1.2])
    first = ceiling.estimate("cpu", one, many)
    assert first.ci_low <= first.ratio <= first.ci_high
    assert first.low <= first.ratio <= first.high
    assert ceiling.estimate("cpu", one, many) == first


@pytest.mark.parametrize("one, many", [([], [[1.0]]), ([[1.0]], [[1.0, 1.0], [1.0]]), ([[1.0, 1.0]], [[1.0]])])
def test_malformed_repetitions_are_refused(one, many):
    with pytest.raises(ValueError):
        ceiling.estimate("cpu", one, many)


def test_machine_ceilings_from_a_stored_calibration():
    machine = ceiling.machine_ceilings(flat_calibration())
    assert set(machine) == {"cpu", "bandwidth"}
    assert machine["cpu"][2].value == pytest.approx(1.6)
    assert machine["bandwidth"][2].value == pytest.approx(1.25)
    assert machine["cpu"][1].value == 1.0


def test_missing_or_damaged_calibration_gives_no_ceilings():
    assert ceiling.machine_ceilings({}) == {}
    assert ceiling.machine_ceilings({"error": "worker died"}) == {}
    damaged = flat_calibration()
    del damaged["raw"]["bandwidth"]["1"]
    assert set(ceiling.machine_ceilings(damaged)) == {"cpu"}


def test_bandwidth_gbps_is_all_copies_bytes_over_the_makespan():
    assert ceiling.bandwidth_gbps([0.5, 1.0], 4e9) == pytest.approx(8.0)


def test_summary_has_ceilings_gbps_and_spawn_costs():
    calibration = {**flat_calibration(), "spawn_raw": {"thread": [1e-4, 2e-4, 1.5e-4]}}
    summary = ceiling.calibration_summary(calibration)
    assert summary["cpu"]["2"]["value"] == pytest.approx(1.6)
    assert summary["bandwidth"]["2"]["gbps"] == pytest.approx(2e9 / 1.6 / 1e9)
    assert summary["spawn"]["thread"]["median_s"] == pytest.approx(1.5e-4)
    assert summary["spawn"]["thread"]["min_s"] == 1e-4 and summary["spawn"]["thread"]["n"] == 3


# ---------------------------------------------------------------- which ceiling applies

@pytest.mark.parametrize("bound, kind, value", [
    ("cpu", "cpu", 1.6), ("external-process", "cpu", 1.6), ("memory", "bandwidth", 1.25),
])
def test_the_bound_picks_the_ceiling(bound, kind, value):
    c = ceiling.for_bound(ceiling.machine_ceilings(flat_calibration()), bound, 2)
    assert (c.kind, c.value) == (kind, pytest.approx(value))


def test_memory_takes_the_lower_of_cpu_and_bandwidth():
    machine = ceiling.machine_ceilings(flat_calibration(cpu2=1.3, bw2=1.8))
    assert ceiling.for_bound(machine, "memory", 2).kind == "cpu"


@pytest.mark.parametrize("bound", ["io-latency", None, "quantum"])
def test_no_machine_ceiling_for_waiting_or_unknown_bounds(bound):
    assert ceiling.for_bound(ceiling.machine_ceilings(flat_calibration()), bound, 2) is None


def test_memory_without_bandwidth_has_no_ceiling():
    machine = ceiling.machine_ceilings(flat_calibration())
    del machine["bandwidth"]
    assert ceiling.for_bound(machine, "memory", 2) is None


def test_ceiling_at_interpolates_between_calibrated_core_counts():
    by_k = {1: ceiling_at(1.0, 0.9, 1.1, k=1), 2: ceiling_at(1.8, 1.7, 1.9), 4: ceiling_at(3.0, 2.8, 3.2, k=4)}
    mid = ceiling.at(by_k, 3)
    assert mid.value == pytest.approx(2.4) and mid.ci_low == pytest.approx(2.25) and mid.k == 3
    assert ceiling.at(by_k, 2) is by_k[2]
    assert ceiling.at(by_k, 8) is None  # never extrapolate
    assert ceiling.at({}, 1).value == 1.0  # one core is 1 by definition


def test_efficiency_vs_ceiling_divides_by_the_ceiling():
    assert ceiling.efficiency_vs_ceiling(1.5, ceiling_at(1.6, 1.5, 1.7)) == pytest.approx(1.5 / 1.6)
    assert ceiling.efficiency_vs_ceiling(1.5, None) is None
    assert ceiling.efficiency_vs_ceiling(None, ceiling_at(1.6, 1.5, 1.7)) is None


# ---------------------------------------------------------------- bound check

@pytest.mark.parametrize("bound, self_s, children_s, wall_s, wait_s, status", [
    ("cpu", 0.98, 0.0, 1.0, None, "plausible"),
    ("cpu", 0.45, 0.0, 1.0, 0.5, "plausible"),  # preempted by other load, not waiting
    ("cpu", 0.10, 0.0, 1.0, 0.01, "doubtful"),
    ("io-latency", 0.01, 0.0, 1.0, 0.0, "plausible"),
    ("io-latency", 0.90, 0.0, 1.0, None, "doubtful"),
    ("external-process", 0.05, 0.80, 1.0, None, "plausible"),
    ("external-process", 0.80, 0.05, 1.0, None, "doubtful"),
    ("memory", 0.97, 0.0, 1.0, None, "unchecked"),  # CPU time cannot tell stalls from arithmetic
    ("memory", 0.20, 0.0, 1.0, None, "doubtful"),
])
def test_bound_check_from_the_serial_profile(bound, self_s, children_s, wall_s, wait_s, status):
    check = ceiling.check_bound(bound, self_s, children_s, wall_s, wait_s)
    assert check.status == status
    assert check.finding.startswith(f"{bound}: ") and "\n" not in check.finding
    assert check.demand == pytest.approx((self_s + children_s + (wait_s or 0)) / wall_s)


def test_bound_check_without_a_profile_or_bound_is_unchecked():
    assert ceiling.check_bound("cpu", None, None, None).status == "unchecked"
    assert ceiling.check_bound(None, 1.0, 0.0, 1.0).status == "unchecked"
    assert ceiling.bound_check_from_metrics("cpu", {"cpu_self_s": float("nan"), "wall_s": 1.0}).status == "unchecked"


def test_memory_scaling_cross_check():
    bw, cpu = ceiling_at(1.3, 1.2, 1.4, kind="bandwidth"), ceiling_at(1.95, 1.9, 2.0)
    assert ceiling.memory_scaling_finding((1.7, 1.9), bw, cpu)[0] == "doubtful"
    assert ceiling.memory_scaling_finding((1.2, 1.35), bw, cpu)[0] == "plausible"
    assert ceiling.memory_scaling_finding((1.2, 1.35), ceiling_at(1.9, 1.8, 2.0), cpu) is None


# ---------------------------------------------------------------- the verdict

def test_the_machine_not_the_strategy_is_the_limit():
    verdict = ceiling.judge("processes", 1.38, (1.30, 1.45), 2, ceiling_at(1.40, 1.32, 1.48, kind="bandwidth"))
    assert verdict.limit == "machine"
    assert verdict.sentence.startswith("The machine, not the strategy, is the limit: processes reaches x1.38")
    assert verdict.efficiency_vs_cores == pytest.approx(0.69)
    assert verdict.efficiency_vs_ceiling == pytest.approx(1.38 / 1.40)


def test_the_strategy_not_the_machine_is_the_limit():
    verdict = ceiling.judge("threads", 1.0, (0.95, 1.05), 2, ceiling_at(1.95, 1.85, 2.05))
    assert verdict.limit == "strategy"
    assert verdict.sentence.startswith("The strategy, not the machine, is the limit")
    assert "51 %" in verdict.sentence


def test_both_limit_when_the_ceiling_is_low_and_not_reached():
    verdict = ceiling.judge("threads", 0.9, (0.85, 0.95), 2, ceiling_at(1.4, 1.3, 1.5))
    assert verdict.limit == "both" and verdict.sentence.startswith("Both limit it")


def test_reaching_a_full_ceiling_is_as_far_as_the_machine_allows():
    verdict = ceiling.judge("processes", 1.93, (1.88, 1.99), 2, ceiling_at(1.97, 1.90, 2.04))
    assert verdict.limit == "none" and "as far as the machine allows" in verdict.sentence


def test_beating_the_ceiling_is_flagged():
    verdict = ceiling.judge("processes", 1.9, (1.85, 1.95), 2, ceiling_at(1.4, 1.3, 1.5))
    assert verdict.limit == "above" and "not bound as declared" in verdict.sentence


def test_no_ceiling_says_why_and_gives_the_ideal():
    verdict = ceiling.judge("threads", 3.9, (3.8, 4.0), 2, None, ideal_speedup=4.0,
                            why_none=ceiling.no_ceiling_reason("io-latency", {}, 2))
    assert verdict.limit == "unknown" and verdict.efficiency_vs_ceiling is None
    assert "waiting does not use the machine" in verdict.sentence and "ideal is x4.00" in verdict.sentence
    assert "no calibration" in ceiling.no_ceiling_reason("cpu", {}, 2)


# ---------------------------------------------------------------- table and report

def with_bound(result, bound: str):
    return dataclasses.replace(result, metadata={**result.metadata, "bound": bound})


def synthetic_run(calibration: dict) -> storage.ResultSet:
    profile = {"cpu_self_s": 0.5, "cpu_children_s": 0.0, "wall_s": 0.5, "cpu_wait_s": 0.0}
    results = [
        with_bound(make_result([1.0, 1.02, 0.98, 1.01, 0.99], workload="fib", strategy="serial", workers=1,
                               metrics=profile), "cpu"),
        with_bound(make_result([0.70, 0.71, 0.69, 0.70, 0.72], workload="fib", strategy="processes"), "cpu"),
        with_bound(make_result([1.0, 1.01, 0.99], workload="fib", strategy="threads"), "cpu"),
        with_bound(make_result([1.0, 1.02, 0.98, 1.01, 0.99], workload="blend", strategy="serial", workers=1,
                               metrics=profile), "memory"),
        with_bound(make_result([0.80, 0.81, 0.79, 0.80, 0.80], workload="blend", strategy="processes"), "memory"),
    ]
    run = make_results(results)
    run.calibration = calibration
    return run


def test_tidy_gains_the_ceiling_columns():
    frame = tidy(synthetic_run(flat_calibration(cpu2=1.6, bw2=1.25)))
    for column in ("bound", "ceiling", "ceiling_kind", "efficiency_vs_ceiling", "bound_check"):
        assert column in frame.columns
    fib = frame[(frame.workload == "fib") & (frame.strategy == "processes")].iloc[0]
    assert fib.ceiling == pytest.approx(1.6) and fib.ceiling_kind == "cpu"
    assert fib.efficiency_vs_ceiling == pytest.approx(fib.speedup / 1.6)
    assert fib.bound_check == "plausible"
    blend = frame[(frame.workload == "blend") & (frame.strategy == "processes")].iloc[0]
    assert blend.ceiling_kind == "bandwidth" and blend.ceiling == pytest.approx(1.25)


def test_tidy_without_calibration_has_empty_ceilings(small_run_path):
    frame = tidy(storage.load(small_run_path))
    assert frame["ceiling"].isna().all() and frame["efficiency_vs_ceiling"].isna().all()
    assert set(frame["bound_check"]) == {"unchecked"}


def test_report_lines_judge_the_best_strategy_per_workload():
    lines = {line["workload"]: line for line in ceilingview.report_lines(synthetic_run(flat_calibration(1.6, 1.25)))}
    fib, blend = lines["fib"], lines["blend"]
    assert fib["best_strategy"] == "processes" and fib["ceiling_kind"] == "cpu"
    assert fib["speedup"] == pytest.approx(1.0 / 0.70)
    assert fib["efficiency_vs_ceiling"] == pytest.approx(fib["speedup"] / 1.6)
    assert fib["efficiency_vs_cores"] == pytest.approx(fib["speedup"] / 2)
    assert fib["bound_check"] == "plausible" and "computes" in fib["bound_finding"]
    assert blend["limit"] == "machine"  # x1.25 of a x1.25 bandwidth ceiling (of x2): the machine is the limit
    assert math.isclose(blend["ceiling"], 1.25)
    assert blend["bound_check"] == "plausible"  # cross-checked: stays within the bandwidth ceiling
    assert all(line["sentence"].endswith(".") for line in lines.values())


def test_report_lines_without_calibration_say_so(small_run_path):
    lines = ceilingview.report_lines(storage.load(small_run_path))
    assert {line["workload"] for line in lines} == {"fib", "square", "sleep"}
    assert all(line["ceiling"] is None for line in lines)
    assert all(line["sentence"].startswith("No ceiling") for line in lines)


def test_headline_and_machine_lines():
    calibration = flat_calibration()
    assert ceiling.headline(calibration).startswith("cpu ceiling x1.60")
    assert ceiling.headline({}) == "no calibration"
    lines = ceiling.machine_lines(calibration)
    assert [line["cores"] for line in lines] == [1, 2]
    assert lines[1]["cpu_value"] == pytest.approx(1.6) and lines[1]["bandwidth_gbps"] == pytest.approx(1.25)
