"""The shared-reference trial's arithmetic (bench.demos.shared_reference); its measurements are in issue 26's note."""
from __future__ import annotations

import math

import numpy as np
import pytest

from bench.demos import shared_reference as trial
from bench.demos.shared_reference import Round


def _rounds(way: str, n: int, speedup: float, seed: int, case_noise: float = 0.04) -> list[Round]:
    rng = np.random.default_rng(seed)
    k = 1 if way == "pairs" else 2
    return [Round(0.1 * math.exp(rng.normal(0, 0.01)),
                  tuple(0.1 / speedup * math.exp(rng.normal(0, case_noise)) for _ in range(k))) for _ in range(n)]


def test_a_block_rounds_case_is_the_geometric_mean_of_its_cycles():
    block = Round(0.2, (0.1, 0.4))
    assert block.case == pytest.approx(0.2) and block.seconds == pytest.approx(0.7)
    assert Round(0.2, (0.1,)).case == pytest.approx(0.1)


def test_seconds_to_one_percent_grow_with_the_square_of_the_halfwidth():
    found = trial.estimate(_rounds("pairs", 40, 1.8, seed=1))
    assert found.low < 1.8 < found.high
    assert found.seconds_to_one_percent == pytest.approx(found.seconds * (found.halfwidth / 0.01) ** 2)


def test_blocks_save_time_where_the_case_arm_is_the_noisy_one():
    """Equal rounds' seconds: a quieter case value per round (two cycles) at 1.5x a pair's cost."""
    spec = trial._spec("fib", {"n": 8, "k": 10}, "pool-map", 2, 2)
    measured = {way: [_rounds(way, 60, 1.8, seed=s + 10 * (way == "blocks")) for s in range(3)]
                for way in trial.WAYS}
    row = trial.report(spec, measured, neighbour=False)
    assert row["saved"] > 0.1
    assert row["pairs"]["violated"] == [] and row["blocks"]["checks"] == 3  # one p-cores check per chunk


def test_a_chunk_above_a_truth_is_reported_violated():
    spec = trial._spec("fib", {"n": 8, "k": 10}, "pool-map", 1, 1)
    measured = {way: [_rounds(way, 30, 1.3, seed=2, case_noise=0.01)] for way in trial.WAYS}
    row = trial.report(spec, measured, neighbour=False)
    assert any(v.startswith("one-core") for v in row["blocks"]["violated"])
