"""From a Study to a complete run folder: analyse, render, hash, write atomically."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone
from pathlib import Path

from dce import report
from dce.config import shown
from dce.outputs import manifest, run_files
from dce.pipeline import analyse
from dce.runfolder import check_target, write


def output_dir(study, override=None) -> Path:
    if override:
        return Path(override).resolve()
    if study.spec.output:
        return study.resolve(study.spec.output)
    return (Path.cwd() / "results" / study.name).resolve()


def execute(study, stage="run", output=None, force=False, jobs=None, backend_name=None,
            scheduler=None):
    """Run ``stage`` and write its folder; return (path, Run).

    ``jobs``, ``backend_name`` and ``scheduler`` override the config's ``parallel:``.
    """
    from dce.parallel import backend

    par = study.spec.parallel
    jobs = par.jobs if jobs is None else jobs
    out = output_dir(study, output)
    check_target(out, force)
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    with backend(backend_name or par.backend, scheduler or par.scheduler):
        run = analyse(study, stage, jobs=jobs)
    files = run_files(run)
    if run.fits:
        files.update(report.render(report.from_files(files)))
    inputs = {shown(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in run.inputs}
    finished = datetime.now(timezone.utc)
    files["manifest.json"] = manifest(run, files, inputs, started.isoformat(timespec="seconds"),
                                      finished.isoformat(timespec="seconds"),
                                      time.perf_counter() - t0, study.display_name)
    write(out, files, force=force)
    return out, run
