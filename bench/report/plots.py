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
from typing import Callable, Iterator, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

from bench.report.curves import Heatmap, Overhead, Series
from bench.report.driftview import DriftView

STYLE = {
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


def _styles(items: Sequence[Series], palette: dict[str, str]) -> Iterator[tuple[Series, dict[str, object]]]:
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
        points = [p for p in item.points if p.efficiency is not None]
        ax.plot([p.cores for p in points], [p.efficiency for p in points], **style)
        values += [p.efficiency for p in points]
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
    if len({(o.cores, o.workers) for o in items}) == 1:  # all at the same count: say it once, in the title
        labels = [o.strategy for o in items]
    millis = [o.overhead_s * 1000 for o in items]
    y = np.arange(len(items))
    ax.barh(y, millis, color=[palette.get(o.strategy, "#333333") for o in items], height=0.55)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.axvline(0, color="#555555", linewidth=0.9)
    ax.grid(axis="y", visible=False)
    for position, value in zip(y, millis):
        ax.annotate(f"{value:.3g} ms", (value, position), xytext=(4 if value >= 0 else -4, 0),
                    textcoords="offset points", va="center", ha="left" if value >= 0 else "right", fontsize=8)
    ax.margins(x=0.25)
    ax.set_xlabel("cold median \u2212 warm median (ms)")
    counts = {(o.cores, o.workers) for o in items}
    where = f" ({_count(items[0].cores, 'core')}, {_count(items[0].workers, 'worker')})" if len(counts) == 1 else ""
    ax.set_title(f"Start-up overhead: cold vs warm{where}")


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
    ax.set_xticks(range(len(heat.columns)), heat.columns)
    ax.set_yticks(range(len(heat.rows)), heat.rows)
    ax.tick_params(length=0)
    ax.grid(visible=False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = figure.colorbar(image, ax=ax, shrink=0.85)
    ticks = sorted([-t for t in _half_ticks(-low)[1:]] + _half_ticks(high))
    bar.set_ticks(ticks, labels=[_times(2.0 ** t) for t in ticks])
    bar.set_label("speed-up (log scale)")
    ax.set_title(f"Best speed-up at {heat.cores} cores")


def _half_ticks(reach: float) -> list[int]:
    """0 and up to 3 more whole log2 steps within ``reach``: each half of the bar is scaled on its own."""
    step = max(1, math.ceil(reach / 3))
    return list(range(0, math.floor(reach) + 1, step))


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
