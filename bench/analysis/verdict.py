"""The verdict: per workload, which strategy and how many workers, and what speed-up.

Judged at the workload's largest measured core count, i.e. the whole machine as measured:
a strategy that wins on one core of a two-core machine is not the answer to "how do I use
this machine".  Each strategy is represented by its best (workers, mode) there; the best of
those is the answer, the next strategy the runner-up.
"""
from __future__ import annotations

from dataclasses import dataclass

from bench.analysis import disturbance, race
from bench.analysis.records import Instance, Record, instance, strategy_label, usable


@dataclass(frozen=True)
class Choice:
    """One (strategy, workers, mode) at one core count, with its speed-up."""

    strategy: str
    mode: str
    cores: int
    workers: int
    speedup: float
    ci_low: float | None
    ci_high: float | None
    efficiency: float | None

    @property
    def faster_than_serial(self) -> bool:
        return self.ci_low is not None and self.ci_low > 1.0

    @property
    def slower_than_serial(self) -> bool:
        return self.ci_high is not None and self.ci_high < 1.0


@dataclass(frozen=True)
class VerdictRow:
    instance: Instance
    label: str
    cores: int | None
    best: Choice | None
    runner_up: Choice | None
    reading: str
    n_failed: int
    #: why the best case is not faster: its dominant loss and task-size bound, in words
    why: str = ""
    #: "Not decided: machine busy (...)" when a candidate case was disturbed by another process
    busy: str = ""
    #: whether the best is known (bench.analysis.race.decide): "decided: ..." or "not decided in the budget: ..."
    decision: str = ""

    @property
    def recommends(self) -> bool:
        """Whether the verdict names a strategy to use (not "Stay serial", "No clear gain" or busy)."""
        return self.best is not None and self.best.faster_than_serial and not self.busy


def _choice(record: Record) -> Choice:
    return Choice(strategy=strategy_label(record), mode=str(record["mode"]), cores=int(record["cores"]),
                  workers=int(record["workers"]), speedup=float(record["speedup"]),
                  ci_low=record.get("speedup_ci_low"), ci_high=record.get("speedup_ci_high"),
                  efficiency=record.get("efficiency"))


def ranked_strategies(rows: list[Record]) -> list[Choice]:
    """Each strategy's best case, best first (ties: fewer workers, then name)."""
    best: dict[str, Choice] = {}
    for record in rows:
        choice = _choice(record)
        current = best.get(choice.strategy)
        if current is None or (choice.speedup, -choice.workers) > (current.speedup, -current.workers):
            best[choice.strategy] = choice
    return sorted(best.values(), key=lambda c: (-c.speedup, c.workers, c.strategy))


def _overlap(a: Choice, b: Choice) -> bool:
    if a.ci_low is None or a.ci_high is None or b.ci_low is None or b.ci_high is None:
        return False
    return a.ci_low <= b.ci_high and b.ci_low <= a.ci_high


NOT_MEASURED = ("No parallel case was measured (cut by the budget or skipped: see the skipped items): "
                "nothing to recommend.")


def reading(best: Choice | None, runner_up: Choice | None) -> str:
    """The verdict in words, honest about noise."""
    if best is None:
        return "No parallel case succeeded: nothing to recommend."
    if best.faster_than_serial:
        text = f"Use {best.strategy} with {best.workers} workers."
    elif best.slower_than_serial:
        text = "Stay serial: no parallel strategy beats serial here."
    else:
        text = "No clear gain: the best speed-up's interval includes 1 (serial)."
    if runner_up is not None and _overlap(best, runner_up) and not best.slower_than_serial:
        text += f" {runner_up.strategy} is within noise of it."
    return text


def verdict_row(inst: Instance, label: str, rows: list[Record]) -> VerdictRow:
    mine = [r for r in rows if instance(r) == inst]
    failed = sum(not r.get("ok") for r in mine)
    candidates = [r for r in mine if usable(r)]
    if not candidates:
        text = reading(None, None) if failed else NOT_MEASURED  # none failed: none was measured (a budget's cut)
        return VerdictRow(inst, label, None, None, None, text, failed)
    top = max(int(r["cores"]) for r in candidates)
    at_top = [r for r in candidates if int(r["cores"]) == top]
    busy = disturbance.busy_reading(at_top)  # a disturbed case measured the neighbour: not ranked
    ranked = ranked_strategies([r for r in at_top if not disturbance.is_disturbed(r)])
    best, runner_up = (ranked[0] if ranked else None), (ranked[1] if len(ranked) > 1 else None)
    serial = [r for r in mine if r.get("strategy") == "serial"]
    decision = decided(best, runner_up, at_top + serial) if best is not None else ""
    text = reading(best, runner_up) + (f" {decision[0].upper()}{decision[1:]}." if decision else "") \
        if best is not None or not busy else ""
    text = f"{busy} Among the undisturbed cases: {text}" if busy and text else (busy or text)
    return VerdictRow(inst, label, top, best, runner_up, text, failed, busy=busy, decision=decision)


def decided(best: Choice, runner_up: Choice | None, rows: list[Record]) -> str:
    """Whether the best is known, in words (bench.analysis.race.decide); "" for files without pairs."""
    found = race_runner(best, rows)
    if found is None:
        return ""
    if best.slower_than_serial:  # which parallel case loses least does not change "stay serial"
        return "decided: no parallel case reaches serial"
    other = race_runner(runner_up, rows) if runner_up is not None else None
    return race.decide(found, other).words


def race_runner(choice: Choice, rows: list[Record]) -> race.Runner | None:
    """The choice's case as a racer: its interval, its pairs, and one more pair's seconds (serial + case medians)."""
    mine = next((r for r in rows if strategy_label(r) == choice.strategy and r.get("mode") == choice.mode
                 and int(r["workers"]) == choice.workers and int(r["cores"]) == choice.cores), None)
    if mine is None or not mine.get("n_pairs") or choice.ci_low is None or choice.ci_high is None:
        return None
    serial = next((r for r in rows if r.get("strategy") == "serial" and int(r["cores"]) == choice.cores), None)
    pair_s = float(mine.get("median_s") or 0.0) + float((serial or {}).get("median_s") or 0.0)
    return race.Runner(choice.strategy, str(choice.cores), choice.speedup, float(choice.ci_low),
                       float(choice.ci_high), int(mine["n_pairs"]), pair_s)


def verdicts(instances: list[Instance], labels: dict[Instance, str], rows: list[Record]) -> list[VerdictRow]:
    return [verdict_row(inst, labels[inst], rows) for inst in instances]
