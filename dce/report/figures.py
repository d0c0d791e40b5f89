"""Figures with matplotlib's object API (Agg), deterministic PNG and SVG bytes.

Every figure takes the run's tables and a :class:`~dce.report.labels.Labels`, so a group
has the same colour and marker in every figure, and rows show attribute labels, not codes.

Each chart has a builder (``_importance_figure`` ...) returning the laid-out
:class:`~matplotlib.figure.Figure`; the public function saves it with :func:`_save`.
Figures use matplotlib's constrained layout, and legends sit under the plotting areas
(``outside lower center``) in as many columns as fit the figure's width, so no text is
clipped and no legend covers data.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from dce.report.labels import (  # noqa: E402,F401 - PALETTE re-exported for callers
    MARKERS,
    PALETTE,
    POOLED,
    Labels,
    wrap,
)

DPI = 120
GRID = "#DDDDDD"
DARK = "#555555"
PAIR_MARKERS = ["x", "+", "*", "1", "2", "3", "4", "|"]  # Swait-Louviere pairs (grey)
RC = {"font.size": 9.5, "axes.titlesize": 11.5, "axes.titleweight": "bold",
      "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "dce",
      "svg.fonttype": "none", "path.simplify": False}
LEGEND_WRAP = 40  # characters per line of a legend entry
NBSP = "\u00a0"  # keeps "n = 1620" on one line when a legend entry wraps
# forest chart panels: (key, x-axis label); constants and per-unit terms get their own scale
PANELS = [("levels", "Coefficient (utility scale)"),
          ("per_unit", "Coefficient per unit of the attribute (utility scale)"),
          ("constants", "Constant (utility scale)"),
          ("interactions", "Interaction coefficient (utility scale)"),
          ("sd", "Standard deviation (utility scale)")]


def group_colours(groups) -> dict:
    """Colour of each group (the pooled model ``all`` is grey), as in every report figure.

    Parameters
    ----------
    groups : iterable of str
        Group codes, in the order of the report's columns.

    Returns
    -------
    dict
        Group code -> hex colour: the Okabe-Ito :data:`PALETTE` in order for the groups
        other than ``all`` (cycling after eight), grey for ``all`` (always present).
    """
    return Labels({}, list(groups)).colours


def safe(text) -> str:
    """Text for matplotlib: a '$' would start mathtext, so each one is escaped.

    Parameters
    ----------
    text : object
        A label.

    Returns
    -------
    str
        ``str(text)`` with every '$' written as an escaped (literal) dollar sign.
    """
    return str(text).replace("$", r"\$")


def _save(fig) -> tuple[bytes, bytes]:
    png, svg = io.BytesIO(), io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png.getvalue(), svg.getvalue()


def _figure(width: float, height: float) -> Figure:
    """An Agg figure with constrained layout (call inside ``rc_context(RC)``)."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _handle(colour, marker, text, ls="-", mfc=None, lw=2.0) -> Line2D:
    return Line2D([], [], color=colour, marker=marker, ls=ls, lw=lw, ms=6,
                  mfc=mfc or colour, label=safe(text))


def _group_handles(labels: Labels, groups, counts: dict | None = None, ls="-") -> list:
    handles = []
    for g in groups:
        text = labels.group(g)
        if counts and g in counts:
            text += f", n{NBSP}={NBSP}{counts[g]}"
        handles.append(_handle(labels.colour(g), labels.marker(g), text, ls=ls))
    return handles


def _legend_below(fig, handles, body: float, max_cols: int = 3) -> None:
    """A figure legend under the axes: of the column counts and label wrap widths whose
    legend fits the figure's width, the lowest legend (ties: fewer wrapped labels). The
    figure is made ``body`` inches (axes and their labels) plus the legend's height."""
    renderer = fig.canvas.get_renderer()
    texts = [h.get_label() for h in handles]

    def make(width: int, ncol: int):
        return fig.legend(handles, [wrap(t, width) for t in texts], ncol=ncol,
                          loc="outside lower center", frameon=False, fontsize=8.5,
                          handlelength=2.6, columnspacing=1.6)

    best = None  # (height, width, ncol)
    for width in (max(map(len, texts)), 52, LEGEND_WRAP):
        for ncol in range(min(max_cols, len(handles)), 0, -1):
            legend = make(width, ncol)
            box = legend.get_window_extent(renderer)
            legend.remove()
            if box.width <= 0.96 * fig.bbox.width and (best is None or
                                                       box.height < best[0] - 0.5):
                best = (box.height, width, ncol)
    legend = make(*(best[1:] if best else (LEGEND_WRAP, 1)))
    height = legend.get_window_extent(renderer).height
    fig.set_size_inches(fig.get_figwidth(), body + height / fig.dpi + 0.15)


def _dodge(i: int, n: int, width: float = 0.72) -> float:
    return 0.0 if n <= 1 else (i - (n - 1) / 2) * (width / n)


def importance_chart(imp, labels: Labels, groups: list, level: float, order: list,
                     counts: dict | None = None):
    """Dot-and-interval chart: attributes (rows, most important on top) x groups
    (colours and markers).

    Parameters
    ----------
    imp : pandas.DataFrame
        importance.csv (``group``, ``attribute``, ``importance``, ``ci_lower``,
        ``ci_upper``; shares in [0, 1], drawn in percent).
    labels : dce.report.labels.Labels
        Readable names, colours and markers.
    groups : list
        Group codes, in the legend's order.
    level : float
        The interval level, named on the x axis.
    order : list
        Attribute codes, most important first (:func:`dce.report.text.attribute_order`).
    counts : dict, optional
        Group code -> respondents, shown in the legend.

    Returns
    -------
    tuple of (bytes, bytes)
        figures/importance.png and figures/importance.svg (deterministic bytes).
    """
    return _save(_importance_figure(imp, labels, groups, level, order, counts))


def _importance_figure(imp, labels: Labels, groups: list, level: float, order: list,
                       counts: dict | None = None) -> Figure:
    with matplotlib.rc_context(RC):
        n = len(groups)
        body = 0.19 * len(order) * max(n, 2.5) + 1.2
        fig = _figure(9.0, body)
        ax = fig.add_subplot()
        rows = list(reversed(order))
        for gi, g in enumerate(groups):
            part = imp[imp["group"] == g].set_index("attribute")
            for ai, a in enumerate(rows):
                if a not in part.index:
                    continue
                y = ai - _dodge(gi, n)
                r = part.loc[a]
                ax.plot([100 * r["ci_lower"], 100 * r["ci_upper"]], [y, y],
                        color=labels.colour(g), lw=2, solid_capstyle="butt")
                ax.plot([100 * r["importance"]], [y], marker=labels.marker(g), ls="none",
                        color=labels.colour(g), ms=6, mec="white", mew=0.6)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([safe(wrap(labels.attribute(a), 34)) for a in rows])
        ax.tick_params(axis="y", length=0)
        for k in range(len(rows) - 1):
            ax.axhline(k + 0.5, color=GRID, lw=0.6)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.set_xlim(left=0)
        what = ("Share of preference (%)" if labels.is_items else
                "Importance: share of the sum of attribute ranges (%)")
        ax.set_xlabel(f"{what}, with {round(level * 100)}% interval")
        ax.set_title(f"{'Item' if labels.is_items else 'Attribute'} importance by group",
                     loc="left")
        ax.grid(axis="x", color=GRID, lw=0.6)
        ax.set_axisbelow(True)
        _legend_below(fig, _group_handles(labels, groups, counts), body)
        return fig


def rank_chart(imp, labels: Labels, groups: list, order: list):
    """How each attribute's rank moves between groups (1 = most important, on top).
    Attributes whose rank moves by two places or more are drawn dark.

    Parameters
    ----------
    imp : pandas.DataFrame
        importance.csv (``group``, ``attribute``, ``rank``).
    labels : dce.report.labels.Labels
        Readable names, colours and markers.
    groups : list
        Group codes, one column each in order; the pooled model is left out when there
        are other groups.
    order : list
        Attribute codes to draw.

    Returns
    -------
    tuple of (bytes, bytes)
        figures/ranks.png and figures/ranks.svg (deterministic bytes).
    """
    return _save(_rank_figure(imp, labels, groups, order))


def _rank_figure(imp, labels: Labels, groups: list, order: list) -> Figure:
    groups = [g for g in groups if g != POOLED] or list(groups)
    with matplotlib.rc_context(RC):
        n_attr, n = len(order), len(groups)
        # inches between group columns; side margins of 2.3 in hold the attribute labels
        step = max(1.5, 4.4 / (n - 1)) if n > 1 else 4.4
        fig = _figure(5.6 + step * max(n - 1, 1), 0.42 * n_attr + 2.0)
        ax = fig.add_subplot()
        ranks = {g: imp[imp["group"] == g].set_index("attribute")["rank"] for g in groups}
        xs = list(range(len(groups)))
        for a in order:
            pts = [(x, float(ranks[g][a]), g) for x, g in zip(xs, groups)
                   if a in ranks[g].index]
            if not pts:
                continue
            moved = max(p[1] for p in pts) - min(p[1] for p in pts) >= 2
            ax.plot([p[0] for p in pts], [p[1] for p in pts],
                    color="#222222" if moved else "#BBBBBB", lw=2.2 if moved else 1.3,
                    zorder=1)
            for x, y, g in pts:
                ax.plot([x], [y], marker=labels.marker(g), color=labels.colour(g), ms=9,
                        mec="white", mew=0.8, ls="none", zorder=2)
            weight = "bold" if moved else "normal"
            name = safe(wrap(labels.attribute(a), 32))
            ax.text(pts[0][0] - 0.08, pts[0][1], name, ha="right", va="center",
                    fontsize=8.5, fontweight=weight)
            ax.text(pts[-1][0] + 0.08, pts[-1][1], name, ha="left", va="center",
                    fontsize=8.5, fontweight=weight)
        ax.set_ylim(n_attr + 0.6, 0.4)
        ax.set_yticks(range(1, n_attr + 1))
        ax.set_ylabel("Rank (1 = most important)")
        ax.set_xticks(xs)
        ax.set_xticklabels([safe(wrap(labels.group(g), 18)) for g in groups])
        for t, g in zip(ax.get_xticklabels(), groups, strict=True):
            t.set_color(labels.colour(g) if labels.colour(g) != "#F0E442" else "#222222")
            t.set_fontweight("bold")
        ax.set_xlim(-2.3 / step, n - 1 + 2.3 / step)
        ax.spines["bottom"].set_visible(False)
        ax.tick_params(axis="x", length=0)
        ax.set_title("How each attribute's rank moves between groups", loc="left")
        return fig


def forest_chart(estimates, labels: Labels, groups: list, level: float):
    """Coefficients with intervals, grouped under their attribute, one colour per group.
    Levels, per-unit (linear) terms, constants, interactions and standard deviations are
    drawn in panels of their own, each with its own x scale.

    Parameters
    ----------
    estimates : pandas.DataFrame
        estimates.csv (``group``, ``term``, ``estimate``, ``ci_lower``, ``ci_upper``).
    labels : dce.report.labels.Labels
        Readable term names, colours and markers.
    groups : list
        Group codes, in the legend's order.
    level : float
        The interval level, named on the x axes.

    Returns
    -------
    tuple of (bytes, bytes)
        figures/coefficients.png and figures/coefficients.svg (deterministic bytes).
    """
    return _save(_forest_figure(estimates, labels, groups, level))


def _panel_of(term: str, labels: Labels) -> str:
    """Which forest panel a term goes to (one panel for an item study)."""
    head, row = labels.term(term)
    if labels.is_items:
        return "levels"
    if ":" in term:
        return "interactions"
    if head == "Standard deviations (random terms)":
        return "sd"
    if head == "Constants":
        return "constants"
    base, _ = labels.split_label(term)  # labelled designs: travel@NHS group is per unit
    if row == "per unit" or (base in labels.codings and labels.codings[base] == "linear"):
        return "per_unit"
    return "levels"


def _forest_rows(terms: list, labels: Labels) -> tuple[dict, list, float]:
    """Rows of one panel, grouped under their heading: ({term: y}, [(y, text, bold)],
    end) in row units (a term's row is 1)."""
    heads: dict = {}
    for t in terms:
        head, _ = labels.term(t)
        heads.setdefault(head, []).append(t)
    ypos, ticks, y = {}, [], 0.0
    for head, ts in heads.items():
        y += 0.3 if ypos else 0.0
        ticks.append((y, safe(wrap(head, 44)), True))
        y += 0.7
        for t in ts:
            ypos[t] = y
            ticks.append((y, safe(wrap(labels.term(t)[1], 40)), False))
            y += 1.0
    return ypos, ticks, y


def _forest_panel(ax, estimates, labels: Labels, groups: list, terms: list) -> None:
    ypos, ticks, end = _forest_rows(terms, labels)
    n = len(groups)
    for gi, g in enumerate(groups):
        part = estimates[(estimates["group"] == g) & estimates["term"].isin(ypos)]
        for _, r in part.iterrows():
            yy = ypos[r["term"]] + _dodge(gi, n, 0.7)
            ax.plot([r["ci_lower"], r["ci_upper"]], [yy, yy], color=labels.colour(g),
                    lw=1.6, solid_capstyle="butt")
            ax.plot([r["estimate"]], [yy], marker=labels.marker(g), ls="none",
                    color=labels.colour(g), ms=4.5, mec="white", mew=0.4)
    ax.set_yticks([t[0] for t in ticks])
    ax.set_yticklabels([t[1] for t in ticks], fontsize=8.5)
    for label, (_, _, bold) in zip(ax.get_yticklabels(), ticks, strict=True):
        if bold:
            label.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(end - 0.5, -0.6)
    ax.axvline(0, color=DARK, lw=0.8)
    ax.grid(axis="x", color=GRID, lw=0.6)
    ax.set_axisbelow(True)


def _forest_figure(estimates, labels: Labels, groups: list, level: float) -> Figure:
    terms = list(dict.fromkeys(estimates["term"]))
    panels = [(key, xlabel, [t for t in terms if _panel_of(t, labels) == key])
              for key, xlabel in PANELS]
    panels = [p for p in panels if p[2]]
    unit = max(0.25, 0.08 * len(groups) + 0.05)  # inches per term row
    heights = [unit * (_forest_rows(ts, labels)[2] + 0.1) for _, _, ts in panels]
    body = sum(heights) + 0.75 * len(panels) + 0.45
    interval = f", with {round(level * 100)}% interval"
    with matplotlib.rc_context(RC):
        fig = _figure(9.0, body)
        grid = fig.add_gridspec(len(panels), 1, height_ratios=heights)
        for i, (_, xlabel, ts) in enumerate(panels):
            ax = fig.add_subplot(grid[i])
            _forest_panel(ax, estimates, labels, groups, ts)
            ax.set_xlabel(xlabel + interval, fontsize=9)
        fig.axes[0].set_title("Model coefficients by group", loc="left")
        if len(panels) > 1:
            fig.get_layout_engine().set(hspace=0.04)
        _legend_below(fig, _group_handles(labels, groups), body)
        return fig


def power_chart(power, alpha: float):
    """Power against sample size: per group the smallest power over its terms (the
    hardest term to detect), the probability of the correct top-k ranking, and the
    Swait-Louviere test's power for the compared pairs.

    Parameters
    ----------
    power : pandas.DataFrame
        power.csv of ``dce power`` (``sample_size``, ``group``, ``measure``: ``power``,
        ``top_<k>_correct``, ``swait_louviere_power`` with ``group`` 'a vs b', ...;
        ``term``, ``value``).
    alpha : float
        The tests' level, named on the y axis.

    Returns
    -------
    tuple of (bytes, bytes)
        figures/power.png and figures/power.svg (deterministic bytes).
    """
    return _save(_power_figure(power, alpha))


def _power_figure(power, alpha: float) -> Figure:
    groups = [g for g in dict.fromkeys(power["group"]) if g and " vs " not in g]
    labels = Labels({}, groups)
    sl = power[power["measure"] == "swait_louviere_power"]
    handles = _group_handles(labels, groups, ls="none")
    handles += [_handle(DARK, "o", "Weakest term (smallest power over the terms)"),
                _handle(DARK, "o", "Top ranking correct", ls=":", mfc="white")]
    with matplotlib.rc_context(RC):
        body = 4.4
        fig = _figure(9.0, body)
        ax = fig.add_subplot()
        for g in groups:
            colour, marker = labels.colour(g), labels.marker(g)
            part = power[(power["group"] == g) & (power["measure"] == "power")]
            low = part.groupby("sample_size")["value"].min()
            ax.plot(low.index, low.values, ls="-", marker=marker, color=colour, lw=2)
            top = power[(power["group"] == g) & power["measure"].str.startswith("top_")]
            ax.plot(top["sample_size"], top["value"], ls=":", marker=marker, color=colour,
                    lw=2, mfc="white")
        for i, (pair, part) in enumerate(sl.groupby("group", sort=False)):
            a, _, b = str(pair).partition(" vs ")
            marker = PAIR_MARKERS[i % len(PAIR_MARKERS)]
            ax.plot(part["sample_size"], part["value"], ls="--", marker=marker,
                    color=DARK, lw=1.3, ms=7)
            handles.append(_handle(DARK, marker, f"Swait-Louviere test: {labels.group(a)} "
                                   f"vs {labels.group(b)}", ls="--", lw=1.3))
        ax.axhline(0.8, color="#999999", lw=0.8)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("Respondents per group")
        ax.set_ylabel(f"Probability (tests at alpha = {alpha:g})")
        ax.set_title("Power by sample size", loc="left")
        ax.grid(color=GRID, lw=0.6)
        ax.set_axisbelow(True)
        if handles:
            _legend_below(fig, handles, body, max_cols=2)
        return fig


class _SegmentLabels:
    """Labels of latent class segments for the group-keyed figure builders: segment ``k``
    gets the ``k``-th colour and marker of the palette."""

    def __init__(self, labels: Labels, classes: list):
        self._labels, self._index = labels, {c: i for i, c in enumerate(classes)}
        self.is_items = labels.is_items

    def attribute(self, name: str) -> str:
        return self._labels.attribute(name)

    def group(self, code) -> str:
        return f"Segment {str(code).removeprefix('class')}"

    def colour(self, code) -> str:
        return PALETTE[self._index[code] % len(PALETTE)]

    def marker(self, code) -> str:
        return MARKERS[self._index[code] % len(MARKERS)]


def class_importance_chart(imp, labels: Labels, level: float, order: list, title: str):
    """Importance by latent class segment of one model: the importance chart with segments
    in place of groups (class_importance.csv rows of one group).

    Parameters
    ----------
    imp : pandas.DataFrame
        class_importance.csv rows of one group (``class``, ``attribute``, ``importance``,
        ``ci_lower``, ``ci_upper``; shares in [0, 1], drawn in percent).
    labels : dce.report.labels.Labels
    level : float
        Interval level.
    order : list
        Attribute codes, most important (in the first segment) first.
    title : str
        The figure's title.

    Returns
    -------
    tuple of (bytes, bytes)
        figures/classes.png and figures/classes.svg (deterministic bytes).
    """
    classes = list(dict.fromkeys(imp["class"]))
    frame = imp.drop(columns=["group"], errors="ignore").rename(columns={"class": "group"})
    fig = _importance_figure(frame, _SegmentLabels(labels, classes), classes, level, order)
    with matplotlib.rc_context(RC):
        fig.axes[0].set_title(title, loc="left")
    return _save(fig)
