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
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

from bench.render.html.curves import Heatmap, Overhead, Series
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
    return f"{value:.3g}×"


def _cores_axis(ax: Axes, cores: Sequence[int]) -> None:
    if cores and max(cores) > 4:
        ax.set_xscale("log", base=2)
    ax.set_xticks(list(cores), [str(c) for c in cores])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("cores")
    if len(cores) == 1:  # one core count: give the lone points some room
        ax.set_xlim(cores[0] - 0.6, cores[0] + 0.6)


def _value_axis(ax: Axes, values: Sequence[float]) -> None:
    """Log scale when the values span a wide range (e.g. 0.002x and 3x on one plot)."""
    positive = [v for v in values if v and v > 0 and math.isfinite(v)]
    if positive and max(positive) / min(positive) > LOG_SPAN:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_formatter(NullFormatter())
    else:
        ax.set_ylim(bottom=0)
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


def _draw_efficiency(figure: Figure, items: Sequence[Series], cores: Sequence[int], palette: dict[str, str]) -> None:
    ax = figure.add_subplot()
    values = [1.0]
    for item, style in _styles(items, palette):
        shown = [(p.cores, p.efficiency) for p in item.points if p.efficiency is not None]
        ax.plot([cores for cores, _ in shown], [value for _, value in shown], **style)
        values += [value for _, value in shown]
    ax.axhline(1.0, color="#555555", linestyle=":", linewidth=1.2)
    _cores_axis(ax, cores)
    _value_axis(ax, values)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    ax.set_ylabel("efficiency")
    ax.set_title("Efficiency vs cores")
    _legend(figure, items, palette, "perfect (1.0)")


def efficiency_plot(items: Sequence[Series], cores: Sequence[int], palette: dict[str, str]) -> str:
    return _render(_draw_efficiency, items, cores, palette, size=_legend_size(items))


def _legend_size(items: Sequence[Series]) -> tuple[float, float]:
    """Taller figures for longer keys, so the axes keep the same height."""
    rows = math.ceil(len(_key(items, {}, "")) / LEGEND_COLUMNS)
    return SIZE[0], SIZE[1] + 0.2 * rows


def _draw_overhead(figure: Figure, items: Sequence[Overhead], palette: dict[str, str]) -> None:
    ax = figure.add_subplot()
    labels = [f"{o.strategy}\n{_count(o.cores, 'core')}, {_count(o.workers, 'worker')}" for o in items]
    counts = {(o.cores, o.workers) for o in items}
    if len(counts) == 1:  # all at the same count: say it once, under the axis
        labels = [o.strategy for o in items]
    millis = [o.overhead_s * 1000 for o in items]
    y = np.arange(len(items))
    colours = [palette.get(o.strategy, "#333333") if v >= 0 else "#bbbbbb" for o, v in zip(items, millis)]
    ax.barh(y, millis, color=colours, height=0.55, hatch=[None if v >= 0 else "//" for v in millis])
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.axvline(0, color="#555555", linewidth=0.9)
    ax.grid(axis="y", visible=False)
    for position, value in zip(y, millis):
        # a negative bar's words go right of zero too: on its left they ran into the row's label
        text = f"{value:.3g} ms" if value >= 0 else f"{value:.3g} ms: cold faster, noise"
        ax.annotate(text, (max(value, 0.0), position), xytext=(4, 0),
                    textcoords="offset points", va="center", ha="left", fontsize=8)
    ax.margins(x=0.35 if min(millis) < 0 else 0.25)
    where = f", {_count(items[0].cores, 'core')}, {_count(items[0].workers, 'worker')}" if len(counts) == 1 else ""
    ax.set_xlabel(f"cold median \u2212 warm median (ms){where}")
    ax.set_title("Start-up: cold \u2212 warm", loc="left")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def overhead_plot(items: Sequence[Overhead], palette: dict[str, str]) -> str:
    """Cold minus warm median per strategy, cores and workers (what pool start-up costs)."""
    height = max(2.0, 1.0 + 0.36 * len(items))
    return _render(_draw_overhead, items, palette, size=(SIZE[0], height))


# ---------------------------------------------------------------- across workloads


def _cell_text(value: float | None, detail: str) -> str:
    if value is None:
        return "not measured"
    return f"{value:.3g}×\n{detail.replace(' workers', 'w')}"


def _draw_heatmap(figure: Figure, heat: Heatmap) -> None:
    ax = figure.add_subplot()
    grid = np.array([[math.log2(v) if v else np.nan for v in row] for row in heat.values], dtype=float)
    # each side of 1x scaled on its own: 3x faster is deep blue even when another cell is 300x slower
    finite = grid[np.isfinite(grid)]
    low = min(-1.0, float(finite.min())) if finite.size else -1.0
    high = max(1.0, float(finite.max())) if finite.size else 1.0
    cmap = matplotlib.colormaps["RdBu"].with_extremes(bad="#eeeeee")
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, norm=TwoSlopeNorm(0.0, low, high), aspect="auto")
    for (i, j), value in np.ndenumerate(grid):
        speed = heat.values[i][j]
        dark = math.isfinite(value) and (value > 0.6 * high or value < 0.6 * low)
        ax.text(j, i, _cell_text(speed, heat.details[i][j]), ha="center", va="center", fontsize=8,
                color="white" if dark else "#222222")
    ax.set_xticks(range(len(heat.columns)), heat.columns, rotation=30, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(heat.rows)), heat.rows)
    ax.tick_params(length=0)
    ax.grid(visible=False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = figure.colorbar(image, ax=ax, shrink=0.85)
    ticks = nice_ticks(2.0 ** low, 2.0 ** high)
    bar.set_ticks([math.log2(t) for t in ticks], labels=[_times(t) for t in ticks])
    bar.set_label("speed-up (log scale)")
    ax.set_title(f"Best speed-up at {heat.cores} cores")


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


def heatmap_plot(heat: Heatmap) -> str:
    width = min(12.0, max(5.5, 2.2 + 1.4 * len(heat.columns)))
    height = max(2.4, 1.1 + 0.62 * len(heat.rows))
    return _render(_draw_heatmap, heat, size=(width, height))


def _draw_drift(figure: Figure, view: DriftView, palette: dict[str, str]) -> None:
    if view.readings:
        over_time, beside = figure.subplots(1, 2, gridspec_kw={"width_ratios": [5, 1]})
        _draw_readings(beside, view)
    else:
        over_time = figure.subplots()
    for instance in dict.fromkeys(p.instance for p in view.points):
        mine = [p for p in view.points if p.instance == instance]
        over_time.plot([(p.when - view.start) / 60 for p in mine], [p.speed for p in mine], ".", markersize=3,
                       color=palette.get(instance, "#555555"), label=instance)
    over_time.axhline(1.0, color="#999999", linewidth=0.8)
    over_time.set_xlabel("minutes into the run")
    over_time.set_ylabel("reference speed (1 = usual)")
    over_time.set_title("Machine speed over the run")
    over_time.legend(loc="lower left", fontsize=7, markerscale=2)


def _draw_readings(ax: Axes, view: DriftView) -> None:
    """The CPU ceiling at the most cores, before and after the matrix, with its interval."""
    for x, reading in enumerate(view.readings):
        ax.errorbar([x], [reading.value], yerr=[[reading.value - reading.ci_low], [reading.ci_high - reading.value]],
                    fmt="o", color="#333333", capsize=3)
    ax.set_xticks(range(len(view.readings)), [r.label for r in view.readings])
    ax.set_xlim(-0.6, len(view.readings) - 0.4)
    ax.set_title(f"CPU ceiling, {view.readings[0].cores} cores", fontsize=8.5)
    ax.yaxis.set_major_formatter(FuncFormatter(_times))


def drift_plot(view: DriftView) -> str:
    palette = colours(list(dict.fromkeys(p.instance for p in view.points)))
    return _render(_draw_drift, view, palette, size=(7.5, 2.8))
# ---------------------------------------------------------------- why not more

ROW_HEIGHT = 0.27
RECOMMENDED = "#17663a"


def _dot_rows(items: Sequence[Dot]) -> list[str]:
    return list(dict.fromkeys(d.label for d in items))


def _draw_dots(figure: Figure, items: Sequence[Dot], palette: dict[str, str]) -> None:
    ax = figure.add_subplot()
    rows = _dot_rows(items)
    cores = sorted({d.cores for d in items})
    shapes = {c: ("o" if c == cores[-1] else "D") for c in cores}
    for d in items:
        y = rows.index(d.label)
        colour = palette.get(d.strategy, "#333333")
        low, high = d.ci_low or d.speedup, d.ci_high or d.speedup
        filled = d.cores == cores[-1]
        ax.plot([low, high], [y, y], color=colour, linewidth=2.2 if filled else 1.2, alpha=0.9 if filled else 0.5)
        ax.plot([d.speedup], [y], marker=shapes[d.cores], color=colour, markersize=6 if filled else 4.5,
                markerfacecolor=colour if filled else "white", linestyle="none")
    _dot_axes(ax, items, rows, cores)
    _dot_key(figure, cores, shapes)


def _dot_axes(ax: Axes, items: Sequence[Dot], rows: list[str], cores: list[int]) -> None:
    labels = [f"\u2605 {row}" if any(d.recommended and d.label == row for d in items) else row for row in rows]
    ax.set_yticks(range(len(rows)), labels)
    for tick, row in zip(ax.get_yticklabels(), rows):
        if any(d.recommended and d.label == row for d in items):
            tick.set_color(RECOMMENDED)
            tick.set_fontweight("bold")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    _family_separators(ax, items, rows)
    ax.axvline(1.0, color="#999999", linewidth=0.9)
    ax.axvline(float(cores[-1]), color="#555555", linestyle=":", linewidth=1.2)
    values = [1.0, float(cores[-1])] + [v for d in items for v in (d.speedup, d.ci_low, d.ci_high) if v]
    _speedup_x_axis(ax, values)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(f"speed-up over serial (line: 95% CI; dotted: {cores[-1]}\u00d7 = ideal at {cores[-1]} cores)")


def _family_separators(ax: Axes, items: Sequence[Dot], rows: list[str]) -> None:
    """A thin line and the family's name where one family of strategies ends and the next begins."""
    family_of = {d.label: d.family for d in items}
    for i, row in enumerate(rows):
        if i == 0 or family_of[row] != family_of[rows[i - 1]]:
            if i:
                ax.axhline(i - 0.5, color="#bbbbbb", linewidth=0.8)
            ax.annotate(family_of[row], (1.0, i - 0.5), xycoords=("axes fraction", "data"), xytext=(-2, -1),
                        textcoords="offset points", ha="right", va="top", fontsize=7.5, color="#777777",
                        style="italic")


def _speedup_x_axis(ax: Axes, values: Sequence[float]) -> None:
    positive = [v for v in values if v and v > 0 and math.isfinite(v)]
    if positive and max(positive) / min(positive) > LOG_SPAN:
        ax.set_xscale("log")
        ax.set_xticks(nice_ticks(min(positive), max(positive), most=5))
        ax.xaxis.set_minor_locator(NullLocator())
    else:
        ax.set_xlim(left=0, right=max(positive) * 1.08)
    ax.xaxis.set_major_formatter(FuncFormatter(_times))


def _dot_key(figure: Figure, cores: list[int], shapes: dict[int, str]) -> None:
    handles = [Line2D([], [], color="#444444", marker=shapes[c], linestyle="none",
                      markerfacecolor="#444444" if c == cores[-1] else "white", label=_count(c, "core"))
               for c in reversed(cores)]
    handles.append(Line2D([], [], color=RECOMMENDED, marker="*", linestyle="none", label="recommended"))
    figure.legend(handles=handles, loc="outside lower center", ncols=len(handles))


def dot_plot(items: Sequence[Dot], palette: dict[str, str]) -> str:
    """Speed-up per strategy and mode at one or two core counts: a dot and its interval per row."""
    height = 1.3 + ROW_HEIGHT * len(_dot_rows(items))
    return _render(_draw_dots, items, palette, size=(6.4, height))


SPLIT_COLOURS = {"work": "#4c78a8", "overhead": "#e45756", "waiting": "#f2a541", "idle": "#d0d5db",
                 "start-up": "#9467bd"}


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
        ax.plot([b for _, b in bounds], [i for i, _ in bounds], linestyle="none", marker="|", markersize=16,
                markeredgewidth=2.2, color="#111111", label="fastest the task sizes allow")
    ax.set_yticks(y, [f"{s.strategy} ({s.mode})" for s in items])
    ax.set_ylim(len(items) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(left=0)
    ax.set_xlabel(f"seconds per cycle: the {cores} cores' time, divided by {cores}")
    figure.legend(loc="outside lower center", ncols=3)


def split_plot(items: Sequence[TimeSplit], cores: int) -> str:
    """Where each strategy's time went at the largest core count, with the task-size bound marked."""
    height = 1.6 + 0.34 * len(items)
    return _render(_draw_splits, items, cores, size=(6.4, height))
