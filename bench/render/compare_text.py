"""Text, markdown and JSON renderings of a ``compare.CompareReport``.  Pure: returns strings.

Markdown is meant to be pasted as a pull-request comment: one summary line, then
only the cases that changed (regressions and newly failing first, then
improvements, inconclusive changes and fixes), then the cases present in only one file.  Text shows
every case, for a terminal.  JSON is the whole report.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Any

from bench.analysis.compare import CaseComparison, CompareReport, Status

CHANGED = tuple(s for s in Status if s.changed)


# ---------------------------------------------------------------- numbers

def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def format_value(value: float, metric: str) -> str:
    return f"{value:.3g}x" if metric == "speedup" else format_seconds(value)


def format_percent(fraction: float) -> str:
    return f"{fraction * 100:+.1f}%"


def _cells(entry: CaseComparison, metric: str) -> dict[str, str]:
    """Base, new, change, interval and p as display strings ('-' when not measured)."""
    result = entry.stats
    if result is None:
        return {"base": "-", "new": "-", "change": "-", "ci": "-", "p": "-"}
    p_value = "-" if result.p_value is None else f"{result.p_value:.3g}"
    return {"base": format_value(result.median_base, metric), "new": format_value(result.median_new, metric),
            "change": format_percent(result.change),
            "ci": f"[{format_percent(result.ratio_ci_low - 1)}, {format_percent(result.ratio_ci_high - 1)}]",
            "p": p_value}


def _note(entry: CaseComparison) -> str:
    parts = []
    if entry.params_changed:
        parts.append(f"params {entry.params_change_text()}")
    if entry.status in ("newly_failing", "still_failing") and entry.error_new:
        parts.append(f"NEW: {entry.error_new}")
    if entry.status in ("fixed", "still_failing") and entry.error_base:
        parts.append(f"BASE: {entry.error_base}")
    if entry.status == "untested" and entry.reason:
        parts.append(entry.reason)
    return "; ".join(parts)


# ---------------------------------------------------------------- summary line

def summary_counts(report: CompareReport) -> str:
    counts = report.summary.counts
    shown = [Status(s).count_text(counts[s]) for s in counts if counts[s]]
    return ", ".join(shown) or "no cases"


def settings_text(report: CompareReport) -> str:
    opts, summary = report.options, report.summary
    noise = (f", between-run noise {summary.run_noise * 100:.1f}% from {summary.run_noise_cases} cases"
             if summary.run_noise is not None else "")
    return f"metric {opts.metric}, threshold {opts.threshold * 100:g}%, alpha {opts.alpha:g}{noise}"


def verdict_word(report: CompareReport) -> str:
    return "FAIL" if report.summary.failed else "PASS"


def coverage_lines(report: CompareReport) -> list[str]:
    """One line per coverage problem: gating ("FAIL: ...") or accepted by --allow-missing."""
    if report.options.allow_missing:
        return [f"allowed (--allow-missing): {problem}" for problem in report.summary.coverage]
    return [f"FAIL: {problem} (a NEW run must measure what BASE did; --allow-missing accepts it)"
            for problem in report.summary.coverage]


# ---------------------------------------------------------------- text

def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def render_text(report: CompareReport, base_name: str = "BASE", new_name: str = "NEW") -> str:
    metric, level = report.options.metric, f"{(1 - report.options.alpha) * 100:g}% CI"
    lines = [f"bench compare: {verdict_word(report)}: {summary_counts(report)} ({settings_text(report)})",
             f"BASE {base_name} ({report.summary.n_base} cases), NEW {new_name} ({report.summary.n_new} cases)"]
    lines += coverage_lines(report)
    lines += [f"warning: {w}" for w in report.summary.warnings]
    matched = [e for e in report.cases if e.status not in ("only_base", "only_new")]
    if matched:
        header = ["status", "case", "BASE", "NEW", "change", level, "p", "note"]
        rows = [[Status(e.status).label, e.identity, *_cells(e, metric).values(), _note(e)] for e in matched]
        lines += [""] + _table([header] + rows)
    for status in ("only_base", "only_new"):
        for entry in report.by_status(status):
            lines.append(f"{Status(status).label}: {entry.base_key or entry.new_key}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- markdown

def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_rows(entries: list[CaseComparison], metric: str) -> list[str]:
    rows = []
    for entry in entries:
        cells = _cells(entry, metric)
        rows.append(f"| {Status(entry.status).label} | `{entry.identity}` | {cells['base']} | {cells['new']} | "
                    f"{cells['change']} | {cells['ci']} | {cells['p']} | {_md_escape(_note(entry))} |")
    return rows


def _md_only(entries: list[CaseComparison], title: str, inline: int = 8) -> list[str]:
    """A short list inline; a long one folded so the comment stays readable."""
    if not entries:
        return []
    keys = [f"`{e.base_key or e.new_key}`" for e in entries]
    if len(keys) <= inline:
        return ["", f"**{title}** ({len(keys)}): {', '.join(keys)}"]
    return ["", f"<details><summary><b>{title}</b> ({len(keys)})</summary>", "", *[f"- {k}" for k in keys],
            "", "</details>"]


def _md_untested(report: CompareReport) -> list[str]:
    untested = report.by_status("untested")
    if not untested:
        return []
    reasons = Counter(e.reason.split(":")[0] for e in untested)
    why = "; ".join(f"{reason} ({count})" for reason, count in reasons.most_common())
    return ["", f"_{len(untested)} cases not tested: {_md_escape(why)}._"]


def render_markdown(report: CompareReport, base_name: str = "BASE", new_name: str = "NEW") -> str:
    metric = report.options.metric
    lines = [f"**bench compare: {verdict_word(report)}** - {summary_counts(report)} "
             f"({settings_text(report)}; BASE `{base_name}`, NEW `{new_name}`)"]
    lines += ["", *[f"> {_md_escape(line)}" for line in coverage_lines(report)]] if report.summary.coverage else []
    lines += ["", *[f"> warning: {_md_escape(w)}" for w in report.summary.warnings]] if report.summary.warnings else []
    changed = report.by_status(*CHANGED)
    if changed:
        level = f"{(1 - report.options.alpha) * 100:g}% CI"
        change = "speed-up change" if metric == "speedup" else "change"
        lines += ["", f"| status | case | BASE | NEW | {change} | {level} | p | note |",
                  "|---|---|---:|---:|---:|---|---:|---|", *_md_rows(changed, metric)]
    for status in ("only_base", "only_new"):
        lines += _md_only(report.by_status(status), f"Only in {status[5:].upper()}")
    lines += _md_untested(report)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- json

def render_json(report: CompareReport, base_name: str = "BASE", new_name: str = "NEW",
                exit_code: int | None = None) -> str:
    data: dict[str, Any] = {"base": base_name, "new": new_name, "verdict": verdict_word(report),
                            "exit_code": exit_code, **report.to_dict()}
    return json.dumps(data, indent=1, sort_keys=False) + "\n"


RENDERERS = {"text": render_text, "md": render_markdown, "json": render_json}
