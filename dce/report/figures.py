"""Figures with matplotlib's object API (Agg), deterministic PNG and SVG bytes.

Every figure takes the run's tables and a :class:`~dce.report.labels.Labels`, so a group
has the same colour and marker in every figure, and rows show attribute labels, not codes.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from dce.report.labels import (  # noqa: E402,F401 - PALETTE re-exported for callers
    PALETTE,
    POOLED,
    Labels,
    wrap,
)

DPI = 120
GRID = "#DDDDDD"
RC = {"font.size": 9.5, "axes.titlesize": 11.5, "axes.titleweight": "bold",
      "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "dce",
      "svg.fonttype": "none", "path.simplify": False}


def group_colours(groups) -> dict:
    """Colour of each group (the pooled model ``all`` is grey), as in every report figure."""
    return Labels({}, list(groups)).colours


def safe(text) -> str:
    """Text for matplotlib: a '$' would start mathtext."""
    return str(text).replace("$", r"\$")


def _save(fig) -> tuple[bytes, bytes]:
    png, svg = io.BytesIO(), io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png.getvalue(), svg.getvalue()


def _legend(ax, labels: Labels, groups, counts: dict | None = None, **kw):
    handles = []
    for g in groups:
        text = labels.group(g)
        if counts and g in counts:
            text += f", n = {counts[g]}"
        handles.append(Line2D([], [], color=labels.colour(g), marker=labels.marker(g),
                              lw=2, ms=6, label=safe(text)))
    ax.legend(handles=handles, frameon=False, fontsize=8.5, **kw)


def _dodge(i: int, n: int, width: float = 0.72) -> float:
    return 0.0 if n <= 1 else (i - (n - 1) / 2) * (width / n)


def importance_chart(imp, labels: Labels, groups: list, level: float, order: list,
                     counts: dict | None = None):
    """Dot-and-interval chart: attributes (rows, most important on top) x groups
    (colours and markers)."""
    with matplotlib.rc_context(RC):
        n = len(groups)
        fig = Figure(figsize=(9.0, 0.19 * len(order) * max(n, 2.5) + 1.7))
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
        _legend(ax, labels, groups, counts, loc="upper center",
                bbox_to_anchor=(0.5, -0.45 / fig.get_figheight() - 0.02), ncol=min(3, n))
        fig.tight_layout()
        return _save(fig)


def rank_chart(imp, labels: Labels, groups: list, order: list):
    """How each attribute's rank moves between groups (1 = most important, on top).
    Attributes whose rank moves by two places or more are drawn dark."""
    groups = [g for g in groups if g != POOLED] or list(groups)
    with matplotlib.rc_context(RC):
        n_attr = len(order)
        fig = Figure(figsize=(10.0, 0.42 * n_attr + 2.0))
        ax = fig.add_subplot()
        ranks = {g: imp[imp["group"] == g].set_index("attribute")["rank"] for g in groups}
        xs = list(range(len(groups)))
        for a in order:
            ys = [float(ranks[g][a]) if a in ranks[g].index else None for g in groups]
            pts = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
            if not pts:
                continue
            moved = max(y for _, y in pts) - min(y for _, y in pts) >= 2
            ax.plot([p[0] for p in pts], [p[1] for p in pts],
                    color="#222222" if moved else "#BBBBBB", lw=2.2 if moved else 1.3,
                    zorder=1)
            for (x, y), g in zip(pts, [g for g, y in zip(groups, ys, strict=True) if y is not None], strict=True):
                ax.plot([x], [y], marker=labels.marker(g), color=labels.colour(g), ms=9,
                        mec="white", mew=0.8, ls="none", zorder=2)
            weight = "bold" if moved else "normal"
            ax.text(pts[0][0] - 0.08, pts[0][1], safe(wrap(labels.attribute(a), 32)),
                    ha="right", va="center", fontsize=8.5, fontweight=weight)
            ax.text(pts[-1][0] + 0.08, pts[-1][1], safe(wrap(labels.attribute(a), 32)),
                    ha="left", va="center", fontsize=8.5, fontweight=weight)
        ax.set_ylim(n_attr + 0.6, 0.4)
        ax.set_yticks(range(1, n_attr + 1))
        ax.set_ylabel("Rank (1 = most important)")
        ax.set_xticks(xs)
        ax.set_xticklabels([safe(wrap(labels.group(g), 18)) for g in groups])
        for t, g in zip(ax.get_xticklabels(), groups, strict=True):
            t.set_color(labels.colour(g) if labels.colour(g) != "#F0E442" else "#222222")
            t.set_fontweight("bold")
        ax.set_xlim(-1.6 if len(groups) > 1 else -1, len(groups) - 1 + 1.6)
        ax.spines["bottom"].set_visible(False)
        ax.tick_params(axis="x", length=0)
        ax.set_title("How each attribute's rank moves between groups", loc="left")
        fig.tight_layout()
        return _save(fig)


def forest_chart(estimates, labels: Labels, groups: list, level: float):
    """Coefficients with intervals, grouped under their attribute, one colour per group."""
    terms = list(dict.fromkeys(estimates["term"]))
    heads: dict = {}
    for t in terms:
        head, _ = labels.term(t)
        heads.setdefault(head, []).append(t)
    layout = []  # (kind, text, term)
    for head, ts in heads.items():
        layout.append(("head", head, None))
        layout += [("term", labels.term(t)[1], t) for t in ts]
    n = len(groups)
    n_terms = sum(1 for k, _, _ in layout if k == "term")
    n_heads = len(layout) - n_terms
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(9.0, n_terms * (0.08 * n + 0.02) + n_heads * 0.3 + 1.6))
        ax = fig.add_subplot()
        ypos = {}
        ticks, ticklabels, bold = [], [], []
        y = 0.0
        for kind, text, term in layout:
            if kind == "head":
                y += 0.3 if ypos else 0.0
                ticks.append(y)
                ticklabels.append(safe(wrap(text, 44)))
                bold.append(True)
                y += 0.7
            else:
                ypos[term] = y
                ticks.append(y)
                ticklabels.append(safe(wrap(text, 40)))
                bold.append(False)
                y += 1.0
        for gi, g in enumerate(groups):
            part = estimates[estimates["group"] == g]
            for _, r in part.iterrows():
                if r["term"] not in ypos:
                    continue
                yy = ypos[r["term"]] + _dodge(gi, n, 0.7)
                ax.plot([r["ci_lower"], r["ci_upper"]], [yy, yy], color=labels.colour(g),
                        lw=1.6, solid_capstyle="butt")
                ax.plot([r["estimate"]], [yy], marker=labels.marker(g), ls="none",
                        color=labels.colour(g), ms=4.5, mec="white", mew=0.4)
        ax.set_yticks(ticks)
        ax.set_yticklabels(ticklabels, fontsize=8.5)
        for t, b in zip(ax.get_yticklabels(), bold, strict=True):
            if b:
                t.set_fontweight("bold")
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(y - 0.5, -0.6)
        ax.axvline(0, color="#555555", lw=0.8)
        ax.grid(axis="x", color=GRID, lw=0.6)
        ax.set_axisbelow(True)
        ax.set_xlabel(f"Coefficient (utility scale), with {round(level * 100)}% interval")
        ax.set_title("Model coefficients by group", loc="left")
        _legend(ax, labels, groups, loc="upper center",
                bbox_to_anchor=(0.5, -0.45 / fig.get_figheight() - 0.02), ncol=min(3, n))
        fig.tight_layout()
        return _save(fig)


def power_chart(power, alpha: float):
    """Power against sample size: per group the smallest power over its terms (the
    hardest term to detect), the probability of the correct top-k ranking, and the
    Swait-Louviere test's power for the compared pairs."""
    groups = [g for g in dict.fromkeys(power["group"]) if g and " vs " not in g]
    labels = Labels({}, groups)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.5, 4.5))
        ax = fig.add_subplot()
        for g in groups:
            colour = labels.colour(g)
            part = power[(power["group"] == g) & (power["measure"] == "power")]
            low = part.groupby("sample_size")["value"].min()
            ax.plot(low.index, low.values, "-o", color=colour,
                    label=safe(f"{labels.group(g)}: weakest term"))
            top = power[(power["group"] == g) & power["measure"].str.startswith("top_")]
            ax.plot(top["sample_size"], top["value"], ":s", color=colour,
                    label=safe(f"{labels.group(g)}: top ranking correct"))
        sl = power[power["measure"] == "swait_louviere_power"]
        for pair, part in sl.groupby("group", sort=False):
            ax.plot(part["sample_size"], part["value"], "--^", color="#555555",
                    label=safe(f"{pair}: Swait-Louviere"))
        ax.axhline(0.8, color="#999999", lw=0.8)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("Respondents per group")
        ax.set_ylabel(f"Probability (tests at alpha = {alpha:g})")
        ax.set_title("Power by sample size", loc="left")
        ax.legend(fontsize=7, frameon=False, loc="lower right")
        fig.tight_layout()
        return _save(fig)
