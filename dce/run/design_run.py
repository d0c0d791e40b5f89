"""``dce run`` before any data exists: the design, cards, survey table and sample size.

A config with ``attributes:`` and ``design:`` but neither ``choices:`` nor ``simulate:`` is
where every study starts. Its run folder holds what a researcher fields and what they
need to choose the number of respondents: design.csv and its diagnostics, survey.csv and
the cards, sample_size.csv (S-estimates at the priors and the rule of thumb), power.csv
when the config has ``power:``, and design_report.md saying that no responses exist yet.
The manifest's stage is ``run``: the same command with responses replaces the folder.

References
----------
Rose, J. M. and Bliemer, M. C. J. (2013). Sample size requirements for stated choice
experiments. Transportation 40(5), 1021-1041 (S-estimates).
Johnson, R. and Orme, B. (2003). Getting the most from CBC. Sawtooth Software research
paper series (the rule of thumb N >= 500 c / (t a)); see also de Bekker-Grob et al.
(2015), The Patient 8(5), 373-384.
"""

from __future__ import annotations

import math

import pandas as pd

from dce.run.runner import Job, analyse, cards_files, power_files

SAMPLE_SIZE_COLUMNS = ["term", "prior_mean", "respondents", "method"]


def has_responses(study) -> bool:
    """Whether the study has responses to analyse (``choices:`` or ``simulate:``).

    Parameters
    ----------
    study : dce.config.study.Study

    Returns
    -------
    bool
    """
    return study.spec.choices is not None or study.spec.simulate is not None


def rule_of_thumb(study, design) -> int:
    """Respondents by the rule of thumb N >= 500 c / (t a) (Johnson and Orme 2003).

    Parameters
    ----------
    study : dce.config.study.Study
        Attribute study (c: the largest number of levels of an attribute).
    design : dce.design.Design
        t: choice tasks per respondent (one block; validity tasks not counted), a:
        alternatives per task without the opt-out.

    Returns
    -------
    int
        Respondents, rounded up.
    """
    from dce.design.validity import choice_rows

    table = choice_rows(design.table)  # dominance and repeated tasks are not counted
    generic = table[table["is_opt_out"] == 0]
    tasks = int(generic.groupby("block")["task"].nunique().min())
    alts = int(generic.groupby(["block", "task"]).size().max())
    c = max((a.n_levels for a in study.attributes), default=2)
    return math.ceil(500 * c / (tasks * alts))


def sample_size_table(study, design) -> pd.DataFrame:
    """sample_size.csv: respondents needed per term (S-estimates) and by the rule of thumb.

    Parameters
    ----------
    study : dce.config.study.Study
        An attribute study with ``design:``.
    design : dce.design.Design
        The design; its diagnostics hold the S-estimates (respondents, each answering one
        block, for |estimate / se| >= 1.96 at the prior means; Rose and Bliemer 2013).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SAMPLE_SIZE_COLUMNS`: one row per term (``respondents`` rounded up,
        empty where the prior is 0 or the term is not identified, method
        ``s_estimate``), then ``max`` over the terms (method ``s_estimate_max``) and the
        rule of thumb (term empty, method ``rule_of_thumb``).
    """
    from dce.design.priors import prior_moments

    est = design.diagnostics.get("s_estimates") or {}
    terms = list(est)
    means = prior_moments(study, terms)[0] if terms else []
    rows = [(t, float(m), None if v is None else math.ceil(v), "s_estimate")
            for t, m, v in zip(terms, means, est.values())]
    known = [r[2] for r in rows if r[2] is not None]
    if known:
        rows.append(("", None, max(known), "s_estimate_max"))
    rows.append(("", None, rule_of_thumb(study, design), "rule_of_thumb"))
    table = pd.DataFrame(rows, columns=SAMPLE_SIZE_COLUMNS)
    table["respondents"] = table["respondents"].astype("Int64")
    return table


def design_sentence(diag: dict) -> str:
    """One sentence describing a design from its diagnostics.

    Parameters
    ----------
    diag : dict
        design_diagnostics.json.

    Returns
    -------
    str
        E.g. 'Design: 24 choice sets (bayesian) in 2 blocks of 12 tasks, 2 alternatives
        plus an opt-out; D-error 0.0756, DB-error 0.0865.'
    """
    blocks = int(diag.get("blocks") or 1)
    text = (f"Design: {diag.get('n_choice_sets')} choice sets ({diag.get('method')}) in "
            f"{blocks} block{'s' if blocks != 1 else ''} of {diag.get('tasks_per_block')} "
            f"tasks, {diag.get('alternatives')} alternatives"
            + (" plus an opt-out" if diag.get("opt_out") else ""))
    errors = [f"{label} {diag[key]:.4g}" for key, label in
              (("d_error", "D-error"), ("db_error", "DB-error")) if diag.get(key) is not None]
    text += ("; " + ", ".join(errors) if errors else "") + "."
    valid = diag.get("validity_tasks") or {}
    extra = [f"{n} {what} task{'s' if n != 1 else ''}" for n, what in
             ((valid.get("dominance_tasks_per_block", 0), "dominance"),
              (valid.get("repeat_tasks_per_block", 0), "repeated")) if n]
    if extra:
        text += (f" Each block also has {' and '.join(extra)} ("
                 f"{valid.get('tasks_per_block_fielded')} tasks fielded per respondent).")
    return text


def _power_lines(table) -> list[str]:
    """Per group: the smallest size where every powered term reaches 0.8, or the weakest."""
    pw = table[table["measure"] == "power"]
    out = []
    for g in dict.fromkeys(pw["group"]):
        part = pw[pw["group"] == g]
        weakest = part.groupby("sample_size")["value"].min()
        enough = weakest[weakest >= 0.8]
        if len(enough):
            out.append(f"{g}: every term with a non-zero prior reaches power 0.8 from "
                       f"n = {int(enough.index[0])} (the smallest size tried that does).")
        else:
            n = weakest.index.max()
            row = part[part["sample_size"] == n].sort_values("value").iloc[0]
            out.append(f"{g}: at the largest size tried, n = {int(n)}, the weakest term, "
                       f"{row['term']}, has power {row['value']:.2f}; more respondents "
                       "are needed for 0.8.")
    return out


def _randomised(order) -> str:
    parts = [w for w, on in (("tasks", order.tasks), ("alternatives", order.alternatives))
             if on]
    return " and ".join(parts) or "nothing"


def design_report(study, design, sizes: pd.DataFrame, power_table=None) -> str:
    """design_report.md: what the folder holds and what to do next, from the numbers.

    Parameters
    ----------
    study : dce.config.study.Study
    design : dce.design.Design
    sizes : pandas.DataFrame
        :func:`sample_size_table`.
    power_table : pandas.DataFrame, optional
        power.csv, when the config has ``power:``.

    Returns
    -------
    str
        Markdown.
    """
    lines = [f"# {study.name}: design (no responses yet)", "",
             "No responses exist yet: this folder holds the design to field and the "
             "sample-size guidance. Before fielding, copy `design.csv` to the config's "
             "`design.file`" + (" and `fielding_order.csv` next to it as "
                                "`design.randomize.file`" if study.spec.design.randomize
                                else "") + ", so that later runs read what was fielded. "
             "Field `survey.csv` (or the cards), then add `choices:` to the config and run "
             "`dce run` again for estimates and the report.", "",
             "## Design", "", design_sentence(design.diagnostics), ""]
    order = study.spec.design.randomize
    if order is not None:
        lines += [f"The order is randomised ({_randomised(order)}) in "
                  f"{order.versions} version{'s' if order.versions != 1 else ''} per "
                  "block: survey.csv, the cards and fielding_order.csv show each version "
                  "as fielded.", ""]
    lines += ["## Sample size", ""]
    s_max = sizes.loc[sizes["method"] == "s_estimate_max", "respondents"]
    thumb = int(sizes.loc[sizes["method"] == "rule_of_thumb", "respondents"].iloc[0])
    terms = sizes[sizes["method"] == "s_estimate"]
    n_known = int(terms["respondents"].notna().sum())
    if len(s_max):
        lines.append(f"{n_known} of the {len(terms)} terms have a non-zero prior mean. At "
                     "the prior means, each of them is significant at 5% (|z| >= 1.96) in "
                     f"expectation from {int(s_max.iloc[0]):,} respondents (the largest "
                     "S-estimate; Rose and Bliemer 2013). This is a minimum that holds only "
                     "if the priors are right; terms with a prior of 0 have no S-estimate.")
    else:
        lines.append("There are no S-estimates: no term has a non-zero prior mean "
                     "(`design.priors`).")
    lines += ["", f"The rule of thumb N >= 500 c / (t a) (Johnson and Orme 2003) gives "
              f"{thumb:,} respondents.", ""]
    if power_table is not None:
        lines += ["## Power", "", "power.csv holds the simulated power for each sample size of "
                  "`power:`" + (" (respondents choosing by the prior means, group `prior`)."
                                if study.spec.simulate is None else ".")
                  + " An S-estimate is the size at which a term is significant in "
                  "expectation, which is about 50% power; 80% power needs about twice as "
                  "many respondents.", ""]
        lines += [f"- {line}" for line in _power_lines(power_table)] + [""]
    return "\n".join(lines) + "\n"


def execute_design_run(study, output=None, force=False, jobs=None, backend_name=None,
                       scheduler=None):
    """``dce run`` on a config without responses; return (folder, Run).

    Parameters
    ----------
    study : dce.config.study.Study
        A study with ``design:`` and neither ``choices:`` nor ``simulate:``.
    output, force, jobs, backend_name, scheduler
        As :func:`dce.run.runner.execute`.

    Returns
    -------
    tuple of (pathlib.Path, dce.run.stages.Run)
        The folder (config.yaml, design.csv, design_diagnostics.json, survey.csv,
        cards/, sample_size.csv, design_report.md, results.xlsx, power.csv and
        figures/power.* with ``power:``, warnings.txt with warnings, manifest.json with
        stage ``run``) and the run (stage ``run``, no responses, no models).

    Raises
    ------
    dce.errors.ConfigError
        Without a ``design:`` section (naming the commands that need responses).
    dce.errors.DceError
        From the design or the power simulations, or when the folder cannot be written.
    """
    import warnings

    from dce.errors import ConfigError
    from dce.run.outputs import csv_bytes, run_files, xlsx_bytes
    from dce.run.runner import parallel_settings

    if study.spec.design is None:
        raise ConfigError("the config has no responses and no `design:`; add `design:` to "
                          "make a design, or `choices:` (observed responses) or `simulate:` "
                          "(synthetic respondents) to estimate", file=study.display_name)
    job = Job(study, output, force, "run")
    jobs, context = parallel_settings(study, jobs, backend_name, scheduler)
    run = analyse(study, "design", jobs=jobs)
    run.stage = "run"
    files = run_files(run, xlsx=False)
    if study.spec.type == "dce":
        sizes = sample_size_table(study, run.design)
        files.update(cards_files(run.design, study))
        files["sample_size.csv"] = csv_bytes(sizes)
        power_table = None
        if study.spec.power is not None:
            with context, warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                power_map, power_table = power_files(study, run.design, jobs)
            files.update(power_map)
            run.notes.extend(dict.fromkeys(
                str(w.message) for w in caught
                if issubclass(w.category, (RuntimeWarning, UserWarning))
                and str(w.message) not in run.notes))
        files["design_report.md"] = design_report(study, run.design, sizes,
                                                  power_table).encode("utf-8")
    if run.notes:
        files["warnings.txt"] = ("\n".join(run.notes) + "\n").encode()
    files["results.xlsx"] = xlsx_bytes({k: v for k, v in files.items() if k.endswith(".csv")},
                                       study.name)
    return job.finish(run, files), run
