"""Machine ceilings: how much of k cores this machine really gives, and what that says about a speed-up.

Pure arithmetic on stored data; the measuring is in ``bench.machine.calibrate``.

A *ceiling* is the throughput of k copies of the same fixed work, each pinned to its own CPU,
relative to one copy: 2.0 on an ideal 2-core machine, less where cores share a physical core,
a memory bus, a thermal budget or a hypervisor.  One repetition of k copies is summarised by
its makespan (the copies start together; the group's work is done when the slowest finishes),
so ``ratio = k * t_one / makespan_k``, taken over repetitions as a ratio of medians with a
bootstrap interval (``bench.analysis.stats``).  The ceiling used for judging is that ratio clipped to
k: a measured ratio above k is noise (the one-copy repetitions were disturbed), not a machine
that gives more than its CPUs, and the unclipped ratio and its interval are kept beside it.

Which ceiling applies depends on what bounds the workload (``Workload.bound``):

==================  =================================================================
cpu                 the CPU ceiling (pure-Python loop)
memory              min(CPU ceiling, bandwidth ceiling): the work computes *and* streams
io-latency          none: waiting does not use the machine; judge by the analytic ideal
external-process    the CPU ceiling: the child processes compute
==================  =================================================================
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

from bench.analysis import stats
from bench.model import CaseResult

#: which calibrated ceilings apply to each declared bound (the lowest of them wins)
BOUND_CEILINGS: dict[str, tuple[str, ...]] = {
    "cpu": ("cpu",), "memory": ("cpu", "bandwidth"), "io-latency": (), "external-process": ("cpu",),
}
#: a ceiling below this fraction of p means the machine itself loses real parallelism
MACHINE_SHORTFALL = 0.9
#: serial CPU time / wall time at or above this: the process kept a CPU busy
BUSY = 0.7
#: ... at or below this: the process mostly waited
IDLE = 0.3
#: children's share of all CPU time at or above this: the work happens in child processes
CHILDREN_DOMINATE = 0.5


@dataclass(frozen=True)
class Ceiling:
    """One calibrated ceiling at parallelism k, with its spread over repetitions."""

    kind: str  # "cpu" or "bandwidth"
    k: float
    value: float  # ratio clipped to k: what speed-ups are judged against
    ratio: float  # measured k-copies / one-copy throughput (may exceed k by noise)
    ci_low: float  # bootstrap interval of ratio
    ci_high: float
    low: float  # smallest and largest per-repetition ratio
    high: float
    repetitions: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------ from raw timings

def makespan_per_copy(copy_seconds: Sequence[float]) -> float:
    """Seconds per copy's worth of work in one repetition: makespan / k."""
    if not copy_seconds:
        raise ValueError("a repetition needs at least one copy's time")
    return max(copy_seconds) / len(copy_seconds)


def estimate(kind: str, one: Sequence[Sequence[float]], many: Sequence[Sequence[float]], seed: int = 0) -> Ceiling:
    """Ceiling of k copies (``many``: per repetition, k copies' seconds) against one copy (``one``)."""
    if not one or not many:
        raise ValueError("need repetitions of one copy and of k copies")
    k = len(many[0])
    if any(len(rep) != k for rep in many) or any(len(rep) != 1 for rep in one):
        raise ValueError("every repetition must have the same number of copies (1 for the baseline)")
    single = [makespan_per_copy(rep) for rep in one]
    group = [makespan_per_copy(rep) for rep in many]
    ratio = stats.median(single) / stats.median(group)
    low, high = stats.ratio_of_medians_ci(single, group, seed=seed)
    per_rep = [stats.median(single) / seconds for seconds in group]
    return Ceiling(kind=kind, k=k, value=min(ratio, k), ratio=ratio, ci_low=low, ci_high=high,
                   low=min(per_rep), high=max(per_rep), repetitions=len(group))


def estimates(kind: str, raw: Mapping[str, Sequence[Sequence[float]]]) -> dict[int, Ceiling]:
    """All core counts of one kind; ``raw`` maps str(k) -> repetitions (JSON keys are strings)."""
    if "1" not in raw:
        raise ValueError(f"{kind} calibration has no one-copy baseline")
    return {int(k): estimate(kind, raw["1"], reps) for k, reps in sorted(raw.items(), key=lambda kv: int(kv[0]))}


def machine_ceilings(calibration: Mapping[str, Any]) -> dict[str, dict[int, Ceiling]]:
    """{'cpu': {k: Ceiling}, 'bandwidth': {...}} from a stored calibration; {} when there is none."""
    raw = calibration.get("raw") if calibration else None
    if not isinstance(raw, Mapping):
        return {}
    found = {}
    for kind, by_k in raw.items():
        try:
            found[kind] = estimates(kind, by_k)
        except (ValueError, TypeError, AttributeError):
            continue  # a damaged kind is left out; the others still apply
    return found


def bandwidth_gbps(copy_seconds: Sequence[float], bytes_per_copy: float) -> float:
    """Aggregate streamed GB/s of one repetition: all copies' bytes over the makespan."""
    return len(copy_seconds) * bytes_per_copy / max(copy_seconds) / 1e9


def sample_summary(values: Sequence[float]) -> dict[str, float]:
    """Median, bootstrap interval of the median, min and max: how a spawn cost is reported."""
    low, high = stats.bootstrap_ci(values)
    return {"median_s": stats.median(values), "ci_low_s": low, "ci_high_s": high,
            "min_s": min(values), "max_s": max(values), "n": len(values)}


def calibration_summary(calibration: Mapping[str, Any]) -> dict[str, Any]:
    """The human-sized summary stored next to the raw timings (and printed by `bench calibrate`)."""
    summary: dict[str, Any] = {
        kind: {str(k): c.as_dict() for k, c in by_k.items()}
        for kind, by_k in machine_ceilings(calibration).items()
    }
    per_copy = calibration.get("triad_bytes_per_copy")
    for k, reps in (calibration.get("raw", {}).get("bandwidth", {}) or {}).items():
        if per_copy and str(k) in summary.get("bandwidth", {}):
            summary["bandwidth"][str(k)]["gbps"] = stats.median([bandwidth_gbps(r, per_copy) for r in reps])
    summary["spawn"] = {name: sample_summary(values)
                        for name, values in (calibration.get("spawn_raw") or {}).items() if values}
    return summary


# ------------------------------------------------------------------ which ceiling applies

def _unit(kind: str) -> Ceiling:
    return Ceiling(kind=kind, k=1, value=1.0, ratio=1.0, ci_low=1.0, ci_high=1.0, low=1.0, high=1.0,
                   repetitions=0)


def _between(a: Ceiling, b: Ceiling, p: float) -> Ceiling:
    """Linear interpolation for a p that was not calibrated (e.g. --workers 3 on 4 cores)."""
    w = (p - a.k) / (b.k - a.k)

    def mix(x: float, y: float) -> float:
        return x + w * (y - x)

    return Ceiling(kind=a.kind, k=p, value=min(mix(a.value, b.value), p), ratio=mix(a.ratio, b.ratio),
                   ci_low=mix(a.ci_low, b.ci_low), ci_high=mix(a.ci_high, b.ci_high), low=mix(a.low, b.low),
                   high=mix(a.high, b.high), repetitions=min(a.repetitions, b.repetitions))


def at(by_k: Mapping[int, Ceiling], p: int, kind: str = "cpu") -> Ceiling | None:
    """The ceiling at parallelism p: measured, interpolated between measured ks, or None beyond them."""
    if p in by_k:
        return by_k[p]
    if p == 1:
        return _unit(kind)
    points = {1: _unit(kind), **by_k}
    below = [k for k in points if k < p]
    above = [k for k in points if k > p]
    if not below or not above:
        return None
    return _between(points[max(below)], points[min(above)], p)


def for_bound(machine: Mapping[str, Mapping[int, Ceiling]], bound: str | None, p: int) -> Ceiling | None:
    """The ceiling that applies to a workload of this bound at parallelism p (lowest of those that apply)."""
    kinds = BOUND_CEILINGS.get(bound or "", ())
    found = [at(machine[kind], p, kind) if kind in machine else None for kind in kinds]
    known = [c for c in found if c is not None]
    if not found or len(known) < len(found):
        return None
    return min(known, key=lambda c: c.value)


def efficiency_vs_ceiling(speedup: float | None, ceiling: Ceiling | None) -> float | None:
    """speed-up / ceiling: 1.0 means the strategy gets everything this machine gives."""
    if speedup is None or ceiling is None or not math.isfinite(speedup) or ceiling.value <= 0:
        return None
    return speedup / ceiling.value


# ------------------------------------------------------------------ checking the declared bound

@dataclass(frozen=True)
class BoundCheck:
    bound: str | None
    status: str  # "plausible", "doubtful" or "unchecked"
    demand: float | None  # (CPU seconds + seconds waiting for a CPU) / wall seconds, serial case
    finding: str


@dataclass(frozen=True)
class Profile:
    """The serial case's time per cycle, as fractions of its wall time."""

    on_cpu: float  # own + children's CPU seconds / wall
    waiting: float | None  # runnable but preempted / wall (None: not recorded)
    children_share: float  # children's part of all CPU seconds

    @property
    def demand(self) -> float:
        """Share of wall time the work wanted a CPU: on one, or queued for one."""
        return self.on_cpu + (self.waiting or 0.0)

    def describe(self) -> str:
        queued = f" and queued for one {_pct(self.waiting)}" if self.waiting else ""
        return f"the serial case was on a CPU {_pct(self.on_cpu)} of its wall time{queued}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def check_bound(bound: str | None, cpu_self_s: float | None, cpu_children_s: float | None,
                wall_s: float | None, cpu_wait_s: float | None = None) -> BoundCheck:
    """Is the declared bound plausible, given the serial case's CPU time per cycle?

    Time spent queued for a CPU (preempted by other load on a shared machine) counts as
    wanting a CPU: without it a CPU-bound case on a busy machine would look like waiting.
    """
    if bound not in BOUND_CEILINGS:
        said = f"unknown bound {bound!r}" if bound else "no bound recorded for this workload"
        return BoundCheck(bound, "unchecked", None, said)
    if cpu_self_s is None or wall_s is None or wall_s <= 0:
        return BoundCheck(bound, "unchecked", None, f"{bound}: no CPU-time profile of the serial case in this file")
    children = cpu_children_s or 0.0
    total = cpu_self_s + children
    profile = Profile(on_cpu=total / wall_s, waiting=None if cpu_wait_s is None else cpu_wait_s / wall_s,
                      children_share=children / total if total > 0 else 0.0)
    status, finding = _BOUND_RULES[bound](profile)
    return BoundCheck(bound, status, profile.demand, f"{bound}: {finding}")


def _cpu_rule(profile: Profile) -> tuple[str, str]:
    if profile.demand >= BUSY:
        return "plausible", f"{profile.describe()}: it computes"
    return "doubtful", f"{profile.describe()}: it waits much of the time (I/O, sleep, a lock or a child)"


def _io_rule(profile: Profile) -> tuple[str, str]:
    if profile.demand <= IDLE:
        return "plausible", f"{profile.describe()}: it mostly waits"
    return "doubtful", f"{profile.describe()}: it computes rather than waits"


def _external_rule(profile: Profile) -> tuple[str, str]:
    share = _pct(profile.children_share)
    if profile.children_share >= CHILDREN_DOMINATE:
        return "plausible", f"child processes did {share} of the CPU work"
    return "doubtful", f"child processes did only {share} of the CPU work; the Python process did the rest"


def _memory_rule(profile: Profile) -> tuple[str, str]:
    # Memory stalls count as CPU time, so a busy CPU is necessary but not sufficient;
    # whether bandwidth is the limit shows only in scaling (see memory_scaling_finding).
    if profile.demand < BUSY:
        return "doubtful", f"{profile.describe()}, but memory-bound work keeps its CPU busy (stalls count as CPU time)"
    return "unchecked", f"{profile.describe()}, as expected, but CPU time cannot tell memory stalls from arithmetic"


_BOUND_RULES = {"cpu": _cpu_rule, "io-latency": _io_rule, "external-process": _external_rule,
                "memory": _memory_rule}


def memory_scaling_finding(speedup_ci: tuple[float, float], bandwidth: Ceiling | None,
                           cpu: Ceiling | None) -> tuple[str, str] | None:
    """Cross-check a memory bound against scaling, where the two ceilings differ enough to tell.

    Returns (status, finding) or None when the ceilings cannot tell (bandwidth no lower than CPU).
    """
    if bandwidth is None or cpu is None or bandwidth.ci_high >= cpu.ci_low:
        return None
    if speedup_ci[0] > bandwidth.ci_high:
        return "doubtful", (f"memory: scales to x{speedup_ci[0]:.2f} or more, past the bandwidth ceiling "
                            f"x{bandwidth.value:.2f}: its data probably fits in cache at this size")
    return "plausible", (f"memory: its speed-up stays within the bandwidth ceiling x{bandwidth.value:.2f}, "
                         f"below the CPU ceiling x{cpu.value:.2f}")


# ------------------------------------------------------------------ the verdict in words

@dataclass(frozen=True)
class Judgement:
    efficiency_vs_cores: float
    efficiency_vs_ceiling: float | None
    limit: str  # "machine", "strategy", "both", "none" (reaches a full ceiling), "above", "unknown"
    sentence: str


def no_ceiling_reason(bound: str | None, machine: Mapping[str, Mapping[int, Ceiling]], p: int) -> str:
    """Why ``for_bound`` found nothing, in words."""
    if bound == "io-latency":
        return "No machine ceiling applies (waiting does not use the machine)"
    if bound not in BOUND_CEILINGS:
        return "No ceiling: the workload's bound is not recorded in this file"
    if not machine:
        return "No ceiling: this run has no calibration (run without --no-calibrate, or see `bench calibrate`)"
    return f"No ceiling: {p} cores were not calibrated in this run"


def judge(strategy: str, speedup: float, speedup_ci: tuple[float, float], p: int,
          ceiling: Ceiling | None, ideal_speedup: float | None = None,
          why_none: str = "No machine ceiling applies") -> Judgement:
    """Say whether the strategy or the machine limits this speed-up at parallelism p."""
    eff = speedup / p
    shown = f"{strategy} reaches x{speedup:.2f} (95 % CI {speedup_ci[0]:.2f}-{speedup_ci[1]:.2f}) on {p} cores"
    if ceiling is None:
        ideal = f"; the analytic ideal is x{ideal_speedup:.2f}" if ideal_speedup else ""
        return Judgement(eff, None, "unknown", f"{why_none}: {shown}{ideal}.")
    vs = speedup / ceiling.value
    # The machine is short when its ceiling is well below p beyond its own noise; the strategy
    # reaches the ceiling when the ceiling's estimate lies within (or under) the speed-up's CI.
    machine_short = ceiling.value < MACHINE_SHORTFALL * p and ceiling.ci_high < p
    reaches = speedup_ci[1] >= ceiling.value
    label = "CPU" if ceiling.kind == "cpu" else ceiling.kind
    what = (f"this machine's {label} ceiling x{ceiling.value:.2f} "
            f"(CI {ceiling.ci_low:.2f}-{ceiling.ci_high:.2f})")
    if p == 1:
        return Judgement(eff, vs, "none", f"One core only: nothing to judge ({shown}).")
    if speedup_ci[0] > ceiling.ci_high:
        return Judgement(eff, vs, "above", f"{shown}, above {what}: the work is not bound as declared, "
                                           "or the calibration was disturbed.")
    if reaches and machine_short:
        return Judgement(eff, vs, "machine", f"The machine, not the strategy, is the limit: {shown}, "
                                             f"which is {what} (x{p} would be perfect).")
    if reaches:
        return Judgement(eff, vs, "none", f"{shown}: as far as the machine allows ({what}).")
    if machine_short:
        return Judgement(eff, vs, "both", f"Both limit it: the machine gives only x{ceiling.value:.2f} of x{p}, "
                                          f"and {shown}, {_pct(vs)} of that; the rest of the gap is the strategy's.")
    return Judgement(eff, vs, "strategy", f"The strategy, not the machine, is the limit: {shown}, "
                                          f"{_pct(vs)} of {what}.")


# ------------------------------------------------------------------ table and report

def _bound_of(result: CaseResult, serial: CaseResult | None) -> str | None:
    bound = result.metadata.get("bound") or (serial.metadata.get("bound") if serial else None)
    return str(bound) if bound else None


def bound_check_from_metrics(bound: str | None, metrics: Mapping[str, Any]) -> BoundCheck:
    """check_bound on a serial case's stored metrics (bench.measure.cpu_usage names them)."""
    def get(name: str) -> float | None:
        value = metrics.get(name)
        return float(value) if value is not None and value == value else None  # NaN from a table: missing

    return check_bound(bound, get("cpu_self_s"), get("cpu_children_s"), get("wall_s"), get("cpu_wait_s"))


def serial_bound_check(bound: str | None, serial: CaseResult | None) -> BoundCheck:
    return bound_check_from_metrics(bound, serial.metrics if serial else {})


Machine = Mapping[str, Mapping[int, Ceiling]]


def readings(calibration: Mapping[str, Any]) -> list[tuple[float | None, Machine]]:
    """The run's ceiling readings with when each was taken: before the matrix and, if any, after it."""
    from bench.machine.drift import calibration_time

    found: list[tuple[float | None, Machine]] = [(calibration_time(calibration), machine_ceilings(calibration))]
    end = calibration.get("end")
    if isinstance(end, Mapping):
        found.append((calibration_time(end), machine_ceilings(end)))
    return found


def nearest(found: Sequence[tuple[float | None, Machine]], when: float | None) -> Machine:
    """The reading taken nearest ``when`` (epoch s); the first one when times are unknown."""
    if when is None:
        return found[0][1]
    timed = [(abs(at_time - when), machine) for at_time, machine in found if at_time is not None]
    if not timed:
        return found[0][1]
    return min(timed, key=lambda item: item[0])[1]


def case_time(result: CaseResult) -> float | None:
    """When a case was measured: the middle of its rounds (epoch s), if they were stamped."""
    starts = result.metadata.get("value_starts") or []
    return float(sorted(starts)[len(starts) // 2]) if starts else None


def _ceiling_note(efficiency: float | None, ceiling: Ceiling | None, p: int,
                  found: Sequence[tuple[float | None, Machine]], bound: str | None) -> str:
    """Why an efficiency above 1 is possible: the ceiling reading itself, stated with every reading."""
    if efficiency is None or ceiling is None or efficiency <= 1.0:
        return ""
    values = [c.value for _, machine in found if (c := for_bound(machine, bound, p)) is not None]
    listed = ", ".join(f"x{v:.2f}" for v in values)
    return (f"above the measured ceiling x{ceiling.value:.2f} (CI {ceiling.ci_low:.2f}-{ceiling.ci_high:.2f}; "
            f"readings this run: {listed}): the ceiling reading was noisy or the machine moved")


def columns(result: CaseResult, serial: CaseResult | None, speedup: float | None,
            found: Sequence[tuple[float | None, Machine]]) -> dict[str, Any]:
    """The tidy table's ceiling columns for one case (``found`` from ``readings``), nearest reading first."""
    bound = _bound_of(result, serial)
    p = result.case.parallelism
    ceiling = for_bound(nearest(found, case_time(result)), bound, p)
    efficiency = efficiency_vs_ceiling(speedup, ceiling)
    return {"bound": bound, "ceiling": ceiling.value if ceiling else None,
            "ceiling_kind": ceiling.kind if ceiling else None, "efficiency_vs_ceiling": efficiency,
            "ceiling_note": _ceiling_note(efficiency, ceiling, p, found, bound),
            "bound_check": serial_bound_check(bound, serial).status}


def headline(calibration: Mapping[str, Any]) -> str:
    """One line for the terminal: the ceilings at the largest calibrated core count."""
    machine = machine_ceilings(calibration)
    parts = []
    for kind in ("cpu", "bandwidth"):
        if machine.get(kind):
            c = machine[kind][max(machine[kind])]
            parts.append(f"{kind} ceiling x{c.value:.2f} (CI {c.ci_low:.2f}-{c.ci_high:.2f}) on {c.k:g} cores")
    return "; ".join(parts) if parts else "no calibration"


def machine_lines(calibration: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per calibrated core count: both ceilings with spread, and streamed GB/s (for the report)."""
    machine = machine_ceilings(calibration)
    summary = calibration_summary(calibration) if machine else {}
    lines = []
    for k in sorted({k for by_k in machine.values() for k in by_k}):
        line: dict[str, Any] = {"cores": k}
        for kind in ("cpu", "bandwidth"):
            c = machine.get(kind, {}).get(k)
            for field_name in ("value", "ratio", "ci_low", "ci_high", "low", "high"):
                line[f"{kind}_{field_name}"] = getattr(c, field_name) if c else None
        line["bandwidth_gbps"] = summary.get("bandwidth", {}).get(str(k), {}).get("gbps")
        lines.append(line)
    return lines
