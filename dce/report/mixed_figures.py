"""The heterogeneity figure of a mixed logit: the share of respondents who prefer each
change, with its interval, per group (matplotlib object API, Agg; deterministic PNG and
SVG bytes with the settings of :mod:`dce.report.figures`).
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from dce.report.figures import DPI, GRID, RC, safe  # noqa: E402
from dce.report.labels import POOLED, Labels, wrap  # noqa: E402


def share_chart(het: pd.DataFrame, labels: Labels) -> tuple[bytes, bytes]:
    """Dot-and-interval chart of ``share_preferring`` (0-100%) for each change and group.

    Parameters
    ----------
    het : pandas.DataFrame
        heterogeneity.csv (``group``, ``term``, ``share_preferring``, ``share_ci_lower``,
        ``share_ci_upper``), not empty.
    labels : dce.report.labels.Labels
        Change names (:meth:`Labels.change_text`), group labels, colours and markers.

    Returns
    -------
    tuple of bytes
        (png, svg); the same bytes for the same table.
    """
    groups = list(dict.fromkeys(het["group"]))
    if len(groups) > 1 and POOLED in groups:
        groups = [g for g in groups if g != POOLED] + [POOLED]
    terms = list(dict.fromkeys(het["term"]))
    n, G = len(terms), len(groups)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(9.0, 1.2 + 0.32 * n * max(1, min(G, 3))), dpi=DPI,
                     layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        for j, g in enumerate(groups):
            part = het[het["group"] == g].set_index("term")
            y = np.array([i for i, t in enumerate(terms) if t in part.index], float)
            if not len(y):
                continue
            rows = part.loc[[t for t in terms if t in part.index]]
            y = y + (0.0 if G <= 1 else (j - (G - 1) / 2) * (0.72 / G))
            x = 100 * rows["share_preferring"].to_numpy(float)
            lo = 100 * rows["share_ci_lower"].to_numpy(float)
            hi = 100 * rows["share_ci_upper"].to_numpy(float)
            colour = labels.colour(g)
            ax.hlines(y, lo, hi, color=colour, lw=2.0)
            ax.plot(x, y, ls="none", marker=labels.marker(g), color=colour, ms=6)
        ax.axvline(50, color="#555555", ls="--", lw=1.0)
        ax.set_xlim(-2, 102)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_yticks(range(n), [safe(wrap(labels.change_text(t), 48)) for t in terms])
        ax.set_xlabel("Share of respondents who prefer the change (%)")
        ax.grid(axis="x", color=GRID, lw=0.6)
        if G > 1:
            handles = [Line2D([], [], color=labels.colour(g), marker=labels.marker(g),
                              label=safe(labels.group(g))) for g in groups]
            fig.legend(handles=handles, loc="outside lower center", frameon=False,
                       ncol=min(3, G), fontsize=8.5)
        png, svg = io.BytesIO(), io.BytesIO()
        fig.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png.getvalue(), svg.getvalue()
