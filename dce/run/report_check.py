"""``dce report``: are a run folder's files still the ones its run wrote?

manifest.json records the SHA-256 of every file a run writes. Before the report is
rebuilt, the files it reads are compared with those hashes, so that a hand-edited
config.yaml or table cannot produce a report that describes numbers the run never made.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dce.errors import DceError
from dce.report import JSONS, TABLES

#: Files ``dce report`` writes itself (with everything under figures/): never checked.
WRITTEN_BY_REPORT = ("report.html", "report.md", "results.xlsx", "manifest.json")

_RERUN = ("the report {} describe tables that are not the run's: rerun `dce run CONFIG` or "
          "`dce fit CONFIG`, or pass --force to build the report from these files anyway")


def written_by_report(name: str) -> bool:
    """Whether ``name`` (a run-folder path such as ``figures/ranks.png``) is a file that
    ``dce report`` writes, rather than one it reads."""
    return name in WRITTEN_BY_REPORT or name.startswith("figures/")


def read_by_report(folder: Path) -> set[str]:
    """The files of ``folder`` that ``dce report`` reads: config.yaml, warnings.txt, the
    tables of :data:`dce.report.TABLES` and :data:`dce.report.JSONS`, and every CSV file
    (each is a sheet of results.xlsx); run-folder paths of those present."""
    names = {"config.yaml", "warnings.txt", *(f"{t}.csv" for t in TABLES),
             *(f"{j}.json" for j in JSONS)}
    present = {n for n in names if (folder / n).is_file()}
    return present | {p.relative_to(folder).as_posix() for p in folder.rglob("*.csv")
                      if p.is_file()}


def load_manifest(folder: Path, force: bool) -> dict | None:
    """manifest.json of ``folder`` as a dict with a ``files`` mapping, or None (absent or,
    with ``force``, unreadable).

    Raises
    ------
    dce.errors.DceError
        Without ``force``, when the folder has no readable manifest.json.
    """
    path = folder / "manifest.json"
    if not path.is_file():
        if force:
            return None
        raise DceError("no manifest.json, so its files cannot be checked against the run "
                       "that wrote them; " + _RERUN.format("could"), file=str(folder))
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(body, dict) or not isinstance(body.get("files"), dict):
            raise ValueError("no `files` mapping")
    except ValueError as exc:
        if force:
            return None
        raise DceError(f"cannot be read ({exc}), so the folder's files cannot be checked "
                       "against the run that wrote them; " + _RERUN.format("could"),
                       file=str(path)) from None
    return body


def changed_files(folder: Path, listed: dict) -> tuple[list, list, list]:
    """(changed, missing, unlisted): run-folder paths of the files ``dce report`` reads
    whose SHA-256 differs from ``listed`` (manifest.json's ``files``), that ``listed``
    names but the folder lacks, and that the folder has but ``listed`` does not name."""
    read = read_by_report(folder)
    checked = sorted(n for n in listed if not written_by_report(n))
    missing = [n for n in checked if not (folder / n).is_file()]
    changed = [n for n in checked if n not in missing and
               hashlib.sha256((folder / n).read_bytes()).hexdigest() != listed[n]]
    unlisted = sorted(n for n in read if n not in listed and not written_by_report(n))
    return changed, missing, unlisted


def check_run_files(folder, force: bool = False) -> tuple[dict | None, str | None, list]:
    """Compare the files ``dce report`` reads with the hashes in manifest.json.

    Parameters
    ----------
    folder : pathlib.Path
        A run folder.
    force : bool, optional
        Build from edited files (or a folder without manifest.json) anyway.

    Returns
    -------
    manifest : dict or None
        The parsed manifest.json (None when absent or unreadable with ``force``).
    note : str or None
        None when every file is the run's; with ``force`` otherwise, the note the report
        shows at its top (which files were edited).
    edited : list of str
        The files changed, missing or not written by the run ([] without a manifest).

    Raises
    ------
    dce.errors.DceError
        Without ``force``: no readable manifest.json, or a file listed in it missing or
        with another SHA-256, or a table the report reads that the run did not write.
    """
    folder = Path(folder)
    body = load_manifest(folder, force)
    if body is None:
        return None, ("Built with dce report --force from a folder without a readable "
                      "manifest.json: its files could not be checked against the run, so "
                      "this report may describe tables that are not the run's."), []
    changed, missing, unlisted = changed_files(folder, body["files"])
    if not (changed or missing or unlisted):
        return body, None, []
    parts = ([f"{', '.join(changed)} changed since the run wrote "
              f"{'it' if len(changed) == 1 else 'them'} (SHA-256 in manifest.json)"]
             if changed else []) + \
        ([f"{', '.join(missing)} missing (listed in manifest.json)"] if missing else []) + \
        ([f"{', '.join(unlisted)} not written by the run (not in manifest.json)"]
         if unlisted else [])
    if not force:
        raise DceError("; ".join(parts) + "; " + _RERUN.format("would"), file=str(folder))
    return body, ("Built with dce report --force from files edited after the run ("
                  + "; ".join(parts) + "): this report may describe tables that are not "
                  "the run's."), changed + missing + unlisted
