"""`bench ab --base REF`: the CI gate in one command, two commits measured interleaved, one exit code.

Why: a stored baseline from another run puts the machine's drift between the
runs (and on hosted CI, a different machine) into every comparison; two
sequential quick runs of the same code gave 1-2 false regressions a
comparison on a noisy day.  Here the base revision is checked out into a
temporary ``git worktree`` (``bench.execute.gitref``), side A imports its code
from there and side B from the working tree as it is (uncommitted changes
included) or from a second worktree (``--head``), both measured interleaved by
``run_ab``, and the two files are compared exactly as `bench compare` does.

A gate that compared nothing must not pass: a side whose every case failed
fails it here (``GateOutcome.problems``; the other side's cases would read as
"fixed"), and a comparison that judged no case at all (``--metric speedup``
over serial cases only) fails in ``bench.analysis.compare`` itself.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench import storage
from bench.analysis.compare import CompareReport, compare
from bench.analysis.compare_defaults import CompareOptions
from bench.execute import gitref, interrupts
from bench.execute.ab import LABELS
from bench.execute.ab_session import ABRequest, run_ab, side_problems
from bench.model import BenchError

WORKING_TREE = "the working tree as it is, uncommitted changes included"
#: seconds of timed cycles per case, both sides together, unless --case-budget says otherwise: the quick profile's
#: 0.5 s leaves intervals of +-20 % on a loaded 2-core machine; with 4 s a 10 % slower time was caught through
#: load average 5-10, but a 10 % lower speed-up of 2 GIL-bound threads on 2 cores not always (-16 %, CI -28 to -3 %)
GATE_BUDGET = 8.0
#: process pairs per case, unless --processes says otherwise: the comparison's interval is at least a t interval
#: over the pairs' own mean ratios (``stats.between_processes``), so more pairs narrow it.  Measured here: a
#: 4 ms pure-Python task's pairs spread with sd 3-7 % (2 pairs: +-27 % and more; 16 pairs: +-2-4 %, and a gate of
#: 4 cases still under a minute)
GATE_PROCESSES = 16


@dataclass(frozen=True)
class GateRequest:
    """`bench ab --base REF [--head REF]`: the A/B run (its sides get their code here) and the comparison."""

    base: str
    ab: ABRequest = field(default_factory=ABRequest)
    head: str | None = None
    options: CompareOptions = field(default_factory=CompareOptions)
    folder: Path | None = None  # where the command runs (None: the current folder)


@dataclass(frozen=True)
class GateOutcome:
    report: CompareReport
    revisions: dict[str, gitref.Revision]  # "A" always; "B" with --head
    problems: tuple[str, ...]  # why the gate fails beyond the comparison's own verdicts
    results: dict[str, storage.ResultSet]

    @property
    def failed(self) -> bool:
        return self.report.summary.failed

    def side_text(self, label: str) -> str:
        return describe_side(label, self.revisions)


def _code_folders(root: Path, folder: Path, checkouts: dict[str, Path],
                  revisions: dict[str, gitref.Revision]) -> dict[str, Path]:
    """Each side's folder of code: the worktree's copy of the folder the command runs in (B: that folder)."""
    inside = folder.relative_to(root)
    code = {}
    for label, checkout in checkouts.items():
        code[label] = checkout / inside
        if not code[label].is_dir():
            raise BenchError(f"{inside} does not exist at {revisions[label].ref}: run from a folder both have")
    code.setdefault("B", folder)
    return code


def run_gate(request: GateRequest) -> GateOutcome:
    """Check out, measure interleaved, compare. BenchError for bad input; Interrupted with worktrees removed."""
    folder = (request.folder or Path(os.getcwd())).resolve()
    root = gitref.repository_root(folder)
    revisions = {"A": gitref.resolve(root, request.base)}
    if request.head is not None:
        revisions["B"] = gitref.resolve(root, request.head)
        if gitref.is_dirty(root):
            raise BenchError("--head measures a commit, but tracked files have uncommitted changes: commit or "
                             "stash them, or leave out --head to measure the working tree as it is")
    # SIGTERM too ends the block by KeyboardInterrupt, so the worktrees go whenever the run stops
    with interrupts.stop_on_signals(), gitref.checked_out(root, revisions) as checkouts:
        code = _code_folders(root, folder, checkouts, revisions)
        sides = {label: replace(side, pythonpath=(str(code[label]), *side.pythonpath))
                 for label, side in request.ab.sides.items()}
        described = {label: f" ({describe_side(label, revisions)})" for label in LABELS}
        budget, processes = request.ab.budget or GATE_BUDGET, request.ab.processes or GATE_PROCESSES
        results = run_ab(replace(request.ab, sides=sides, described=described, budget=budget, processes=processes))
    report = compare(results["A"], results["B"], request.options)
    problems = tuple(side_problems(results))  # "fixed" cases where A measured nothing: not a pass
    if problems:  # the comparison alone would say PASS about nothing
        report = replace(report, summary=replace(report.summary, failed=True))
    return GateOutcome(report=report, revisions=revisions, problems=problems, results=results)


def describe_side(label: str, revisions: dict[str, gitref.Revision]) -> str:
    """'base origin/main = 1a2b3c4d5e (its subject)', or the working tree for a B without --head."""
    revision = revisions.get(label)
    if revision is None:
        return WORKING_TREE
    subject = revision.subject if len(revision.subject) <= 60 else revision.subject[:57] + "..."
    return f"{'base' if label == 'A' else 'head'} {revision.ref} = {revision.short} ({subject})"
