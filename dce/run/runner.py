"""From a Study to a complete run folder: analyse, render, hash, write atomically."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

from dce.config.study import shown
from dce.run.fit import attribute_stages
from dce.run.folder import check_target, write
from dce.run.outputs import manifest, run_files
from dce.run.stages import Run, run_stages, timed


def analyse(study, stage: str = "run", jobs: int = 1) -> Run:
    """Run the stages up to ``stage`` (design, simulate, fit or run) and return a Run.

    ``jobs`` is the number of parallel workers for Monte Carlo steps (bootstrap); the
    numbers do not depend on it.

    Parameters
    ----------
    study : dce.config.study.Study
        The validated study; ``type: dce`` runs :func:`dce.run.fit.attribute_stages`,
        best-worst and ranking studies :func:`dce.run.items.analyse_items`.
    stage : {"design", "simulate", "fit", "run"}, optional
        The last stage.
    jobs : int, optional
        Parallel workers.

    Returns
    -------
    dce.run.stages.Run
        Everything computed, nothing written; warnings raised on the way are its
        ``notes``.

    Raises
    ------
    dce.errors.DceError
        A ``ConfigError``, ``DesignError``, ``DataError`` or ``EstimationError`` from the
        stages.
    """
    if study.spec.type != "dce":  # best-worst and ranking studies
        from dce.run.items import analyse_items

        return analyse_items(study, stage, jobs)
    return run_stages(Run(study, stage, jobs=jobs), attribute_stages)


#: Commands whose default folder is a sibling of the run folder named after them, so that
#: running the stages in any order never replaces a finished run.
OWN_FOLDER_STAGES = ("design", "simulate", "power", "cards")


def output_dir(study, override=None, stage: str | None = None) -> Path:
    """The folder a command writes.

    Parameters
    ----------
    study : dce.config.study.Study
        The study (its ``output`` and ``name``).
    override : str or pathlib.Path, optional
        A folder given on the command line or to the API (relative to the working
        folder).
    stage : str, optional
        The command. For one of :data:`OWN_FOLDER_STAGES` the default folder is the run
        folder's sibling ``<run folder>-<stage>`` (``results/study-design``); ``run``,
        ``fit`` and None use the run folder itself.

    Returns
    -------
    pathlib.Path
        ``override``; else the config's ``output``, relative to the config file's folder,
        else ``results/<name>`` in the working folder, with the stage suffix above;
        always absolute.
    """
    if override:
        return Path(override).resolve()
    if study.spec.output:
        base = study.resolve(study.spec.output)
    else:
        base = (Path.cwd() / "results" / study.name).resolve()
    if stage in OWN_FOLDER_STAGES:
        return base.with_name(f"{base.name}-{stage}")
    return base


class Job:
    """One command's folder: checked before any work, manifest and atomic write at the end.

    Parameters
    ----------
    study : dce.config.study.Study
        The study.
    output : str or pathlib.Path or None
        The folder given by the user (:func:`output_dir`).
    force : bool
        Replace a folder that dce did not write, or that another command wrote.
    stage : str, optional
        The command (its default folder and the folder-kind check of
        :func:`dce.run.folder.check_target`).

    Raises
    ------
    dce.errors.ConfigError
        From :func:`dce.run.folder.check_target`, before any work is done.
    """

    def __init__(self, study, output, force, stage=None):
        self.study, self.force = study, force
        self.out = output_dir(study, output, stage)
        check_target(self.out, force, stage, study.name, _read_files(study))
        self.started = datetime.now(UTC)
        self.t0 = time.perf_counter()

    def finish(self, run, files: dict, inputs: dict | None = None) -> Path:
        """Add manifest.json to ``files`` and write the folder atomically; return it."""
        finished = datetime.now(UTC)
        files["manifest.json"] = manifest(run, files, inputs or {},
                                          self.started.isoformat(timespec="seconds"),
                                          finished.isoformat(timespec="seconds"),
                                          time.perf_counter() - self.t0,
                                          self.study.display_name)
        write(self.out, files, force=self.force)
        return self.out


def _read_files(study) -> list[Path]:
    """The config and the data files named in it (which a run folder must not hold)."""
    spec = study.spec
    named = [spec.choices.file if spec.choices else None,
             spec.respondents.file if spec.respondents else None,
             spec.design.file if spec.design else None]
    return [study.config_file] + [study.resolve(f) for f in named if f]


def parallel_settings(study, jobs, backend_name, scheduler):
    """(workers, backend context): the command line's settings over the config's ``parallel:``."""
    from dce.core.parallel import backend

    par = study.spec.parallel
    return (par.jobs if jobs is None else jobs,
            backend(backend_name or par.backend, scheduler or par.scheduler))


def execute(study, stage="run", output=None, force=False, jobs=None, backend_name=None,
            scheduler=None, report=True):
    """Run ``stage`` and write its folder; return (path, Run).

    ``jobs``, ``backend_name`` and ``scheduler`` override the config's ``parallel:``;
    ``report=False`` (``dce fit``) writes the tables without report.html, report.md,
    figures/ and results.xlsx, which :func:`rebuild_report` (``dce report``) adds later
    with the bytes ``dce run`` would have written.

    Parameters
    ----------
    study : dce.config.study.Study
        The validated study.
    stage : {"design", "simulate", "fit", "run"}, optional
        The last stage (:func:`analyse`).
    output : str or pathlib.Path, optional
        The run folder (:func:`output_dir`); checked before any work.
    force : bool, optional
        Replace an existing folder that dce did not write.
    jobs : int, optional
        Parallel workers.
    backend_name, scheduler : str, optional
        Parallel backend (``local`` or ``dask``) and the dask scheduler's address
        (:class:`dce.core.parallel.backend`).
    report : bool, optional
        Whether to write the report and results.xlsx (default) or the tables only.

    Returns
    -------
    tuple of (pathlib.Path, dce.run.stages.Run)
        The folder written (:func:`write_run`) and the run.

    Raises
    ------
    dce.errors.DceError
        As :func:`analyse`; when the folder cannot be written
        (:func:`dce.run.folder.check_target`, :func:`dce.run.folder.write`); when the
        dask backend cannot start.
    """
    job = Job(study, output, force, stage)
    jobs, context = parallel_settings(study, jobs, backend_name, scheduler)
    with context:
        run = analyse(study, stage, jobs=jobs)
    return _write(job, run, report), run


def write_run(run, folder, force: bool = False) -> Path:
    """Write an analysed Run as a complete run folder (atomic; see
    :func:`dce.run.folder.write`): every table, the report, results.xlsx and the manifest.

    Parameters
    ----------
    run : dce.run.stages.Run
        As from :func:`analyse`.
    folder : str or pathlib.Path or None
        The run folder (:func:`output_dir`).
    force : bool, optional
        Replace an existing folder that dce did not write.

    Returns
    -------
    pathlib.Path
        The folder: the files of :func:`dce.run.outputs.run_files`, report.html,
        report.md and figures/ when the run has models, and manifest.json with the
        hashes of the input files.

    Raises
    ------
    dce.errors.DceError
        When the folder cannot be written.
    """
    return _write(Job(run.study, folder, force, run.stage), run)


def _write(job, run, with_report: bool = True) -> Path:
    with timed(run, "tables"):
        files = run_files(run, xlsx=with_report)
    if run.fits and with_report:
        from dce import report

        with timed(run, "report"):
            files.update(report.render(report.from_files(files)))
    inputs = {shown(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in run.inputs}
    return job.finish(run, files, inputs)


def rebuild_report(folder, force: bool = False) -> dict[str, bytes]:
    """``dce report``: (re)write report.html, report.md, figures/ and results.xlsx of a run
    folder from its tables, and their hashes in manifest.json.

    The report is built from the folder's files only (:func:`dce.report.read_run`) and
    results.xlsx from its CSV files (:func:`dce.run.outputs.xlsx_bytes`), so a folder
    written by ``dce fit`` gets the bytes ``dce run`` writes, and rebuilding a ``dce run``
    folder changes nothing. First the files read are checked against manifest.json's
    hashes (:func:`dce.run.report_check.check_run_files`). Each file is written to a
    temporary name and renamed.

    Parameters
    ----------
    folder : pathlib.Path
        A run folder with config.yaml, importance.csv and manifest.json.
    force : bool, optional
        Build from files edited after the run (or without manifest.json) anyway; the
        report then says so at its top.

    Returns
    -------
    dict
        Run-folder path -> bytes of the files written (manifest.json included when the
        folder has a readable one).

    Raises
    ------
    dce.errors.DceError
        When the folder lacks config.yaml or importance.csv; without ``force``, when its
        files are not the ones manifest.json lists; when a file cannot be read; with
        edited files, when the report cannot be built from them (a missing column).
    """
    import json

    from dce.errors import DceError
    from dce.run.report_check import check_run_files

    folder = Path(folder)
    if not (folder / "config.yaml").is_file() or not (folder / "importance.csv").is_file():
        raise DceError("not a complete dce run folder (config.yaml and importance.csv are "
                       "needed); run `dce run CONFIG` or `dce fit CONFIG` first",
                       file=str(folder))
    body, note, edited = check_run_files(folder, force)
    files = _report_files(folder, note, edited)
    if body is not None:
        body["files"] = dict(sorted({**body["files"], **{
            k: hashlib.sha256(v).hexdigest() for k, v in files.items()}}.items()))
        files["manifest.json"] = (json.dumps(body, indent=2) + "\n").encode()
    for path, raw in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(raw)
        tmp.replace(target)
    return files


def _report_files(folder: Path, note: str | None, edited: list) -> dict[str, bytes]:
    """report.html, report.md, figures/ and results.xlsx from the folder's files; with a
    ``note`` (files ``edited`` after the run, or unchecked), a table the report cannot use
    is a DceError."""
    from dce import report
    from dce.errors import DceError
    from dce.run.outputs import xlsx_bytes

    tables = report.read_run(folder)
    tables["edited_note"] = note
    try:
        files = report.render(tables)
        csvs = {p.relative_to(folder).as_posix(): p.read_bytes()
                for p in sorted(folder.rglob("*.csv")) if p.is_file()}
        files["results.xlsx"] = xlsx_bytes(csvs, (tables.get("config") or {}).get("name", ""))
    except DceError:
        raise
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
        if note is None:  # the run's own files: a failure here is dce's, not the user's
            raise
        what = (f"the column (or key) {exc.args[0]!r} is missing" if isinstance(exc, KeyError)
                and exc.args else f"a value cannot be used ({type(exc).__name__}: {exc})")
        which = (f"the files edited after the run ({', '.join(edited)})" if edited else
                 "these files (not checked: no readable manifest.json)")
        raise DceError(f"the report cannot be built from {which}: {what}",
                       file=str(folder)) from None
    return files


def execute_power(study, output=None, force=False, jobs=None, backend_name=None,
                  scheduler=None):
    """``dce power``: simulate, fit and tabulate power; write power.csv and its figure.

    Parameters
    ----------
    study : dce.config.study.Study
        A study with ``power:`` and ``simulate:`` sections.
    output, force, jobs, backend_name, scheduler
        As :func:`execute`.

    Returns
    -------
    tuple of (pathlib.Path, pandas.DataFrame)
        The folder (config.yaml, power.csv, figures/power.png and .svg, manifest.json)
        and the power table (``sample_size, group, measure, term, value,
        replications``; see :func:`dce.analysis.power.analyse`).

    Raises
    ------
    dce.errors.ConfigError
        When the config has no ``power:`` section.
    dce.errors.DceError
        From the design or the simulations, when the dask backend cannot start, or when
        the folder cannot be written.
    """
    from dce import design as design_mod
    from dce.errors import ConfigError
    from dce.run.outputs import resolved_config

    if study.spec.power is None:
        raise ConfigError("`dce power` needs a `power:` section, e.g. power: {sample_sizes: "
                          "[100, 200, 400], replications: 100}", file=study.display_name)
    if study.spec.simulate is None and study.spec.choices is not None:
        raise ConfigError("`dce power` simulates respondents: give `simulate:` (or, before "
                          "any data exists, `design.priors` without `choices:`)",
                          file=study.display_name, line=study.line("power"), key="power")
    job = Job(study, output, force, "power")
    jobs, context = parallel_settings(study, jobs, backend_name, scheduler)
    design = design_mod.build(study)
    with context:
        files, table = power_files(study, design, jobs)
    files["config.yaml"] = resolved_config(study)
    return job.finish(Run(study, "power"), files), table


def power_files(study, design, jobs: int = 1) -> tuple[dict, object]:
    """power.csv and its figure for a study with ``power:``.

    Parameters
    ----------
    study : dce.config.study.Study
        With ``power:``; respondents are simulated from ``simulate:``, or, without it,
        from the design priors (:func:`dce.analysis.power.prior_study`, group ``prior``).
    design : dce.design.Design
        The design the simulated respondents answer.
    jobs : int
        Parallel workers (the numbers do not depend on it).

    Returns
    -------
    files : dict
        ``power.csv``, ``figures/power.png`` and ``figures/power.svg`` -> bytes.
    table : pandas.DataFrame
        The power table (:func:`dce.analysis.power.analyse`).

    Raises
    ------
    dce.errors.ConfigError
        Without ``simulate:`` when every prior mean is 0.
    """
    from dce.analysis import power
    from dce.report.figures import power_chart
    from dce.run.outputs import csv_bytes

    if study.spec.simulate is None:
        study = power.prior_study(study)
    table = power.analyse(study, design, jobs=jobs)
    png, svg = power_chart(table, study.spec.power.alpha)
    return ({"power.csv": csv_bytes(table), "figures/power.png": png,
             "figures/power.svg": svg}, table)


def execute_cards(study, output=None, force=False):
    """``dce cards``: the design as printable cards (one HTML and one Markdown page per
    block) and a survey-platform table (one row per block x task x alternative, with the
    attribute labels as columns, see :func:`survey_table`).

    Parameters
    ----------
    study : dce.config.study.Study
        A study with a ``design:`` section.
    output, force
        As :func:`execute`.

    Returns
    -------
    pathlib.Path
        The folder: config.yaml, design.csv, survey.csv, cards/block_<b>.html and
        cards/block_<b>.md (``block_<b>_version_<v>`` with ``design.randomize``),
        manifest.json.

    Raises
    ------
    dce.errors.DceError
        A ``DesignError`` or ``ConfigError`` from the design, or when the folder cannot
        be written.
    """
    from dce import design as design_mod
    from dce.run.outputs import csv_bytes, resolved_config

    job = Job(study, output, force, "cards")
    design = design_mod.build(study)
    files = {"config.yaml": resolved_config(study),
             "design.csv": csv_bytes(design.table)}
    files.update(cards_files(design, study))
    return job.finish(Run(study, "cards"), files)


def cards_files(design, study) -> dict:
    """survey.csv and the cards of every block (and version, when randomised):
    ``cards/block_<b>.html`` and ``.md`` (:func:`dce.design.cards.card_name`).

    Parameters
    ----------
    design : dce.design.Design
        An attribute design.
    study : dce.config.study.Study
        Its study (labels, opt-out).

    Returns
    -------
    dict
        Folder path -> bytes.
    """
    from dce.design.cards import card_name, html_cards, markdown_cards
    from dce.run.outputs import csv_bytes

    files = {"survey.csv": csv_bytes(survey_table(design, study))}
    for key, page in html_cards(design, study).items():
        files[f"cards/{card_name(key)}.html"] = page.encode("utf-8")
    for key, page in markdown_cards(design, study).items():
        files[f"cards/{card_name(key)}.md"] = page.encode("utf-8")
    return files


def survey_table(design, study):
    """Design rows with readable headers for survey platforms: survey.csv.

    Parameters
    ----------
    design : dce.design.Design
        Its ``table`` (design.csv: ``block, task, alternative, <attributes>,
        is_opt_out``).
    study : dce.config.study.Study
        The attribute labels and the opt-out's label.

    Returns
    -------
    pandas.DataFrame
        design.csv with an ``option`` column after ``alternative`` ('Option <a>', the
        alternative's label in a labelled design, or the opt-out's label on its rows)
        and each attribute column named by its label; the cells are the levels as in
        design.csv (empty where a labelled design does not show the attribute). With
        ``design.randomize``, one row per block x version x task x alternative as shown
        (``block, version, task, alternative``), the design's numbers in ``design_task``
        and ``design_alternative`` (:func:`dce.design.randomize.fielded_table`).
    """
    from dce.design.randomize import fielded_table

    table = fielded_table(design, study).copy()
    opt = study.spec.design.opt_out if study.spec.design else None
    names = study.alternative_labels  # a labelled alternative keeps its label when moved
    design_alt = table["design_alternative"] if "design_alternative" in table else \
        table["alternative"]
    table.insert(table.columns.get_loc("alternative") + 1, "option",
                 [opt if o else names.get(a, f"Option {shown_at}") for a, shown_at, o in
                  zip(design_alt, table["alternative"], table["is_opt_out"])])
    return table.rename(columns={a.name: a.label for a in study.attributes})
