"""pyperf's own stability checks on a case's times, so the report and `pyperf check` say the same.

`python -m pyperf check RESULTS.json` warns on each benchmark whose values vary by 10 % of
their mean or more, whose minimum or maximum lies 50 % from the mean, whose shortest value
is under 1 ms, or (when none of those) whose per-process means are too few for 95 %
certainty of 1 % (its ``required_nprocesses``).  The same rules here, on the same values
split the same way by process (``bench.storage.process_slices``), give the report's flag.
Pure: values in, words out.
"""
from __future__ import annotations

import math
import statistics
from typing import Sequence

#: pyperf check: a standard deviation of this share of the mean or more
STDEV_SHARE = 0.10
#: pyperf check: a minimum or maximum this far from the mean
OUTLIER_SHARE = 0.50
#: pyperf check: the shortest value, in seconds
SHORTEST_S = 1e-3
#: pyperf's required_nprocesses: 95 % certainty (z) of 1 % variation (w)
Z, W = 1.96, 0.01


def unstable(processes: Sequence[Sequence[float]]) -> tuple[str, ...]:
    """pyperf check's warnings that say a benchmark "may be unstable" (empty when none)."""
    values = [v for process in processes for v in process]
    if not values:
        return ()
    mean = statistics.fmean(values)
    found = []
    if len(values) >= 2 and statistics.stdev(values) >= STDEV_SHARE * mean:
        found.append(f"standard deviation {statistics.stdev(values) / mean:.0%} of the mean")
    for name, value in (("minimum", min(values)), ("maximum", max(values))):
        if abs(value - mean) >= OUTLIER_SHARE * mean:
            found.append(f"{name} {abs(value - mean) / mean:.0%} from the mean")
    if min(values) < SHORTEST_S:
        found.append(f"shortest value {min(values) * 1e6:.0f} µs (under 1 ms)")
    return tuple(found)


def too_few_processes(processes: Sequence[Sequence[float]]) -> bool:
    """pyperf check's "Not enough samples" (only asked when the sd is under 10 % of the mean)."""
    means = [statistics.fmean(p) for p in processes if p]
    if len(means) < 2:
        return False
    sigma = statistics.stdev(means) / statistics.fmean(means)
    return math.ceil(4 * Z ** 2 * sigma ** 2 / W ** 2) > len(processes)
