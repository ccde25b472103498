"""pyperf check's rules on a case's times: the report's "unstable" flag says what `pyperf check` says."""
from __future__ import annotations

import random

import pyperf
import pytest
from pyperf._cli import format_checks

from bench.analysis import stability

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)


def _pyperf_warns(processes):
    """(pyperf check says "may be unstable" for a reason other than too few processes, it says too few)."""
    runs = [pyperf.Run(values, metadata={"name": "b", "unit": "second"}, collect_metadata=False)
            for values in processes]
    lines = format_checks(pyperf.Benchmark(runs))
    reasons = [line for line in lines if line.startswith("* ")]
    few = [line for line in reasons if "Not enough samples" in line]
    return len(reasons) > len(few), bool(few)


def test_each_rule_alone():
    assert stability.unstable([[1.0, 1.0, 1.0]]) == ()
    assert "standard deviation" in stability.unstable([[1.0, 1.3, 0.8]])[0]
    assert any("maximum" in w for w in stability.unstable([[1.0] * 9 + [6.0]]))
    assert any("under 1 ms" in w for w in stability.unstable([[0.0005, 0.0005]]))
    assert stability.too_few_processes([[1.0, 1.01], [1.05, 1.06]])
    assert not stability.too_few_processes([[1.0, 1.01]])  # one process: pyperf cannot tell


@pytest.mark.parametrize("seed", range(40))
def test_agrees_with_pyperf_check_on_random_cases(seed):
    rng = random.Random(seed)
    scale = rng.choice([0.0004, 0.01, 0.2])
    spread = rng.choice([0.001, 0.05, 0.3])
    processes = [[scale * max(0.05, rng.gauss(1.0, spread)) for _ in range(rng.randint(2, 6))]
                 for _ in range(rng.randint(1, 3))]
    unstable, few = _pyperf_warns(processes)
    ours = bool(stability.unstable(processes))
    assert ours == unstable, (processes, stability.unstable(processes))
    if not ours:
        assert stability.too_few_processes(processes) == few
