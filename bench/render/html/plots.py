"""Figures of the report, drawn with matplotlib and returned as self-contained SVG data URIs.

``matplotlib.figure.Figure`` is used directly, never pyplot: no global figure state and no
GUI backend, so rendering works headless and in threads (the Agg/SVG canvases are chosen by
``savefig``).  Text stays text in the SVG (smaller, crisp at any zoom).  Each figure is put in
an ``<img>`` as a ``data:`` URI, so ids inside one SVG never clash with another's and the page
needs nothing from the network.
"""
from __future__ import annotations

import base64
import io
import math
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullLocator

from bench.render.html.curves import Series, Startup
from bench.render.html.driftview import DriftView
from bench.render.html.why import Dot, TimeSplit

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "bench-report",  # stable ids: the same results give the same file
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial", "sans-serif"],
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.fontsize": 8,
    "legend.frameon": False,
}
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f")
MARKERS = ("o", "^", "s", "D", "v", "P")
#: speed-ups spanning more than this factor are drawn on a log axis
LOG_SPAN = 12.0
SIZE = (5.0, 3.6)


def colours(strategies: Sequence[str]) -> dict[str, str]:
    """One colour per strategy, the same in every figure of the page."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(dict.fromkeys(strategies))}


def data_uri(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    encoded = base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def _figure(size: tuple[float, float] = SIZE) -> Figure:
    return Figure(figsize=size, layout="constrained")


def _render(draw: Callable[..., None], *args: object, size: tuple[float, float] = SIZE) -> str:
    with matplotlib.rc_context(STYLE):
        figure = _figure(size)
        draw(figure, *args)
        return data_uri(figure)


def _times(value: float, _: object = None) -> str:
    """A speed-up tick: 'x2', 'x0.5' (the page's one notation)."""
    return f"x{value:.3g}"


def _cores_axis(ax: Axes, cores: Sequence[int]) -> None:
    if cores and max(cores) > 4:
        ax.set_xscale("log", base=2)
    ax.set_xticks(list(cores), [str(c) for c in cores])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("cores")
    if len(cores) == 1:  # one core count: give the lone points some room
        ax.set_xlim(cores[0] - 0.6, cores[0] + 0.6)


def _value_axis(ax: Axes, values: Sequence[float]) -> None:
    """Speed-up on a log axis in every figure, with round ticks spanning every value drawn:
    the same ratio is the same distance everywhere (x0.5 as far below 1 as x2 above)."""
    ticks, low, high = speedup_ticks(values)
    ax.set_yscale("log")
    ax.set_yticks(ticks)
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylim(low, high)
    ax.yaxis.set_major_formatter(FuncFormatter(_times))


def _styles(items: Sequence[Series], palette: dict[str, str]) -> Iterator[tuple[Series, dict[str, Any]]]:
    rules = list(dict.fromkeys(s.workers_rule for s in items))
    for item in items:
        marker = MARKERS[rules.index(item.workers_rule) % len(MARKERS)]
        yield item, {"color": palette.get(item.strategy, "#333333"), "marker": marker,
                     "linestyle": "--" if item.mode == "cold" else "-", "markersize": 5, "linewidth": 1.6}


LEGEND_COLUMNS = 3


def _key(items: Sequence[Series], palette: dict[str, str], reference: str) -> list[Line2D]:
    """A compact key: one colour per strategy, then what line styles and markers mean.

    One entry per drawn line would be strategies x modes x worker rules (36 for nine
    strategies of an I/O workload): unreadable.
    """
    handles = [Line2D([], [], color=palette.get(name, "#333333"), linewidth=2.5, label=name)
               for name in dict.fromkeys(item.strategy for item in items)]
    modes = list(dict.fromkeys(item.mode for item in items))
    if len(modes) > 1:
        handles += [Line2D([], [], color="#444444", linestyle="--" if mode == "cold" else "-", label=mode)
                    for mode in sorted(modes, reverse=True)]
    rules = list(dict.fromkeys(item.workers_rule for item in items))
    if len(rules) > 1:
        handles += [Line2D([], [], color="#444444", linestyle="none", marker=MARKERS[i % len(MARKERS)],
                           label=rule or "workers = cores") for i, rule in enumerate(rules)]
    handles.append(Line2D([], [], color="#555555", linestyle=":", linewidth=1.2, label=reference))
    return handles


def _legend(figure: Figure, items: Sequence[Series], palette: dict[str, str], reference: str) -> None:
    figure.legend(handles=_key(items, palette, reference), loc="outside lower center", ncols=LEGEND_COLUMNS)


# ---------------------------------------------------------------- per workload


def _draw_speedup(figure: Figure, items: Sequence[Series], cores: Sequence[int], palette: dict[str, str]) -> None:
    ax = figure.add_subplot()
    values = [1.0, *cores]
    for item, style in _styles(items, palette):
        x = [p.cores for p in item.points]
        y = [p.speedup for p in item.points]
        ax.plot(x, y, **style)
        low = [p.ci_low if p.ci_low is not None else p.speedup for p in item.points]
        high = [p.ci_high if p.ci_high is not None else p.speedup for p in item.points]
        ax.fill_between(x, low, high, color=style["color"], alpha=0.15, linewidth=0)
        values += y + low + high
    ax.plot(list(cores), list(cores), color="#555555", linestyle=":", linewidth=1.2)
    ax.axhline(1.0, color="#999999", linewidth=0.9)
    _cores_axis(ax, cores)
    _value_axis(ax, values)
    ax.set_ylabel("speed-up over serial")
    ax.set_title("Speed-up vs cores (band: 95% CI)")
    _legend(figure, items, palette, "ideal (= cores)")


def speedup_plot(items: Sequence[Series], cores: Sequence[int], palette: dict[str, str]) -> str:
    """Speed-up against cores, every strategy and mode, ideal line and confidence bands."""
    return _render(_draw_speedup, items, cores, palette, size=_legend_size(items))


def _legend_size(items: Sequence[Series]) -> tuple[float, float]:
    """Taller figures for longer keys, so the axes keep the same height."""
    rows = math.ceil(len(_key(items, {}, "")) / LEGEND_COLUMNS)
    return SIZE[0], SIZE[1] + 0.2 * rows


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


NICE = (1.0, 2.0, 5.0)


def nice_ticks(low: float, high: float, most: int = 4) -> list[float]:
    """Speed-ups a reader can say (0.01x, 0.1x, 1x, 2x, 5x), not powers of two (0.0625x):
    1x, and up to ``most`` round values on each side of it within [low, high], spread evenly
    on the log scale so that labels never run together."""
    candidates = [m * 10.0 ** e for e in range(-6, 7) for m in NICE]
    below = [c for c in reversed(candidates) if low <= c < 1.0]
    above = [c for c in candidates if 1.0 < c <= high]
    return _spread(below, low, most)[::-1] + [1.0] + _spread(above, high, most)


def _spread(values: list[float], extreme: float, most: int) -> list[float]:
    """From 1x outwards, keep a value only a fair step (>= x2) beyond the last one kept."""
    gap = max(1.0, abs(math.log2(extreme)) / most) if extreme > 0 else 1.0
    kept: list[float] = []
    for value in values:
        if abs(math.log2(value) - math.log2(kept[-1] if kept else 1.0)) >= gap - 1e-9 and len(kept) < most:
            kept.append(value)
    return kept


def _draw_drift(figure: Figure, view: DriftView, palette: dict[str, str]) -> None:
    if view.readings:
        over_time, beside = figure.subplots(1, 2, gridspec_kw={"width_ratios": [5, 1]})
        _draw_readings(beside, view)
    else:
        over_time = figure.subplots()
    for instance in dict.fromkeys(p.instance for p in view.points):
        mine = [p for p in view.points if p.instance == instance]
        over_time.plot([(p.when - view.start) / 60 for p in mine], [p.speed for p in mine], "o", markersize=3.5,
                       color=palette.get(instance, "#555555"), label=instance.split("[")[0])
    over_time.axhline(1.0, color="#999999", linewidth=0.8)
    speeds = [p.speed for p in view.points] + [1.0]
    over_time.set_ylim(min(0.8, min(speeds) - 0.05), max(1.2, max(speeds) + 0.05))  # +-20 % at least: no zoom on noise
    over_time.set_xlabel("minutes into the run")
    over_time.set_ylabel("speed (1 = usual)")
    over_time.set_title("Speed of each case's serial reference", loc="left")
    over_time.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, markerscale=1.5)


def _draw_readings(ax: Axes, view: DriftView) -> None:
    """The CPU ceiling at the most cores, before and after the matrix, on an axis from x1 to the
    core count: a 0.01 difference then looks like one."""
    for x, reading in enumerate(view.readings):
        ax.errorbar([x], [reading.value], yerr=[[reading.value - reading.ci_low], [reading.ci_high - reading.value]],
                    fmt="o", color="#333333", capsize=3)
    ax.set_xticks(range(len(view.readings)), [r.label for r in view.readings])
    ax.set_xlim(-0.6, len(view.readings) - 0.4)
    cores = view.readings[0].cores
    ticks, _, high = speedup_ticks([1.0, float(cores), *(r.ci_high for r in view.readings)])
    ax.set_yscale("log")
    ax.set_yticks(ticks)
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylim(1.0, high)
    ax.set_title(f"CPU ceiling\n{cores} cores", fontsize=8.5)
    ax.yaxis.set_major_formatter(FuncFormatter(_times))


def drift_plot(view: DriftView) -> str:
    palette = colours(list(dict.fromkeys(p.instance for p in view.points)))
    return _render(_draw_drift, view, palette, size=(9.0, 2.6))


# ---------------------------------------------------------------- why not more

ROW_HEIGHT = 0.3
RECOMMENDED = "#17663a"
IDEAL = "#8a8a8a"
BOUND = "#111111"
CEILING = "#b03a2e"


def _dot_rows(items: Sequence[Dot]) -> list[str]:
    return list(dict.fromkeys(d.label for d in items))


def _draw_dots(figure: Figure, items: Sequence[Dot], palette: dict[str, str], ceiling: float | None) -> None:
    ax = figure.add_subplot()
    rows = _dot_rows(items)
    both = len({d.mode for d in items}) > 1
    for d in items:
        y = rows.index(d.label) + ((-0.17 if d.mode == "warm" else 0.17) if both else 0.0)
        colour = palette.get(d.strategy, "#333333")
        warm = d.mode == "warm"
        ax.plot([d.ci_low or d.speedup, d.ci_high or d.speedup], [y, y], color=colour, linewidth=2.0 if warm else 1.2)
        ax.plot([d.speedup], [y], marker="o", color=colour, markersize=6, linestyle="none",
                markerfacecolor=colour if warm else "white")
        for value, colour in ((d.ideal, IDEAL), (d.bound, BOUND)):
            if value:
                ax.plot([value], [y], marker="|", color=colour, markersize=8, markeredgewidth=1.8, linestyle="none")
    if ceiling:
        ax.axvline(ceiling, color=CEILING, linestyle="--", linewidth=1.0)
    _dot_axes(ax, items, rows, ceiling)
    _dot_key(figure, both, ceiling is not None)


def _dot_axes(ax: Axes, items: Sequence[Dot], rows: list[str], ceiling: float | None) -> None:
    recommended = {d.label for d in items if d.recommended}
    ax.set_yticks(range(len(rows)), [f"\u2605 {row}" if row in recommended else row for row in rows])
    for tick, row in zip(ax.get_yticklabels(), rows):
        if row in recommended:
            tick.set_color(RECOMMENDED)
            tick.set_fontweight("bold")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    _family_separators(ax, items, rows)
    ax.axvline(1.0, color="#999999", linewidth=0.9)
    values = [1.0, ceiling or 1.0] + [v for d in items for v in (d.speedup, d.ci_low, d.ci_high, d.ideal, d.bound) if v]
    _speedup_x_axis(ax, values)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(f"speed-up over serial at {items[0].cores} cores (log scale; line: 95% interval)")


def _family_separators(ax: Axes, items: Sequence[Dot], rows: list[str]) -> None:
    """A thin line where one family of strategies ends and the next begins, its name in the right margin."""
    family_of = {d.label: d.family for d in items}
    starts = [i for i, row in enumerate(rows) if i == 0 or family_of[row] != family_of[rows[i - 1]]]
    for first, end in zip(starts, starts[1:] + [len(rows)]):
        if first:
            ax.axhline(first - 0.5, color="#bbbbbb", linewidth=0.8)
        ax.annotate(family_of[rows[first]], (1.0, (first + end - 1) / 2), xycoords=("axes fraction", "data"),
                    xytext=(4, 0), textcoords="offset points", ha="left", va="center", rotation=90,
                    fontsize=7.5, color="#777777", style="italic", annotation_clip=False)


def speedup_ticks(values: Sequence[float]) -> tuple[list[float], float, float]:
    """Round log ticks for speed-ups that reach past every value drawn (no point beyond the last
    tick), and the axis limits: the page's one speed-up axis."""
    positive = [v for v in values if v and v > 0 and math.isfinite(v)] or [0.5, 2.0]
    low, high = min(positive), max(positive)
    candidates = [m * 10.0 ** e for e in range(-6, 7) for m in NICE]
    below = max((c for c in candidates if c <= high), default=high)
    top = below if high <= below * 1.25 else min((c for c in candidates if c >= high), default=high)
    bottom = max((c for c in candidates if c <= low), default=low)
    ticks = sorted({bottom, *nice_ticks(bottom, top, most=5), top})
    return ticks, bottom / 1.15, max(high, top) * 1.12


def _speedup_x_axis(ax: Axes, values: Sequence[float]) -> None:
    """The same log axis as every speed-up of the page, spanning every value drawn."""
    ticks, low, high = speedup_ticks(values)
    ax.set_xscale("log")
    ax.set_xticks(ticks)
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(low, high)
    ax.xaxis.set_major_formatter(FuncFormatter(_times))


def _dot_key(figure: Figure, both: bool, ceiling: bool) -> None:
    handles = []
    if both:
        handles += [Line2D([], [], color="#444444", marker="o", linestyle="none", label="warm"),
                    Line2D([], [], color="#444444", marker="o", markerfacecolor="white", linestyle="none",
                           label="cold")]
    handles += [Line2D([], [], color=IDEAL, marker="|", markeredgewidth=1.8, linestyle="none", label="ideal"),
                Line2D([], [], color=BOUND, marker="|", markeredgewidth=1.8, linestyle="none",
                       label="task-size bound")]
    if ceiling:
        handles.append(Line2D([], [], color=CEILING, linestyle="--", label="machine ceiling"))
    handles.append(Line2D([], [], color=RECOMMENDED, marker="*", linestyle="none", label="recommended"))
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4))


def dot_plot(items: Sequence[Dot], palette: dict[str, str], ceiling: float | None = None) -> str:
    """Speed-up per strategy at the most cores, warm and cold, each against its own ideal and the
    bound its task sizes set, and the machine's ceiling: a dot and its interval per mode."""
    height = 1.6 + ROW_HEIGHT * len(_dot_rows(items))
    return _render(_draw_dots, items, palette, ceiling, size=(6.4, height))


SPLIT_COLOURS = {"work": "#4c78a8", "overhead": "#e45756", "waiting": "#f2a541", "idle": "#d0d5db"}


def _draw_splits(figure: Figure, items: Sequence[TimeSplit], cores: int) -> None:
    ax = figure.add_subplot()
    y = np.arange(len(items))
    left = np.zeros(len(items))
    for name, colour in SPLIT_COLOURS.items():
        widths = np.array([dict(s.parts).get(name, 0.0) for s in items])
        ax.barh(y, widths, left=left, color=colour, height=0.6, label=name, edgecolor="white", linewidth=0.5)
        left += widths
    bounds = [(i, s.bound_s) for i, s in enumerate(items) if s.bound_s]
    if bounds:
        ax.plot([b for _, b in bounds], [i for i, _ in bounds], linestyle="none", marker="|", markersize=14,
                markeredgewidth=2.0, color=BOUND, label="fastest the task sizes allow")
    for i, split in enumerate(items):
        words = f"work {split.work_share:.0%}" + ("; beats its bound" if split.beats_bound else "")
        ax.annotate(words, (max(split.total_s, split.bound_s or 0.0), i), xytext=(5, 0), textcoords="offset points",
                    va="center", ha="left", fontsize=7.5, color="#444444")
    ax.set_yticks(y, [f"{s.strategy} ({s.mode})" for s in items])
    ax.set_ylim(len(items) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, max(max(s.total_s, s.bound_s or 0.0) for s in items) * 1.6)
    ax.set_xlabel(f"seconds per cycle (the {cores} cores' time / {cores})")
    figure.legend(loc="outside lower center", ncols=3)


def split_plot(items: Sequence[TimeSplit], cores: int) -> str:
    """Where each strategy's time went at the largest core count, with the task-size bound marked."""
    height = 1.6 + ROW_HEIGHT * len(items)
    return _render(_draw_splits, items, cores, size=(6.4, height))


def _ms(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def _draw_startup(figure: Figure, items: Sequence[Startup], palette: dict[str, str]) -> None:
    ax = figure.add_subplot()
    y = np.arange(len(items))
    millis = [s.median_s * 1000 for s in items]
    colours_ = [palette.get(s.strategy, "#333333") if v >= 0 else "#bbbbbb" for s, v in zip(items, millis)]
    ax.barh(y, millis, color=colours_, height=0.55, hatch=[None if v >= 0 else "//" for v in millis])
    for i, item in enumerate(items):
        spread = f" ({_ms(item.low_s * 1000)} to {_ms(item.high_s * 1000)})" if item.workloads > 1 else ""
        text = f"{_ms(millis[i])} ms{spread}" + (": cold faster, noise" if millis[i] < 0 else "")
        ax.annotate(text, (max(millis[i], 0.0), i), xytext=(4, 0), textcoords="offset points",
                    va="center", ha="left", fontsize=7.5)
    ax.set_yticks(y, [s.strategy for s in items])
    ax.set_ylim(len(items) - 0.5, -0.5)
    ax.axvline(0, color="#555555", linewidth=0.9)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(min(0.0, min(millis) * 1.5), max(max(millis), 1.0) * 2.2)
    n = max(s.workloads for s in items)
    ax.set_xlabel(f"cold \u2212 warm median, ms: median of {_count(n, 'workload')} (range)")


def startup_plot(items: Sequence[Startup], palette: dict[str, str]) -> str:
    """What starting each strategy's pool costs, one bar per strategy over every workload."""
    return _render(_draw_startup, items, palette, size=(6.4, 1.3 + ROW_HEIGHT * len(items)))
