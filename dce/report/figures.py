"""Figures with matplotlib's object API (Agg), deterministic PNG and SVG bytes."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

# Okabe-Ito colour-blind-safe palette; one colour per group, same in every figure
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]


def group_colours(groups) -> dict:
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}


def _save(fig) -> tuple[bytes, bytes]:
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=110, metadata={"Software": None})
    with matplotlib.rc_context({"svg.hashsalt": "dce", "svg.fonttype": "none"}):
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png.getvalue(), svg.getvalue()


def importance_chart(importance, labels: dict, groups: list, level: float):
    """Dot-and-interval chart: attributes (rows) x groups (colours)."""
    attrs = list(dict.fromkeys(importance["attribute"]))
    colours = group_colours(groups)
    fig = Figure(figsize=(8.5, 0.55 * len(attrs) * max(1, len(groups)) ** 0.5 + 1.6))
    ax = fig.add_subplot()
    n = len(groups)
    first = importance[importance["group"] == groups[0]].set_index("attribute")
    order = first.sort_values("importance")["importance"].index.tolist()
    for gi, g in enumerate(groups):
        part = importance[importance["group"] == g].set_index("attribute")
        for ai, a in enumerate(order):
            if a not in part.index:
                continue
            y = ai - (gi - (n - 1) / 2) * (0.7 / max(n, 1))
            row = part.loc[a]
            ax.plot([100 * row["ci_lower"], 100 * row["ci_upper"]], [y, y], color=colours[g],
                    lw=2, solid_capstyle="butt")
            ax.plot(100 * row["importance"], y, "o", color=colours[g], ms=6,
                    label=g if ai == 0 else None)
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([labels.get(a, a) for a in order])
    ax.set_xlabel(f"Importance (% of the sum of attribute ranges), {round(level * 100)}% interval")
    ax.set_title("Attribute importance by group")
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    fig.tight_layout()
    return _save(fig)


def power_chart(power, alpha: float):
    """Power against sample size: per group the smallest power over its terms (the
    hardest term to detect), the probability of the correct top-k ranking, and the
    Swait-Louviere test's power for the compared pairs."""
    fig = Figure(figsize=(7.5, 4.5))
    ax = fig.add_subplot()
    groups = [g for g in dict.fromkeys(power["group"]) if g and " vs " not in g]
    colours = group_colours(groups)
    for g in groups:
        part = power[(power["group"] == g) & (power["measure"] == "power")]
        low = part.groupby("sample_size")["value"].min()
        ax.plot(low.index, low.values, "-o", color=colours[g], label=f"{g}: weakest term")
        top = power[(power["group"] == g) & power["measure"].str.startswith("top_")]
        ax.plot(top["sample_size"], top["value"], ":s", color=colours[g],
                label=f"{g}: top ranking correct")
    sl = power[power["measure"] == "swait_louviere_power"]
    for pair, part in sl.groupby("group", sort=False):
        ax.plot(part["sample_size"], part["value"], "--^", color="#555555",
                label=f"{pair}: Swait-Louviere")
    ax.axhline(0.8, color="#999999", lw=0.8)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("Respondents per group")
    ax.set_ylabel(f"Probability (tests at alpha = {alpha:g})")
    ax.set_title("Power by sample size")
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    fig.tight_layout()
    return _save(fig)
