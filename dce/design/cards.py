"""Choice cards: the tasks of a design as respondents see them (Markdown or HTML text).

Pure functions returning text, one document per block; writing files is the caller's job.
Attribute rows use the attributes' labels, columns are "Option 1", "Option 2", ... and the
opt-out (``design.opt_out``) when the design has one.
"""

from __future__ import annotations

import html


def _tasks(design, study):
    d = study.spec.design
    opt_label = (d.opt_out if d is not None and d.opt_out else "None of these")
    table = design.table
    for (block, task), g in table.groupby(["block", "task"], sort=True):
        g = g.sort_values("alternative")
        cols = [opt_label if int(r["is_opt_out"]) else f"Option {int(r['alternative'])}"
                for _, r in g.iterrows()]
        rows = []
        for a in study.attributes:
            cells = ["" if int(r["is_opt_out"]) else str(r[a.name]) for _, r in g.iterrows()]
            rows.append((a.label, cells))
        yield int(block), int(task), cols, rows


def markdown_cards(design, study, question: str = "Which would you choose?") -> dict[int, str]:
    """One Markdown document per block: a table per task.

    Parameters
    ----------
    design : Design
        An attribute design (``block, task, alternative, <attributes>, is_opt_out``).
    study : Study
        Gives the title (``name``), the attribute labels and the opt-out's label
        (``design.opt_out``; "None of these" when it is not set).
    question : str
        The question printed above every task's table.

    Returns
    -------
    dict of int -> str
        Block number -> Markdown text (``|`` in cells escaped).
    """
    out: dict[int, list[str]] = {}
    for block, task, cols, rows in _tasks(design, study):
        lines = out.setdefault(block, [f"# {study.name}: block {block}", ""])
        esc = [c.replace("|", "\\|") for c in cols]
        lines += [f"## Task {task}", "", question, "",
                  "| | " + " | ".join(esc) + " |", "|---" * (len(cols) + 1) + "|"]
        for label, cells in rows:
            lines.append(f"| {label.replace('|', '/')} | "
                         + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    return {b: "\n".join(v) for b, v in out.items()}


def html_cards(design, study, question: str = "Which would you choose?") -> dict[int, str]:
    """One self-contained HTML page per block (no scripts, no external resources).

    Parameters as :func:`markdown_cards`.

    Returns
    -------
    dict of int -> str
        Block number -> HTML page (every text escaped; inline print-friendly style).
    """
    pages: dict[int, list[str]] = {}
    for block, task, cols, rows in _tasks(design, study):
        parts = pages.setdefault(block, [])
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
        body = "".join(
            "<tr><th scope='row'>" + html.escape(label) + "</th>"
            + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
            for label, cells in rows)
        parts.append(f"<section><h2>Task {task}</h2><p>{html.escape(question)}</p>"
                     f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody>"
                     "</table></section>")
    style = ("body{font-family:sans-serif;max-width:60em;margin:auto}"
             "table{border-collapse:collapse;margin-bottom:2em}"
             "td,th{border:1px solid #999;padding:.4em .8em;text-align:left}"
             "section{page-break-inside:avoid}")
    title = html.escape(study.name)
    return {b: (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}: "
                f"block {b}</title><style>{style}</style></head><body><h1>{title}: block {b}"
                f"</h1>{''.join(p)}</body></html>") for b, p in pages.items()}
