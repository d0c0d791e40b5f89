"""From a Study to a complete run folder: analyse, render, hash, write atomically."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

from dce import report
from dce.config.study import shown
from dce.run.fit import attribute_stages
from dce.run.folder import check_target, write
from dce.run.items import analyse_items
from dce.run.outputs import manifest, run_files
from dce.run.stages import Run, run_stages


def analyse(study, stage: str = "run", jobs: int = 1) -> Run:
    """Run the stages up to ``stage`` (design, simulate, fit or run) and return a Run.

    ``jobs`` is the number of parallel workers for Monte Carlo steps (bootstrap); the
    numbers do not depend on it.
    """
    if study.spec.type != "dce":  # best-worst and ranking studies
        return analyse_items(study, stage, jobs)
    return run_stages(Run(study, stage, jobs=jobs), attribute_stages)


def output_dir(study, override=None) -> Path:
    if override:
        return Path(override).resolve()
    if study.spec.output:
        return study.resolve(study.spec.output)
    return (Path.cwd() / "results" / study.name).resolve()


class _Job:
    """One command's run folder: checked before any work, manifest and atomic write at
    the end."""

    def __init__(self, study, output, force):
        self.study, self.force = study, force
        self.out = output_dir(study, output)
        check_target(self.out, force)
        self.started = datetime.now(UTC)
        self.t0 = time.perf_counter()

    def finish(self, run, files: dict, inputs: dict | None = None):
        finished = datetime.now(UTC)
        files["manifest.json"] = manifest(run, files, inputs or {},
                                          self.started.isoformat(timespec="seconds"),
                                          finished.isoformat(timespec="seconds"),
                                          time.perf_counter() - self.t0,
                                          self.study.display_name)
        write(self.out, files, force=self.force)
        return self.out


def _parallel(study, jobs, backend_name, scheduler):
    from dce.core.parallel import backend

    par = study.spec.parallel
    return (par.jobs if jobs is None else jobs,
            backend(backend_name or par.backend, scheduler or par.scheduler))


def execute(study, stage="run", output=None, force=False, jobs=None, backend_name=None,
            scheduler=None):
    """Run ``stage`` and write its folder; return (path, Run).

    ``jobs``, ``backend_name`` and ``scheduler`` override the config's ``parallel:``.
    """
    job = _Job(study, output, force)
    jobs, context = _parallel(study, jobs, backend_name, scheduler)
    with context:
        run = analyse(study, stage, jobs=jobs)
    return _write(job, run), run


def write_run(run, folder, force: bool = False) -> Path:
    """Write an analysed Run as a complete run folder (atomic; see runfolder.write):
    every table, the report, results.xlsx and the manifest. Returns the folder."""
    return _write(_Job(run.study, folder, force), run)


def _write(job, run) -> Path:
    files = run_files(run)
    if run.fits:
        files.update(report.render(report.from_files(files)))
    inputs = {shown(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in run.inputs}
    return job.finish(run, files, inputs)


def execute_power(study, output=None, force=False, jobs=None, backend_name=None,
                  scheduler=None):
    """``dce power``: simulate, fit and tabulate power; write power.csv and its figure."""
    from dce import design as design_mod
    from dce.analysis import power
    from dce.errors import ConfigError
    from dce.report.figures import power_chart
    from dce.run.outputs import csv_bytes, resolved_config

    if study.spec.power is None:
        raise ConfigError("`dce power` needs a `power:` section, e.g. power: {sample_sizes: "
                          "[100, 200, 400], replications: 100}", file=study.display_name)
    job = _Job(study, output, force)
    jobs, context = _parallel(study, jobs, backend_name, scheduler)
    design = design_mod.build(study)
    with context:
        table = power.analyse(study, design, jobs=jobs)
    png, svg = power_chart(table, study.spec.power.alpha)
    files = {"config.yaml": resolved_config(study), "power.csv": csv_bytes(table),
             "figures/power.png": png, "figures/power.svg": svg}
    return job.finish(Run(study, "power"), files), table


def execute_cards(study, output=None, force=False):
    """``dce cards``: the design as printable cards (one HTML and one Markdown page per
    block) and a survey-platform table (one row per block x task x alternative, with the
    attribute labels as columns and the level text in the cells)."""
    from dce import design as design_mod
    from dce.design.cards import html_cards, markdown_cards
    from dce.run.outputs import csv_bytes, resolved_config

    job = _Job(study, output, force)
    design = design_mod.build(study)
    files = {"config.yaml": resolved_config(study),
             "design.csv": csv_bytes(design.table),
             "survey.csv": csv_bytes(survey_table(design, study))}
    for block, page in html_cards(design, study).items():
        files[f"cards/block_{block}.html"] = page.encode("utf-8")
    for block, page in markdown_cards(design, study).items():
        files[f"cards/block_{block}.md"] = page.encode("utf-8")
    return job.finish(Run(study, "cards"), files)


def survey_table(design, study):
    """Design rows with readable headers for survey platforms (labels, level text)."""
    table = design.table.copy()
    opt = study.spec.design.opt_out if study.spec.design else None
    table.insert(3, "option", [opt if o else f"Option {a}" for a, o in
                               zip(table["alternative"], table["is_opt_out"])])
    return table.rename(columns={a.name: a.label for a in study.attributes})
