"""Rendering the report model to one self-contained HTML file (Jinja2 template + inline figures).

The page needs nothing from the network: styles and the small table-sorting script are
inline, figures are ``data:`` URIs, the tidy CSV is a ``data:`` download, and a
Content-Security-Policy forbids anything else, so an accidental external reference fails
loudly in the browser test instead of phoning home.  Everything is readable with JavaScript
off; the script only adds sorting to the raw table.
"""
from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

import jinja2

from bench.analysis.compare import Status
from bench.output_file import write_atomically
from bench.render.html import plots
from bench.render.html.digits import significant
from bench.render.html.page import Report

# ---------------------------------------------------------------- number formatting (Jinja filters)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def number(value: Any, digits: int = 3) -> str:
    if _missing(value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if 10 ** digits <= abs(value) < 1e7:  # 912, not 9.1e+02
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def fraction(value: Any) -> str:
    """A fraction in [0, 1] to two decimals: '0.07', '1.00'."""
    return "–" if _missing(value) else f"{value:.2f}"


def config_value(value: Any) -> str:
    """Run configuration without Python syntax: lists joined, mappings as 'name: k=v'."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_inline(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join("default" if v is None else str(v) for v in value) or "default"
    return str(value)


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return config_value(value)


def times(value: Any) -> str:
    """A speed-up, the page's one notation: 'x1.97', 'x0.0630'."""
    return "–" if _missing(value) else f"x{significant(value)}"


def of_ideal(value: Any) -> str:
    """A share of the case's own ideal: '98%', '6.3%'."""
    if _missing(value):
        return "–"
    return f"{value * 100:.0f}%" if value >= 0.095 else f"{value * 100:.2g}%"


def duration(value: Any) -> str:
    from bench.render.html.reproduce import duration_words

    return duration_words(value)


def interval(low: Any, high: Any, digits: int = 3) -> str:
    if _missing(low) or _missing(high):
        return ""
    return f"{significant(low, digits)}–{significant(high, digits)}"


def seconds(value: Any) -> str:
    """Seconds in the unit that reads best: '20.3 ms', '54.5 µs'."""
    if _missing(value):
        return "–"
    size = abs(value)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if size >= scale:
            return f"{significant(value / scale)} {unit}"
    return f"{significant(value / 1e-9)} ns"


def percent(value: Any) -> str:
    return "–" if _missing(value) else f"{value * 100:+.1f}%"


def cell(value: Any) -> str:
    """A raw-table cell: numbers to 4 significant digits, booleans as yes/no."""
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def sort_key(value: Any) -> str:
    """What the sorting script compares: full-precision numbers, or the text."""
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return repr(value) if isinstance(value, (int, float)) else str(value)


def status_count(status: str, count: int) -> str:
    """'4 regressions', '1 still failing': a `bench compare` status count in words."""
    return Status(status).count_text(count)


def csv_uri(text: str) -> str:
    return "data:text/csv;charset=utf-8;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("bench.render.html", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(number=number, times=times, seconds=seconds, percent=percent, cell=cell,
                       sort_key=sort_key, fraction=fraction, config_value=config_value, of_ideal=of_ideal,
                       duration=duration)
    env.globals.update(interval=interval, status_count=status_count)
    return env


# ---------------------------------------------------------------- figures


def figures(report: Report) -> dict[str, Any]:
    """Every figure of the page as a data URI, keyed by workload anchor (and 'startup', 'drift')."""
    strategies = [s.strategy for w in report.workloads for s in w.series] + [s.strategy for s in report.startup]
    palette = plots.colours(strategies)
    found: dict[str, Any] = {view.anchor: _workload_figures(view, palette) for view in report.workloads}
    found["startup"] = plots.startup_plot(report.startup, palette) if report.startup else None
    found["drift"] = plots.drift_plot(report.drift) if report.drift else None
    return found


def _workload_figures(view: Any, palette: dict[str, str]) -> dict[str, Any]:
    """Curves with three or more core counts, else the dot plot; and where the time went."""
    curves = view.curves and bool(view.series)
    return {
        "speedup": plots.speedup_plot(view.series, view.cores, palette) if curves else None,
        "dots": plots.dot_plot(view.dots, palette, view.ceiling) if view.dots and not view.curves else None,
        "splits": plots.split_plot(view.splits, view.explained.cores) if view.splits else None,
    }


# ---------------------------------------------------------------- the page


def render(report: Report) -> str:
    template = _environment().get_template("report.html.j2")
    stem = Path(report.source).stem or "results"
    return template.render(report=report, figures=figures(report), csv_href=csv_uri(report.csv),
                           csv_name=f"{stem}.csv")


def write(report: Report, path: str | Path) -> Path:
    """Render and write atomically (a reader never sees half a page)."""
    path = Path(path)
    write_atomically(path, render(report))
    return path
