"""Choice cards: the tasks of a design as respondents see them (Markdown or HTML text).

Pure functions returning text, one document per block (per block version, in the order
fielded, with ``design.randomize``); writing files is the caller's job.
Attribute rows use the attributes' labels; columns are "Option 1", "Option 2", ... (in a
labelled design, ``design.labels``: each alternative's label, which follows it to the
position it is shown at) and the opt-out (``design.opt_out``) when the design has one. An
attribute that a labelled alternative does not have (``attributes.<a>.alternatives``) shows
"–" in its column.
"""

from __future__ import annotations

import html

from dce.design.randomize import fielded_table

NOT_APPLICABLE = "–"  # the cell of an attribute that a labelled alternative does not have


def _tasks(design, study):
    """(page, task shown, column heads, attribute rows) in the order fielded: a page is a
    block, or a (block, version) of a randomised design (:mod:`dce.design.randomize`).
    A labelled alternative is headed by its label wherever it is shown."""
    d = study.spec.design
    opt_label = (d.opt_out if d is not None and d.opt_out else "None of these")
    labels = study.alternative_labels
    table = fielded_table(design, study)
    keys = ["block", "version", "task"] if "version" in table else ["block", "task"]
    source = "design_alternative" if "design_alternative" in table else "alternative"
    for key, g in table.groupby(keys, sort=True):
        g = g.sort_values("alternative")
        opt = g["is_opt_out"].to_numpy().astype(bool)
        alt = g[source].to_numpy()  # the design's alternative: its label moves with it
        cols = [opt_label if o else labels.get(int(a), f"Option {int(s)}")
                for o, a, s in zip(opt, alt, g["alternative"], strict=True)]
        rows = []
        for a in study.attributes:
            on = a.applies(alt)
            cells = ["" if o else (str(v) if k else NOT_APPLICABLE)
                     for o, k, v in zip(opt, on, g[a.name], strict=True)]
            rows.append((a.label, cells))
        page = int(key[0]) if len(keys) == 2 else (int(key[0]), int(key[1]))
        yield page, int(key[-1]), cols, rows


def card_name(page) -> str:
    """File name (without extension) of a page of cards: ``block_<b>``, or
    ``block_<b>_version_<v>`` for a version of a randomised design.

    Parameters
    ----------
    page : int or tuple of int
        A key of :func:`markdown_cards` / :func:`html_cards`.

    Returns
    -------
    str
    """
    return f"block_{page}" if isinstance(page, int) else f"block_{page[0]}_version_{page[1]}"


def _title(page) -> str:
    return f"block {page}" if isinstance(page, int) else f"block {page[0]}, version {page[1]}"


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
    dict of int or (int, int) -> str
        Block number -> Markdown text (``|`` in cells escaped); with ``design.randomize``,
        (block, version) -> the version's tasks and alternatives in the order fielded
        (:func:`card_name` names its file).
    """
    out: dict = {}
    for page, task, cols, rows in _tasks(design, study):
        lines = out.setdefault(page, [f"# {study.name}: {_title(page)}", ""])
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
    dict of int or (int, int) -> str
        Block number (or (block, version), as :func:`markdown_cards`) -> HTML page (every
        text escaped; inline print-friendly style).
    """
    pages: dict = {}
    for page, task, cols, rows in _tasks(design, study):
        parts = pages.setdefault(page, [])
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
                f"{_title(b)}</title><style>{style}</style></head><body><h1>{title}: "
                f"{_title(b)}</h1>{''.join(p)}</body></html>") for b, p in pages.items()}
