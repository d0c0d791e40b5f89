"""Build report.html (self-contained) and report.md from a run's tables.

``render`` takes the tables as read back from the run folder, so ``dce report RUN_DIR``
rebuilds exactly what ``dce run`` wrote (same bytes). report.html embeds its figures as
data URIs and loads nothing from the network; config text is HTML-escaped (Jinja
autoescape) and Markdown-escaped in report.md.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import yaml

from dce.version import __version__

TABLES = ("estimates", "models", "importance", "comparison", "tradeoffs", "uptake",
          "all_respondents/importance", "all_respondents/models", "coefficient_draws", "relative_utilities",
          "heterogeneity", "class_selection", "class_shares", "class_importance",
          "class_estimates", "classes")
JSONS = ("design_diagnostics", "data_summary")


def _csv(raw: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(raw), keep_default_na=False, na_values=[""])


def read_run(run_dir) -> dict:
    """The tables and metadata of a run folder (what the report needs).

    Parameters
    ----------
    run_dir : str or pathlib.Path
        A run folder written by ``dce run``.

    Returns
    -------
    dict
        As :func:`from_files`, from config.yaml, warnings.txt, the CSV tables of
        :data:`TABLES` and the JSON files of :data:`JSONS` found in the folder.

    Raises
    ------
    KeyError
        When the folder has no config.yaml (``dce report`` checks for it first and
        raises a :class:`dce.errors.DceError`).
    dce.errors.DataError
        As :func:`from_files`, naming the file by its path in the folder.
    """
    run_dir = Path(run_dir)
    files = {}
    for name in ("config.yaml", "warnings.txt", *(f"{t}.csv" for t in TABLES),
                 *(f"{j}.json" for j in JSONS)):
        path = run_dir / name
        if path.is_file():
            files[name] = path.read_bytes()
    return from_files(files, folder=run_dir)


def _parsed(name: str, raw: bytes, parse, folder):
    """``parse(raw)``, or a DataError naming the file when it cannot be read."""
    from dce.errors import DataError

    shown = str(Path(folder) / name) if folder is not None else name
    try:
        value = parse(raw)
    except (ValueError, yaml.YAMLError) as exc:  # decoding, CSV, JSON and YAML errors
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else getattr(exc, "lineno", None)
        text = str(exc).splitlines()
        why = getattr(exc, "problem", None) or (text[0] if text else type(exc).__name__)
        raise DataError(f"cannot be read ({why}); a run writes this file, so rerun "
                        "`dce run CONFIG` or `dce fit CONFIG`", file=shown, line=line) from None
    if name == "config.yaml" and not isinstance(value, dict):
        raise DataError(f"expected a YAML mapping of config keys, found "
                        f"{type(value).__name__}", file=shown)
    return value


def from_files(files: dict, folder=None) -> dict:
    """Like :func:`read_run`, from the in-memory files of a run being written.

    Parameters
    ----------
    files : dict
        Run-folder path -> bytes (as from :func:`dce.run.outputs.run_files`); must hold
        config.yaml.
    folder : str or pathlib.Path, optional
        The run folder, to name a file that cannot be read by its path.

    Returns
    -------
    dict
        ``config`` (the parsed config.yaml), one pandas.DataFrame per name of
        :data:`TABLES` (empty cells missing, "NA" kept as text), one dict per name of
        :data:`JSONS`, None for each file that is absent, and ``warnings`` (the lines of
        warnings.txt, [] without it).

    Raises
    ------
    dce.errors.DataError
        When a file cannot be read: not UTF-8, not YAML (config.yaml, or not a
        mapping), not CSV (an empty file) or not JSON.
    """
    out = {"config": _parsed("config.yaml", files["config.yaml"],
                             lambda raw: yaml.safe_load(raw.decode("utf-8")), folder)}
    for name in TABLES:
        raw = files.get(f"{name}.csv")
        out[name] = _parsed(f"{name}.csv", raw, _csv, folder) if raw is not None else None
    for name in JSONS:
        raw = files.get(f"{name}.json")
        out[name] = _parsed(f"{name}.json", raw, json.loads, folder) if raw is not None \
            else None
    raw = files.get("warnings.txt")
    out["warnings"] = _parsed("warnings.txt", raw, lambda r: r.decode("utf-8").splitlines(),
                              folder) if raw else []
    return out


def _progress(items, desc):
    import sys

    from tqdm import tqdm

    return tqdm(items, desc=desc, leave=False, disable=not sys.stderr.isatty())


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md_escape(value) -> str:
    """Text for Markdown: characters that format (or open raw HTML) are backslash-escaped.

    The ``finalize`` of report.md's Jinja environment, so every value put into the
    template passes through it.

    Parameters
    ----------
    value : object
        A value from the report context.

    Returns
    -------
    str
        ``str(value)`` with each backslash, backquote and ``* _ [ ] < > | #`` preceded
        by a backslash; "" for None.
    """
    if value is None:
        return ""
    return _MD_SPECIAL.sub(r"\\\1", str(value))


def _environments() -> tuple:
    from jinja2 import Environment, PackageLoader

    loader = PackageLoader("dce.report", "templates")
    html = Environment(loader=loader, autoescape=True, keep_trailing_newline=True,
                       trim_blocks=True, lstrip_blocks=True)
    md = Environment(loader=loader, autoescape=False, keep_trailing_newline=True,
                     trim_blocks=True, lstrip_blocks=True, finalize=md_escape)
    return html, md


def render(run: dict, progress=_progress) -> dict[str, bytes]:
    """Build the report of a run: report.html, report.md and figures/ (PNG and SVG).

    Parameters
    ----------
    run : dict
        Tables of a run folder, as from :func:`read_run` or :func:`from_files`.
    progress : callable, optional
        ``progress(items, desc)`` wrapping the figure steps (a tqdm bar on a terminal by
        default); None for none.

    Returns
    -------
    dict
        Run-folder path -> bytes: ``report.html`` (self-contained, figures as data
        URIs), ``report.md`` and ``figures/<name>.png`` and ``.svg`` for each figure
        (importance, ranks with two groups or more, coefficients); the same bytes for
        the same tables.
    """
    from dce.report.context import build  # matplotlib: imported only to draw

    ctx, figs = build(run, __version__, progress)
    files: dict[str, bytes] = {}
    for name, (png, svg) in figs.items():
        files[f"figures/{name}.png"] = png
        files[f"figures/{name}.svg"] = svg
    html, md = _environments()
    files["report.html"] = html.get_template("report.html.j2").render(**ctx).encode("utf-8")
    files["report.md"] = md.get_template("report.md.j2").render(**ctx).encode("utf-8")
    return files
