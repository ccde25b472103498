"""`bench explain` as text (terminal) and markdown (pull-request comment), from ``analysis.explain``."""
from __future__ import annotations

import re

from bench.analysis import accounting
from bench.analysis.explain import IDENTITY, NO_BOUND, CaseWhy, WorkloadWhy

HEADER = ("strategy", "mode", "workers", "speed-up", "task bound", "work s", "overhead s", "waiting s", "idle s",
          "start-up s")


def _num(value: float | None, fmt: str = ".3f") -> str:
    return "-" if value is None else format(value, fmt)


def _speedup(case: CaseWhy) -> str:
    if case.ci_low is None or case.ci_high is None:
        return f"x{case.speedup:.2f}"
    return f"x{case.speedup:.2f} [{case.ci_low:.2f}, {case.ci_high:.2f}]"


def case_cells(case: CaseWhy) -> tuple[str, ...]:
    """One row of the explanation table, as text."""
    acc = case.accounting
    parts = [_num(acc.part(name)) if acc else "-" for name in accounting.PARTS]
    return (case.strategy, case.mode, str(case.workers), _speedup(case),
            f"x{case.bound.speedup:.2f}" if case.bound else "-", *parts, _num(case.startup_s))


def _heading(why: WorkloadWhy) -> str:
    params = why.instance.params
    name = why.label if not params or params in why.label else f"{why.label} ({params})"
    if why.cores is None:
        return f"{name}: no successful parallel case"
    return f"{name} at {why.cores} cores: the p x wall core-seconds of each case"


def _case_name(why: WorkloadWhy, case: CaseWhy) -> str:
    """Strategy and mode, and the worker count where the table has more than one."""
    several = len({c.workers for c in why.cases}) > 1
    return f"{case.strategy} {case.mode}" + (f" ({case.workers} workers)" if several else "")


#: the figures of a sentence: what differs between two otherwise equal readings
_FIGURE = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def grouped(named: list[tuple[str, str]]) -> list[str]:
    """Sentences that differ only in their figures said once, the cases named together and each
    figure listed in their order: '`a`, `b`: Largest loss: idle cores, 39%, 42% of 2 cores' time.'
    (one line per case repeated the same sentence a dozen times)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, sentence in named:
        groups.setdefault(_FIGURE.sub("#", sentence), []).append((name, sentence))
    lines = []
    for template, members in groups.items():
        names = ", ".join(name for name, _ in members)
        figures = [_FIGURE.findall(sentence) for _, sentence in members]
        parts = [column[0] if len(set(column)) == 1 else ", ".join(column) for column in zip(*figures)]
        lines.append(f"{names}: {_filled(template, parts)}")
    return lines


def _filled(template: str, parts: list[str]) -> str:
    """The template's '#' marks replaced by the parts, in order."""
    pieces = template.split("#")
    return "".join(piece + (parts[i] if i < len(parts) else "") for i, piece in enumerate(pieces))


def _notes(why: WorkloadWhy) -> list[str]:
    """The readings of each case, then what was adjusted or missing, alike sentences once each."""
    lines = grouped([(_case_name(why, c), " ".join(c.readings)) for c in why.cases if c.readings])
    if why.missing:
        lines.append(f"No accounting: {why.missing}.")
    if why.cases and not any(c.bound for c in why.cases):
        lines.append(NO_BOUND)
    adjusted = grouped(list(dict.fromkeys((_case_name(why, c), c.note) for c in why.cases if c.accounting and c.note)))
    return lines + adjusted


def _text_table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def render_text(whys: list[WorkloadWhy]) -> str:
    """For a terminal: one block per workload, a table, then the readings."""
    out = []
    for why in whys:
        out.append(_heading(why))
        if why.cases:
            out.extend("  " + line for line in _text_table([HEADER, *map(case_cells, why.cases)]))
        out.extend("  - " + line for line in _notes(why))
        out.append("")
    out.append(f"({IDENTITY}.)")
    return "\n".join(out) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def render_md(whys: list[WorkloadWhy]) -> str:
    """For a pull-request comment: a heading, a table and bullets per workload."""
    out = []
    for why in whys:
        out += [f"### {_md_escape(_heading(why))}", ""]
        if why.cases:
            out += ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
            out += ["| " + " | ".join(_md_escape(c) for c in case_cells(case)) + " |" for case in why.cases]
            out.append("")
        out += [f"- {_md_escape(line)}" for line in _notes(why)] + [""]
    out.append(f"_{IDENTITY}._")
    return "\n".join(out) + "\n"
