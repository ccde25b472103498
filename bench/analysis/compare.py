"""Regression verdicts between two result sets (BASE and NEW).  Pure: data in, data out.

Matching
--------
A case's identity is (workload, strategy, cores, workers, mode, start_method,
python): everything in ``Case.key`` except the workload parameters.  Cases are
paired by full key first, then the leftovers by identity when it is unique on
both sides, so that ``--set sleep.seconds=0.033`` in NEW still compares with
``seconds=0.03`` in BASE (flagged ``params_changed``) instead of producing two
unrelated "only in one file" lists.  Whatever stays unpaired is listed with
status ``only_base`` / ``only_new``, never dropped.

Statistics (``bench.analysis.stats.compare_samples``)
--------------------------------------------
A case is a regression only when the Mann-Whitney U test on the raw values is
significant at ``alpha`` *and* the whole bootstrap interval of the ratio of
medians is worse than ``1 + threshold``.  The rank test holds the
false-positive rate at alpha whatever the (skewed, outlier-prone) shape of
timing noise, for any sample sizes; the threshold guards against what no
within-run test can see (run-to-run drift of a shared machine); asking the
interval, not the point estimate, to clear it is the guard against the many
tests of a matrix (Bonferroni is no option: with 5 values a side the smallest
possible p is 0.008, so over dozens of cases every case would be untestable).
A significant change whose point estimate passes the threshold but whose
interval does not is ``inconclusive``: listed with the changes, not gating.

Between-run noise (``add_run_noise``): two runs made one after the other differ by
more than a case's own values show, because the machine itself moves between them
(its 2-core ceiling read x1.25, x1.75 and x1.49 in three quick runs 5 minutes apart
here).  With at least ``stats.MIN_RUN_NOISE_CASES`` tested cases, the spread of all
the cases' changes estimates that noise (Efron's empirical null: most cases did not
change), and it is added to each case's interval at the family-wise level, so two
runs of unchanged code pass as a whole.  Sequential quick runs here: 2, 6 and 5
chance regressions per comparison without it, 0-2 with it; interleaved runs
(``bench ab``) have little between-run noise, so little is added.

Metrics
-------
* ``time``: the case's raw values (seconds, lower is better).
* ``speedup``: one speed-up per pair, ``reference[i] / case[i]``, where the case
  measured its values in rounds with a serial reference cycle (schema 2): each
  ratio is of two cycles measured one after the other, so drift of the machine
  between or within the two runs cancels.  When both sides are paired, the change
  is that of the speed-up the report shows (trimmed geometric mean of the pair
  ratios), with Yuen's interval joined to the bootstrap (``stats.speedup_change``),
  so compare and report never disagree about a case.  Files without pairs fall back to
  per-value speed-ups ``serial[i mod n_serial] / case[i]``, the
  serial baseline taken from the *same file* (same workload parameters, cores and
  interpreter), compared with ``higher_is_better``.  Pairing value i with serial
  value i (both the i-th measurement after warm-up in their processes) keeps one
  speed-up per case value, so the sample size is honest (a bootstrap or all
  n x m ratios would inflate it and make the rank test over-confident), and the
  serial noise is inside the spread instead of being frozen into a median.
  A uniformly faster or slower machine cancels out; serial cases are the
  reference and are not compared.

The two sides of one `bench ab` case (``same_rounds``: value i of each measured in
round i) are compared over their rounds with either metric: the change is the
trimmed geometric mean of the per-round ratios, with the paired interval and a
signed-rank test (``stats.compare_rounds``), since load shared by a round cancels
in its ratio and would only widen a comparison of the two series apart;
where the files say how the rounds split over fresh process pairs, the interval
also spans a t interval over each pair's own mean (``stats.between_processes``):
the pair's luck repeats in every one of its rounds, so rounds alone cannot show it.

Statuses
--------
``regression`` and ``newly_failing`` (ok in BASE, failed in NEW: a crash or a
wrong result is worse than any slowdown) fail the gate.  ``improvement``,
``inconclusive``, ``fixed`` (failed in BASE, ok in NEW), ``unchanged``, ``still_failing`` and
``untested`` (too few values to ever reach alpha, or no serial baseline for a
speed-up; ``reason`` says which) do not.

Coverage
--------
A NEW that measured less than BASE must not pass by saying nothing: an
interrupted NEW, BASE cases missing from NEW (a skipped workload, an empty
run) or fewer ok cases in NEW than in BASE fail the gate too
(``GateSummary.coverage``), unless ``allow_missing`` accepts them explicitly.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any, Iterable, Sequence

from bench.analysis import stats
from bench.analysis.compare_defaults import DEFAULT_THRESHOLD_WHY
from bench.analysis.compare_defaults import CompareOptions as CompareOptions  # its home since the parser needs it
from bench.analysis.table import baselines
from bench.machine import drift
from bench.model import Case, CaseResult, ParamValue
from bench.storage import ResultSet, counts_fit


class Status(StrEnum):
    """A case's verdict, in display order (what needs attention first); a str, so JSON writes its value."""

    REGRESSION = "regression"
    NEWLY_FAILING = "newly_failing"
    IMPROVEMENT = "improvement"
    INCONCLUSIVE = "inconclusive"
    FIXED = "fixed"
    UNCHANGED = "unchanged"
    UNTESTED = "untested"
    STILL_FAILING = "still_failing"
    ONLY_BASE = "only_base"
    ONLY_NEW = "only_new"

    @property
    def fails_gate(self) -> bool:
        """A slower case, or one that broke (a crash or a wrong result is worse than any slowdown)."""
        return self in (Status.REGRESSION, Status.NEWLY_FAILING)

    @property
    def changed(self) -> bool:
        """Listed in the "what changed" part of a report."""
        return self in (Status.REGRESSION, Status.NEWLY_FAILING, Status.IMPROVEMENT, Status.INCONCLUSIVE,
                        Status.FIXED)

    @property
    def label(self) -> str:
        return _WORDS[self.value][0]

    def count_text(self, count: int) -> str:
        """'4 regressions', '1 still failing'."""
        one, many = _WORDS[self.value]
        return f"{count} {one if count == 1 else many}"


_WORDS = {"regression": ("regression", "regressions"), "newly_failing": ("newly failing", "newly failing"),
          "improvement": ("improvement", "improvements"), "inconclusive": ("inconclusive", "inconclusive"),
          "fixed": ("fixed", "fixed"), "unchanged": ("unchanged", "unchanged"), "untested": ("untested", "untested"),
          "still_failing": ("still failing", "still failing"), "only_base": ("only in BASE", "only in BASE"),
          "only_new": ("only in NEW", "only in NEW")}
#: display order: what needs attention first
ORDER: tuple[Status, ...] = tuple(Status)
#: statuses of a case that both files measured and the test judged
COMPARED: tuple[Status, ...] = (Status.REGRESSION, Status.IMPROVEMENT, Status.INCONCLUSIVE, Status.UNCHANGED)
#: statuses that fail the gate (exit 1)
GATING: tuple[Status, ...] = tuple(s for s in Status if s.fails_gate)
#: machine/software fields whose difference makes a time comparison suspect
ENVIRONMENT_FIELDS = ("cpu_model", "cpu_count", "cpu_affinity", "python_version", "python_implementation",
                      "python_gil", "hostname")

#: (workload, strategy, cores, workers, mode, start_method, python)
Identity = tuple[Any, ...]


@dataclass(frozen=True)
class CaseComparison:
    """The verdict on one case (or one case present in only one file)."""

    identity: str  # the case without its parameters, e.g. sleep/threads/cores=2/workers=4/warm
    status: Status
    workload: str
    base_key: str | None
    new_key: str | None
    params_base: dict[str, ParamValue] | None
    params_new: dict[str, ParamValue] | None
    stats: stats.Comparison | None = None
    reason: str = ""  # why untested, or the failure message(s)
    error_base: str = ""
    error_new: str = ""

    @property
    def params_changed(self) -> bool:
        return None not in (self.params_base, self.params_new) and self.params_base != self.params_new

    def params_change_text(self) -> str:
        """'seconds=0.03->0.033' for each parameter that differs; '' when none."""
        if not self.params_changed:
            return ""
        base, new = self.params_base or {}, self.params_new or {}
        names = sorted(set(base) | set(new))
        return ", ".join(f"{n}={base.get(n, '-')}->{new.get(n, '-')}" for n in names if base.get(n) != new.get(n))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["params_changed"] = self.params_changed
        return data


@dataclass(frozen=True)
class GateSummary:
    counts: dict[Status, int]  # a Status is its value, so JSON and lookups by name see strings
    failed: bool  # the gate: a regression, a newly failing case, or (unless allowed) a coverage problem
    n_base: int
    n_new: int
    warnings: tuple[str, ...] = ()
    #: why NEW does not cover BASE (see coverage_problems); gating unless allow_missing
    coverage: tuple[str, ...] = ()
    #: the between-run noise added to every tested case (sd of a log change), from how many cases;
    #: None when it was not estimated (switched off, or fewer than MIN_RUN_NOISE_CASES tested cases)
    run_noise: float | None = None
    run_noise_cases: int = 0


@dataclass(frozen=True)
class CompareReport:
    options: CompareOptions
    cases: list[CaseComparison]
    summary: GateSummary
    threshold_reasoning: str = field(default=DEFAULT_THRESHOLD_WHY)

    def by_status(self, *statuses: str) -> list[CaseComparison]:
        return [c for c in self.cases if c.status in statuses]

    def to_dict(self) -> dict[str, Any]:
        return {"options": asdict(self.options), "summary": asdict(self.summary),
                "threshold_reasoning": self.threshold_reasoning,
                "cases": [c.to_dict() for c in self.cases]}


# ---------------------------------------------------------------- matching

def identity(case: Case) -> Identity:
    return (case.workload, case.strategy, case.cores, case.workers, case.mode, case.start_method, case.python)


def identity_label(case: Case) -> str:
    parts = [case.workload, case.strategy, f"cores={case.cores}", f"workers={case.workers}", case.mode]
    if case.start_method:
        parts.append(f"start={case.start_method}")
    if case.python:
        parts.append(f"python={case.python}")
    return "/".join(parts)


def _first_by_key(results: Iterable[CaseResult]) -> dict[str, CaseResult]:
    found: dict[str, CaseResult] = {}
    for result in results:
        found.setdefault(result.case.key, result)
    return found


def _unique_by_identity(results: Iterable[CaseResult]) -> dict[Identity, CaseResult]:
    groups: dict[Identity, list[CaseResult]] = {}
    for result in results:
        groups.setdefault(identity(result.case), []).append(result)
    return {ident: group[0] for ident, group in groups.items() if len(group) == 1}


def match(base: Sequence[CaseResult], new: Sequence[CaseResult]
          ) -> tuple[list[tuple[CaseResult, CaseResult]], list[CaseResult], list[CaseResult]]:
    """Pairs (exact key first, then unique identity), then BASE-only and NEW-only cases."""
    base_keys, new_keys = _first_by_key(base), _first_by_key(new)
    pairs = [(base_keys[k], new_keys[k]) for k in base_keys if k in new_keys]
    rest_base = [r for k, r in base_keys.items() if k not in new_keys]
    rest_new = [r for k, r in new_keys.items() if k not in base_keys]
    base_ids, new_ids = _unique_by_identity(rest_base), _unique_by_identity(rest_new)
    paired = [ident for ident in base_ids if ident in new_ids]
    pairs += [(base_ids[ident], new_ids[ident]) for ident in paired]
    taken = {id(base_ids[i]) for i in paired} | {id(new_ids[i]) for i in paired}
    return (pairs, [r for r in rest_base if id(r) not in taken], [r for r in rest_new if id(r) not in taken])


# ---------------------------------------------------------------- samples per metric

def speedup_samples(serial_values: Sequence[float], case_values: Sequence[float]) -> list[float]:
    """One speed-up per case value: ``serial[i mod n_serial] / case[i]`` (see the module doc)."""
    if not serial_values or not case_values:
        return []
    return [serial_values[i % len(serial_values)] / value for i, value in enumerate(case_values)]


def _samples(result: CaseResult, serials: dict[tuple[Any, ...], CaseResult], metric: str,
             side: str) -> tuple[list[float], str]:
    """The values to compare for one side, or [] and why not."""
    if metric == "time":
        return list(result.values), ("" if result.values else f"no values in {side}")
    if result.case.is_serial:
        return [], "serial case: the speed-up reference"
    if result.paired:  # one ratio per pair: each measured within one round
        return [float(r) for r in stats.pair_ratios(result.reference, result.values)], ""
    serial = serials.get(result.case.baseline_key)
    if serial is None:
        return [], f"no serial baseline in {side}"
    return speedup_samples(serial.values, result.values), ""


# ---------------------------------------------------------------- verdicts

def _entry(base: CaseResult | None, new: CaseResult | None, status: Status | str, **extra: Any) -> CaseComparison:
    either = new or base
    assert either is not None, "an entry has a case on at least one side"
    case = either.case
    return CaseComparison(
        identity=identity_label(case), status=Status(status), workload=case.workload,
        base_key=base.case.key if base else None, new_key=new.case.key if new else None,
        params_base=base.case.params_dict if base else None, params_new=new.case.params_dict if new else None,
        error_base=base.error if base else "", error_new=new.error if new else "", **extra)


def _failure_status(base: CaseResult, new: CaseResult) -> Status | None:
    if base.ok and not new.ok:
        return Status.NEWLY_FAILING
    if not base.ok and new.ok:
        return Status.FIXED
    if not base.ok and not new.ok:
        return Status.STILL_FAILING
    return None


def same_rounds(base: CaseResult, new: CaseResult, old_sample: Sequence[float], new_sample: Sequence[float]) -> bool:
    """Both sides of one `bench ab` case: value i of each (and its sample's item i) measured in round i.

    `bench ab` stamps every value (``value_starts``); rounds of one run never overlap, so
    each round's two stamps come before the next round's.  Two separate runs fail that.
    """
    a, b = base.metadata.get("value_starts"), new.metadata.get("value_starts")
    if not a or not b or len(a) < 2 or len({len(a), len(b), len(old_sample), len(new_sample)}) != 1:
        return False
    rounds = list(zip(a, b))
    return all(max(earlier) <= min(later) for earlier, later in zip(rounds, rounds[1:]))


def same_processes(base: CaseResult, new: CaseResult, n: int) -> list[int] | None:
    """How both sides' ``n`` rounds split over the process pairs that measured them (None when unknown).

    A `bench ab` file from before the split was recorded, or a side whose values do not
    add up, gives None: the comparison is then over rounds alone, as it was.
    """
    a, b = base.metadata.get("process_values"), new.metadata.get("process_values")
    return a if a == b and counts_fit(a, n) and all(a) else None


def compare_pair(base: CaseResult, new: CaseResult, base_serials: dict[tuple[Any, ...], CaseResult],
                 new_serials: dict[tuple[Any, ...], CaseResult], options: CompareOptions) -> CaseComparison:
    failure = _failure_status(base, new)
    if failure is not None:
        return _entry(base, new, failure, reason=new.error or base.error)
    old_sample, why_old = _samples(base, base_serials, options.metric, "BASE")
    new_sample, why_new = _samples(new, new_serials, options.metric, "NEW")
    if not old_sample or not new_sample:
        return _entry(base, new, "untested", reason=why_old or why_new)
    speedups = options.metric == "speedup"
    try:
        if same_rounds(base, new, old_sample, new_sample):
            result = stats.compare_rounds(old_sample, new_sample, alpha=options.alpha, threshold=options.threshold,
                                          resamples=options.resamples, seed=options.seed, higher_is_better=speedups,
                                          processes=same_processes(base, new, len(old_sample)))
        else:
            result = stats.compare_samples(old_sample, new_sample, alpha=options.alpha, threshold=options.threshold,
                                           resamples=options.resamples, seed=options.seed, higher_is_better=speedups,
                                           pair_ratios=speedups and base.paired and new.paired)
    except ValueError as exc:  # e.g. a zero timing: nothing to test, say why
        return _entry(base, new, "untested", reason=str(exc))
    status = Status.UNTESTED if result.reason else Status(result.verdict)
    return _entry(base, new, status, stats=result, reason=result.reason or "")


def _environment_warnings(base: ResultSet, new: ResultSet, metric: str, threshold: float) -> list[str]:
    warnings = []
    changed = machine_drift(base, new, threshold)
    if changed:
        warnings.append(f"the machine itself changed between BASE and NEW ({'; '.join(changed)}, from each run's "
                        "calibration): changes of that size may be the machine's, not the code's; rerun, or "
                        "interleave the two with bench ab")
    differ = [k for k in ENVIRONMENT_FIELDS
              if k in base.metadata and k in new.metadata and base.metadata[k] != new.metadata[k]]
    if differ and metric == "time":
        warnings.append(f"BASE and NEW ran in different environments ({', '.join(differ)} differ): "
                        "times may not be comparable; --metric speedup cancels a uniformly faster or slower machine")
    if not base.complete:  # NEW's is a coverage problem, which gates
        warnings.append("BASE is an incomplete run (interrupted?)")
    for name, results in (("BASE", base), ("NEW", new)):
        moved = drift.warning(drift.drift(results.cases, results.calibration))
        if moved:
            warnings.append(f"{name}: {moved}")
        load, cpus = median_load(results), results.metadata.get("cpu_count")
        if load is not None and isinstance(cpus, (int, float)) and load > cpus:
            remedy = ("A and B were interleaved, which spreads it over both" if "ab" in results.config
                      else "expect spurious changes; bench ab interleaves A and B")
            warnings.append(f"{name} was measured under load average {load:.1f} on {cpus:g} CPUs: other work "
                            f"competed with the cases ({remedy})")
    return warnings


def machine_drift(base: ResultSet, new: ResultSet, threshold: float) -> list[str]:
    """The machine's own changes between BASE and NEW beyond the threshold, as phrases.

    Each run calibrates the machine before its cases; when a single core got
    slower or a second core stopped being a whole core (a noisy neighbour on a
    shared VM), time and speed-up changes of the cases can be the machine's.
    """
    return drift.speed_changes(drift.machine_speeds(base.calibration), drift.machine_speeds(new.calibration),
                               threshold)


def median_load(results: ResultSet) -> float | None:
    """Median 1-minute load average recorded by the cases; None when none recorded it."""
    loads = sorted(float(v) for r in results.cases
                   if isinstance(v := r.metadata.get("load_avg_1min"), (int, float)) and v >= 0)
    return loads[len(loads) // 2] if loads else None


def coverage_problems(base: ResultSet, new: ResultSet, entries: Sequence[CaseComparison]) -> list[str]:
    """Why NEW measured less than BASE, one phrase each; empty when it covers BASE.

    A gate that only judges matched cases passes an empty or interrupted NEW
    ("52 only in BASE", exit 0), so a CI job whose run broke would go green.
    """
    problems = []
    if not new.complete:
        problems.append("NEW is an incomplete run (interrupted or still running)")
    missing = sum(entry.status == "only_base" for entry in entries)
    if missing:
        problems.append(f"{missing} of {len(base.cases)} BASE cases are missing from NEW")
    ok_base, ok_new = (sum(r.ok for r in results.cases) for results in (base, new))
    if ok_new < ok_base:
        problems.append(f"NEW has fewer ok cases than BASE ({ok_new} < {ok_base})")
    if (base.cases or new.cases) and not any(entry.status in COMPARED for entry in entries):
        problems.append("no case was compared (each failed, was untested or is in one file only): a gate that "
                        "compared nothing must not pass")
    return problems


def _tested(entry: CaseComparison) -> bool:
    return entry.stats is not None and entry.stats.reason is None


def add_run_noise(entries: list[CaseComparison], options: CompareOptions
                   ) -> tuple[list[CaseComparison], float | None, int]:
    """Every tested case with the matrix's between-run noise in its interval; (entries, sigma, cases).

    What one case's values cannot show, the whole matrix can: see ``stats.run_noise``.  The
    noise enters at the family-wise level (``stats.familywise_z``), so two runs of the same
    code pass as a whole, not case by case.
    """
    tested = [e for e in entries if _tested(e)]
    if not options.run_noise or len(tested) < stats.MIN_RUN_NOISE_CASES:
        return entries, None, 0
    sigma = stats.run_noise([e.stats.ratio for e in tested if e.stats is not None])
    z = stats.familywise_z(options.alpha, len(tested))
    return [_renoised(e, sigma, z) if _tested(e) else e for e in entries], sigma, len(tested)


def _renoised(entry: CaseComparison, sigma: float, z: float) -> CaseComparison:
    assert entry.stats is not None
    result = stats.with_run_noise(entry.stats, sigma, z)
    return replace(entry, stats=result, status=Status(result.verdict))


def _sort_key(entry: CaseComparison) -> tuple[int, float, str]:
    change = entry.stats.change if entry.stats else 0.0
    worse_first = -abs(change)
    return ORDER.index(entry.status), worse_first, entry.identity


def _listed(values: Iterable[Any]) -> str:
    """Comma-separated, each value once, in order."""
    return ",".join(str(value) for value in dict.fromkeys(values))


def _set_words(base: ResultSet, new: ResultSet, workloads: Sequence[str]) -> list[str]:
    """The runs' own ``--set`` overrides of these workloads: for both sides, or each side its own."""
    def sets(results: ResultSet) -> list[str]:
        overrides = results.config.get("overrides") or {}
        return [f"{w}.{k}={v}" for w in dict.fromkeys(workloads) for k, v in (overrides.get(w) or {}).items()]

    base_sets, new_sets = sets(base), sets(new)
    if base_sets == new_sets:
        return [f"--set {item}" for item in new_sets]
    return [f"--a-set {item}" for item in base_sets] + [f"--b-set {item}" for item in new_sets]


def recheck_words(base: ResultSet, new: ResultSet, cases: Sequence[Case], metric: str) -> list[str]:
    """``bench ab`` and the matrix options that re-measure just these cases (sides not included).

    The matrix crosses what the cases use, so it may hold a few more.  Workloads from
    ``--workload-module`` need their module; a ``--task`` run its --task/--inputs (the caller adds those).
    """
    words = ["bench ab", f"--workloads {_listed(c.workload for c in cases)}",
             f"--strategies {_listed(c.strategy for c in cases)}",
             f"--cores {_listed(sorted(c.cores for c in cases))}",
             f"--workers {_listed(sorted(c.workers for c in cases))}",
             f"--modes {_listed(c.mode for c in cases)}"]
    methods = [c.start_method for c in cases if c.start_method]
    words += [f"--start-methods {_listed(methods)}"] if methods else []
    words += _set_words(base, new, [c.workload for c in cases])
    profile = new.config.get("profile")
    words += [f"--profile {profile}"] if profile and profile != "quick" else []
    words += ["--references"] if metric == "speedup" else []
    return words


def confirm_hint(base: ResultSet, new: ResultSet, regressed: Sequence[Case], metric: str) -> str | None:
    """The ``bench ab`` command that re-measures just the regressed cases with the two sides interleaved.

    Two runs made one after the other cannot tell a change of the code from a change of the
    machine in between: on the 2-core VM here a case's speed-up landed 35-50 % away from its
    other runs in one run of five while its own pairs agreed.  Interleaving the two versions
    cycle by cycle can; None when there is nothing to confirm or the files already come from
    ``bench ab``.
    """
    if not regressed or "ab" in base.config or "ab" in new.config:
        return None
    words = [*recheck_words(base, new, regressed, metric), "--a-pythonpath BASE_CHECKOUT",
             "--b-pythonpath NEW_CHECKOUT"]
    return (f"the {len(regressed)} regression(s) compare two runs made apart, which cannot tell the code from "
            f"the machine; to confirm, interleave the two versions on just those cases: {' '.join(words)}, "
            f"then bench compare its two files{' --metric speedup' if metric == 'speedup' else ''} "
            "(in a git repository, from NEW's checkout: --base BASE_COMMIT instead of the two --*-pythonpath, "
            "and the comparison is made in the same command)")


def compare(base: ResultSet, new: ResultSet, options: CompareOptions = CompareOptions()) -> CompareReport:
    """Every case of BASE and NEW with its verdict, worst first, and the gate's summary."""
    pairs, only_base, only_new = match(base.cases, new.cases)
    base_serials, new_serials = baselines(base), baselines(new)
    entries = [compare_pair(b, n, base_serials, new_serials, options) for b, n in pairs]
    entries, sigma, tested = add_run_noise(entries, options)
    regressed = [n.case for (_, n), e in zip(pairs, entries) if e.status == Status.REGRESSION]
    entries += [_entry(r, None, "only_base") for r in only_base]
    entries += [_entry(None, r, "only_new") for r in only_new]
    entries.sort(key=_sort_key)
    counts = {status: sum(e.status == status for e in entries) for status in ORDER}
    coverage = tuple(coverage_problems(base, new, entries))
    failed = any(counts[s] for s in GATING) or bool(coverage and not options.allow_missing)
    summary = GateSummary(counts=counts, failed=failed, n_base=len(base.cases), n_new=len(new.cases),
                      warnings=tuple(_environment_warnings(base, new, options.metric, options.threshold))
                      + tuple(filter(None, [confirm_hint(base, new, regressed, options.metric)])),
                      coverage=coverage, run_noise=sigma, run_noise_cases=tested)
    return CompareReport(options=options, cases=entries, summary=summary)
