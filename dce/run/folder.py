"""Write a run folder atomically: temporary sibling first, then swap.

A folder counts as dce's when it holds a ``manifest.json`` whose ``tool`` is ``dce``;
any other existing folder is replaced only with ``force``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from dce.errors import ConfigError

TMP_MARK = ".tmp-"


def is_dce_folder(path: Path) -> bool:
    """Whether ``path`` is a folder dce wrote (and may replace without ``force``).

    Parameters
    ----------
    path : pathlib.Path
        A folder.

    Returns
    -------
    bool
        True when its ``manifest.json`` is a JSON object whose ``tool`` is ``dce``; False
        when the file is missing, unreadable, not JSON or not an object.
    """
    try:
        return json.loads((path / "manifest.json").read_text()).get("tool") == "dce"
    except (OSError, ValueError, AttributeError):
        return False


def check_target(out: Path, force: bool, stage: str | None = None,
                 run: str | None = None, reads=()) -> None:
    """Fail early (before any work) if the run folder cannot be written or replaced.

    Parameters
    ----------
    out : pathlib.Path
        The run folder; it may not exist yet.
    force : bool
        Whether an existing non-empty folder that dce did not write, or that another
        dce command wrote, may be replaced.
    stage : str, optional
        The command writing the folder (``run``, ``design``, ``simulate``, ``power``,
        ``cards``): a folder another command wrote is replaced only with ``force``, so
        that ``dce design`` never silently deletes the report of a ``dce run``.
    run : str, optional
        The study's name: a dce folder of another study (its manifest's ``run``) is
        replaced only with ``force``, so that a mistyped ``--output`` never deletes
        another study's results.
    reads : iterable of pathlib.Path, optional
        The config and the data files the run reads: a folder holding one of them is never
        replaced, not even with ``force`` (replacing it would delete them).

    Raises
    ------
    dce.errors.ConfigError
        When ``out`` is a file; when it is a non-empty folder without a dce
        ``manifest.json`` and ``force`` is false; when its nearest existing parent is not
        writable (by its permissions, or when a probe folder cannot be made there).
    """
    if out.exists() and not out.is_dir():
        raise ConfigError("the output path is a file, not a folder; choose another --output",
                       file=_shown(out))
    if out.exists() and not force and not is_dce_folder(out) and any(out.iterdir()):
        raise ConfigError("this folder exists and was not produced by dce (it has no dce "
                       "manifest.json); choose another --output or pass --force to replace it",
                       file=_shown(out))
    other = _stage_of(out)
    if stage is not None and other is not None and other != stage and not force:
        raise ConfigError(f"this folder holds the output of `dce {other}`, which `dce "
                          f"{stage}` would replace; choose another --output (for example "
                          f"--output {_shown(out)}-{stage}) or pass --force to replace it",
                          file=_shown(out))
    inside = [p for p in map(Path, reads) if out.exists() and p.exists()
              and p.resolve().is_relative_to(out.resolve())]
    if inside:
        raise ConfigError(f"this folder holds {_shown(inside[0])}, which this run reads; a "
                          "run folder replaces everything in it (--force too), so choose "
                          "another --output, e.g. a folder results/ next to the config",
                          file=_shown(out))
    owner = _manifest(out).get("run")
    if run is not None and owner not in (None, run) and not force:
        raise ConfigError(f"this folder holds the results of another study ({owner!r}), "
                          f"which this run of {run!r} would replace; choose another --output "
                          "or pass --force to replace it", file=_shown(out))
    parent = _first_existing(out.parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError("cannot write here (permission denied); choose another --output",
                       file=_shown(out))
    try:  # permissions can lie (root, read-only mounts): try for real, then tidy up
        probe = tempfile.mkdtemp(prefix=".dce-probe-", dir=parent)
        os.rmdir(probe)
    except OSError as exc:
        raise ConfigError(f"cannot write here ({exc.strerror}); choose another --output",
                       file=_shown(out)) from None


def _manifest(path: Path) -> dict:
    """The manifest of a dce folder, else an empty dict."""
    if not is_dce_folder(path):
        return {}
    return json.loads((path / "manifest.json").read_text())


def _stage_of(path: Path) -> str | None:
    """The command that wrote a dce folder (its manifest's ``stage``), else None."""
    stage = _manifest(path).get("stage")
    return {"fit": "run"}.get(stage, stage)


def _shown(path: Path) -> str:
    """The folder as the user should see it (relative to the working folder when shorter)."""
    from dce.config.study import shown

    return shown(Path(path))


def _first_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _clean_stale(out: Path) -> None:
    """Remove temporary siblings left by runs that were killed."""
    if not out.parent.exists():
        return
    for p in out.parent.glob(f".{out.name}{TMP_MARK}*"):
        pid = p.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write(out: Path, files: dict[str, bytes], force: bool = False) -> Path:
    """Write ``files`` (relative name -> bytes) as the folder ``out``, atomically.

    The files go into a hidden sibling ``.<name>.tmp-<pid>`` (manifest.json last), which
    then replaces ``out``; the previous folder is kept aside until the swap succeeds and
    restored if it fails. Temporary siblings of runs that were killed are removed first.

    Parameters
    ----------
    out : str or pathlib.Path
        The run folder; its parents are created.
    files : dict
        Path relative to ``out`` (``figures/importance.png``) -> bytes.
    force : bool, optional
        Replace an existing folder that dce did not write (see :func:`check_target`).

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    dce.errors.ConfigError
        As :func:`check_target`, or when the folder cannot be created or written (the
        previous folder is left in place).
    """
    out = Path(out)
    check_target(out, force)
    _clean_stale(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the folder ({exc.strerror})", file=str(out.parent)) from None
    tmp = out.parent / f".{out.name}{TMP_MARK}{os.getpid()}"
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        for name in sorted(files, key=lambda n: (n == "manifest.json", n)):
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[name])
        if out.exists():
            os.rename(out, old)
        os.rename(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out.exists():
            os.rename(old, out)
        raise ConfigError(f"cannot write the run folder ({exc.strerror})", file=str(out)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return out
