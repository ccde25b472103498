"""Per-CPU busy time from /proc/stat, on recorded snapshots (no live machine needed)."""
from __future__ import annotations

import pytest

from bench import procstat

pytestmark = pytest.mark.unit

#: recorded on the 2-core VM here, 1 s apart, with `bench noise --cpu 0` spinning and cpu1 idle
#: (plus a hypervisor that stole 3 ticks on cpu1)
BEFORE = """cpu  29790 0 5578 1950809 629 0 146 19 0 0
cpu0 4186 0 1747 987229 126 0 43 4 0 0
cpu1 25603 0 3830 963579 503 0 102 14 0 0
intr 1 2 3
ctxt 1234
"""
AFTER = """cpu  29891 0 5580 1950910 629 0 146 22 0 0
cpu0 4285 0 1748 987229 126 0 43 4 0 0
cpu1 25606 0 3832 963680 503 0 102 17 0 0
intr 1 2 3
ctxt 1299
"""


def test_parse_reads_each_cpu_and_skips_the_aggregate_and_other_lines():
    found = procstat.parse(BEFORE)
    assert sorted(found) == [0, 1]
    # busy = user + nice + system + irq + softirq + steal; idle and iowait are free
    assert found[0] == procstat.CpuTicks(busy=4186 + 1747 + 43 + 4, steal=4)


def test_busy_seconds_are_the_tick_deltas_over_the_chosen_cpus():
    before, after = procstat.parse(BEFORE), procstat.parse(AFTER)
    hz = procstat.TICKS_PER_S
    assert procstat.busy_seconds(before, after, [0]) == pytest.approx(100 / hz)  # the neighbour's full second
    assert procstat.busy_seconds(before, after, [1]) == pytest.approx(8 / hz)  # 3 user, 2 system, 3 steal
    assert procstat.busy_seconds(before, after, [0, 1]) == pytest.approx(108 / hz)
    assert procstat.steal_seconds(before, after, [0, 1]) == pytest.approx(3 / hz)


def test_a_cpu_missing_from_either_snapshot_gives_none_not_a_wrong_number():
    before, after = procstat.parse(BEFORE), procstat.parse(AFTER)
    assert procstat.busy_seconds(before, after, [0, 7]) is None
    assert procstat.busy_seconds(before, after, []) is None
    assert procstat.steal_total(None, [0]) is None


def test_old_kernels_without_steal_read_zero_steal():
    assert procstat.parse("cpu0 10 0 5 100 0\n")[0] == procstat.CpuTicks(busy=15, steal=0)


def test_read_gives_none_where_there_is_no_proc_stat(tmp_path):
    assert procstat.read(str(tmp_path / "missing")) is None
