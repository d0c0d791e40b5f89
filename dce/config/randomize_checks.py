"""Checks of ``design.randomize`` (the fielded orders, :mod:`dce.design.randomize`).

Responses recorded as shown (``choices.columns.version``) are mapped back to the design's
tasks and alternatives through the orders fielded. Drawn from the config ``seed`` alone,
those orders would change silently when the seed changes after fielding, and the answers
would be attached to the wrong alternatives; so such data need the orders pinned, by the
fielded order file (``design.randomize.file``, safest: it does not depend on any seed or
on the dce version that drew it) or by the orders' own seed (``design.randomize.seed``).
"""

from __future__ import annotations


def check_randomize(study, out: list) -> None:
    """Append the problems of ``design.randomize`` to ``out``.

    Parameters
    ----------
    study : Study
        A dce study with a ``design:`` section.
    out : list of Problem
        Receives one problem per mistake, located at its key: randomising nothing; a
        ``choices.columns.version`` without ``design.randomize``; responses recorded as
        shown without ``design.randomize.file`` or ``design.randomize.seed``; both given;
        a ``design.randomize.file`` that is missing or a folder while responses recorded
        as shown need it.
    """
    d = study.spec.design
    p = study.problem
    r = d.randomize
    if r is not None and not (r.tasks or r.alternatives):
        out.append(p(("design", "randomize"), "randomises nothing; set tasks: true and/or "
                     "alternatives: true, or remove design.randomize"))
    ch = study.spec.choices
    shown_data = ch is not None and bool(ch.columns.version)
    if shown_data and r is None:
        out.append(p(("choices", "columns", "version"), "a version column needs "
                     "design.randomize (the orders fielded); remove it when the data give the "
                     "design's task and alternative"))
    if r is None:
        return
    if r.file is not None and r.seed is not None:
        out.append(p(("design", "randomize", "seed"), "give design.randomize.file or "
                     "design.randomize.seed, not both: the file holds the orders fielded; "
                     "remove seed"))
    if not shown_data:
        return
    if r.file is None and r.seed is None:
        out.append(p(("design", "randomize"), "responses recorded as shown "
                     "(choices.columns.version) are mapped back through the orders "
                     "fielded, which are drawn from the config seed and would change with it; "
                     "pin them: add `file: fielding_order.csv` under design.randomize (the "
                     "fielding_order.csv of the run that made the survey, copied next to "
                     f"the config; safest) or `seed: {study.seed}` (only if {study.seed} is "
                     "the seed the survey was made with)"))
    elif r.file is not None and not study.resolve(r.file).is_file():
        what = "is a folder" if study.resolve(r.file).is_dir() else "file not found"
        out.append(p(("design", "randomize", "file"), f"{what}: {r.file} (paths are relative "
                     "to the config file's folder); responses recorded as shown need the "
                     "orders fielded: copy there the fielding_order.csv of the run that made "
                     "the survey"))
