"""Turn a Run into the bytes of every output file (pure: nothing is written here)."""

from __future__ import annotations

import io
import json
import platform
import re
import sys
from datetime import datetime
from importlib import metadata

import numpy as np
import pandas as pd
import yaml

from dce.analysis.compare import COLUMNS as COMPARISON_COLUMNS
from dce.analysis.importance import COLUMNS as IMPORTANCE_COLUMNS
from dce.config.latent_checks import LATENT_KEYS
from dce.models.results import reported, tidy
from dce.run.stages import Run
from dce.version import __version__

FLOAT_FORMAT = "%.10g"
DEPENDENCIES = ("numpy", "scipy", "pandas", "PyYAML", "pydantic", "matplotlib", "Jinja2",
                "joblib", "tqdm", "pylogit", "openpyxl")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as the bytes of a run-folder CSV file.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table; its index is not written.

    Returns
    -------
    bytes
        UTF-8 CSV with a header, Unix (LF) line ends, floats as :data:`FLOAT_FORMAT` (10
        significant digits) and missing values as empty cells.
    """
    buf = io.StringIO()
    frame.to_csv(buf, index=False, float_format=FLOAT_FORMAT, lineterminator="\n", na_rep="")
    return buf.getvalue().encode("utf-8")


def json_bytes(obj) -> bytes:
    """A dict as the bytes of a run-folder JSON file (design_diagnostics.json,
    data_summary.json).

    Parameters
    ----------
    obj : object
        Dicts, lists, tuples, numbers (numpy too), booleans, strings and None.

    Returns
    -------
    bytes
        JSON indented by 2 with a final newline, keys as text in their order, floats
        rounded to :data:`FLOAT_FORMAT` and non-finite floats written as null.
    """
    return (json.dumps(_plain(obj), indent=2, sort_keys=False, allow_nan=False) + "\n").encode()


def _plain(obj):
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return float(FLOAT_FORMAT % f) if np.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _without_unused_labels(cfg: dict) -> dict:
    """Leave out the labelled-design keys of a generic study (``design.labels``,
    ``attributes.<a>.alternatives``, ``model.alternative_specific``) while unused, so that
    the config.yaml of a generic study stays as it was before labelled designs existed;
    likewise the latent class keys outside a latent class run and the WTP-space and
    scale-heterogeneity keys at their defaults."""
    if (cfg.get("design") or {}).get("labels") is None:
        if cfg.get("design"):
            cfg["design"].pop("labels", None)
        for a in (cfg.get("attributes") or {}).values():
            if a.get("alternatives") is None:
                a.pop("alternatives", None)
        if not (cfg.get("model") or {}).get("alternative_specific"):
            cfg.get("model", {}).pop("alternative_specific", None)
    if (cfg.get("model") or {}).get("type") != "latent_class":  # as before latent classes
        for key in LATENT_KEYS:
            cfg.get("model", {}).pop(key, None)
    model = cfg.get("model") or {}
    for key, default in (("space", "preference"), ("price", None), ("scale_heterogeneity", "none")):
        if key in model and model[key] == default:  # as before WTP space and G-MNL
            model.pop(key)
    return cfg


def resolved_config(study) -> bytes:
    """config.yaml: the config with every default filled in, as YAML.

    Parameters
    ----------
    study : dce.config.study.Study
        The validated study whose config is written.

    Returns
    -------
    bytes
        A comment line naming the run and dce's version, then the validated config in
        its schema's key order (the labelled-design keys only when labels are used) (UTF-8, wrapped at about 100 characters); paths stay
        relative to the original config file's folder.
    """
    body = yaml.safe_dump(_without_unused_labels(study.spec.model_dump(mode="json")),
                          sort_keys=False, allow_unicode=True, width=100)
    head = (f"# resolved config of run {study.name!r} (dce {__version__}); paths are "
            "relative to the original config file's folder\n")
    return (head + body).encode("utf-8")


def run_files(run, xlsx: bool = True) -> dict[str, bytes]:
    """Every file of the run folder except the manifest and the report (and
    results.xlsx when ``xlsx`` is false).

    Parameters
    ----------
    run : dce.run.stages.Run
        An analysed run, at any stage.
    xlsx : bool, optional
        Whether to add results.xlsx (every CSV table as a sheet, :func:`xlsx_bytes`).

    Returns
    -------
    dict
        Run-folder path -> bytes: config.yaml; design.csv and design_diagnostics.json
        with a design (and fielding_order.csv with ``design.randomize``); responses.csv when simulated; with models, estimates.csv,
        models.csv, importance.csv, comparison.csv, outrank.csv, tradeoffs.csv and
        uptake.csv when computed, data_summary.json and ``run.tables`` (e.g.
        coefficient_draws.csv, bw_counts.csv); data_quality.csv (attribute studies);
        all_respondents/ (estimates, models, importance) when respondents were excluded;
        warnings.txt when there are notes; results.xlsx.
    """
    files = {"config.yaml": resolved_config(run.study)}
    if run.design is not None:
        files["design.csv"] = csv_bytes(run.design.table)
        files["design_diagnostics.json"] = json_bytes(run.design.diagnostics)
        from dce.design.randomize import fielding_order

        order = fielding_order(run.design, run.study) if run.study.spec.type == "dce" else None
        if order is not None:  # design.randomize: the positions shown in each version
            files["fielding_order.csv"] = csv_bytes(order)
    if run.responses is not None and run.simulated:
        files["responses.csv"] = csv_bytes(run.responses)
    if run.fits:
        files["estimates.csv"] = csv_bytes(estimates_table(run))
        models = models_table(run)
        models["converged"] = models["converged"].map({True: "true", False: "false"})
        files["models.csv"] = csv_bytes(models)
        files["importance.csv"] = csv_bytes(importance_table(run))
        files["comparison.csv"] = csv_bytes(run.comparison.table[COMPARISON_COLUMNS])
        files["outrank.csv"] = csv_bytes(run.comparison.outrank)
        if run.tradeoffs is not None:
            tt = run.tradeoffs.table.copy()
            tt["outside_tested_range"] = tt["outside_tested_range"].map(
                {True: "true", False: "false"})
            files["tradeoffs.csv"] = csv_bytes(mark_separated_groups(tt, run.fits))
        if run.uptake is not None:
            files["uptake.csv"] = csv_bytes(mark_separated_groups(run.uptake, run.fits))
        files["data_summary.json"] = json_bytes(run.data_summary)
        for name, frame in run.tables.items():  # e.g. bw_counts.csv of item studies
            if name in GROUP_MARKED:
                frame = mark_separated_groups(frame, run.fits)
            files[f"{name}.csv"] = csv_bytes(frame)
    if getattr(run, "quality", None) is not None:
        from dce.data.quality import as_csv_frame

        files["data_quality.csv"] = csv_bytes(as_csv_frame(run.quality))
    full = getattr(run, "all_respondents", None)
    if full is not None and full.fits:  # results with the excluded respondents kept
        files["all_respondents/estimates.csv"] = csv_bytes(estimates_table(full))
        models = models_table(full)
        models["converged"] = models["converged"].map({True: "true", False: "false"})
        files["all_respondents/models.csv"] = csv_bytes(models)
        files["all_respondents/importance.csv"] = csv_bytes(importance_table(full))
    if run.notes:
        files["warnings.txt"] = ("\n".join(run.notes) + "\n").encode()
    csvs = {k: v for k, v in files.items() if k.endswith(".csv")}
    if csvs and xlsx:
        files["results.xlsx"] = xlsx_bytes(csvs, run.study.name)
    return files


# ----- results.xlsx ----------------------------------------------------------------------
XLSX_MAX_ROWS = 100_000  # larger tables stay CSV only (Excel, and writing it, is slow)
XLSX_MAX_CELLS = 1_000_000  # e.g. responses.csv of 90,000 rows x 14 columns
XLSX_DATE = datetime(2000, 1, 1)  # fixed document and zip-entry dates: same run, same bytes
XLSX_FIRST = ("importance.csv", "estimates.csv", "models.csv", "comparison.csv",
              "uptake.csv", "tradeoffs.csv")
_SHEET_BAD = re.compile(r"[\\/*?:\[\]]")
_LEADING_ZERO = re.compile(r"^[+-]?0[0-9]")


def sheet_name(path: str, taken: set) -> str:
    """Excel sheet name of a run-folder file: the path without ``.csv``, ``/`` and other
    characters Excel forbids replaced by ``_``, at most 31 characters, unique (Excel
    compares names case-insensitively).

    Parameters
    ----------
    path : str
        Run-folder path, e.g. ``all_respondents/importance.csv``.
    taken : set
        Lower-cased names already used; the new one is added.

    Returns
    -------
    str
        The name ("table" when nothing is left), with ``~2``, ``~3``, ... replacing its
        end when it is taken.
    """
    base = _SHEET_BAD.sub("_", path.removesuffix(".csv"))[:31] or "table"
    name, i = base, 2
    while name.lower() in taken:
        suffix = f"~{i}"
        name, i = base[:31 - len(suffix)] + suffix, i + 1
    taken.add(name.lower())
    return name


def csv_table(raw: bytes) -> pd.DataFrame:
    """A CSV file of the run folder as typed columns: numbers as numbers, ``true``/``false``
    as booleans, empty cells missing; a column whose values have leading zeros (``007``,
    e.g. respondent ids) stays text.

    Parameters
    ----------
    raw : bytes
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        The table, for a sheet of results.xlsx; empty for a file without even a header.
    """
    try:
        text = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:  # a file without even a header
        return pd.DataFrame()
    typed = pd.read_csv(io.BytesIO(raw), keep_default_na=False, na_values=[""])
    for col_no in range(text.shape[1]):
        raw_col = text.iloc[:, col_no].dropna()
        if typed.iloc[:, col_no].dtype.kind in "iuf" and \
                raw_col.str.strip().str.match(_LEADING_ZERO).any():
            typed.isetitem(col_no, text.iloc[:, col_no])
    return typed


def _cell_values(column: pd.Series, ws) -> list:
    """One column as the values openpyxl writes with the right type: numbers and booleans
    as such, missing as empty, infinities as text, and text never read as a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    kind = column.dtype.kind
    if kind == "b":
        return [bool(v) for v in column]
    if kind in "iu":
        return [int(v) for v in column]
    if kind == "f":
        return [None if np.isnan(v) else float(v) if np.isfinite(v) else
                ("inf" if v > 0 else "-inf") for v in column.to_numpy(float)]
    out = []
    for v in column:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
            continue
        v = ILLEGAL_CHARACTERS_RE.sub("", str(v))
        if v.startswith("="):  # text, not a formula
            v = WriteOnlyCell(ws, value=v)
            v.data_type = "s"
        out.append(v)
    return out


def _column_widths(frame: pd.DataFrame) -> list[float]:
    widths = []
    for col_no, col in enumerate(frame.columns):
        values = frame.iloc[:, col_no].dropna().astype(str).str.len()
        longest = max(len(str(col)), int(values.max()) if len(values) else 0)
        widths.append(float(min(max(longest + 2, 8), 60)))
    return widths


def _write_sheet(wb, title: str, frame: pd.DataFrame, preamble=()) -> None:
    """One table as a sheet: bold frozen header (after the ``preamble`` lines of text),
    typed cells, fitted column widths."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.freeze_panes = f"A{len(preamble) + 2}"
    for i, width in enumerate(_column_widths(frame), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    bold = Font(bold=True)

    def text_cell(value, font=None):
        c = WriteOnlyCell(ws, value=str(value))
        c.data_type = "s"
        c.font = font or c.font
        return c

    for line in preamble:
        ws.append([text_cell(line, bold)] if line else [])
    ws.append([text_cell(c, bold) for c in frame.columns])
    columns = [_cell_values(frame.iloc[:, i], ws) for i in range(frame.shape[1])]
    for row in zip(*columns):
        ws.append(list(row))


def _too_large(raw: bytes) -> tuple[int, int, str] | None:
    """(rows, columns, reason) of a table too large for the workbook, else None."""
    import csv

    header = next(csv.reader(io.StringIO(raw.split(b"\n", 1)[0].decode("utf-8"))), [])
    lines = raw.count(b"\n") - 1  # at least the number of rows
    if lines <= XLSX_MAX_ROWS and lines * len(header) <= XLSX_MAX_CELLS:
        return None
    rows = max(sum(1 for _ in csv.reader(io.StringIO(raw.decode("utf-8")))) - 1, 0)
    if rows > XLSX_MAX_ROWS:
        return rows, len(header), f"more than {XLSX_MAX_ROWS:,} rows"
    if rows * len(header) > XLSX_MAX_CELLS:
        return rows, len(header), f"more than {XLSX_MAX_CELLS:,} cells"
    return None


def xlsx_bytes(csvs: dict[str, bytes], run_name: str = "") -> bytes:
    """results.xlsx: every CSV table as one sheet, after a first ``README`` sheet listing
    the sheets and the tables left out (more than ``XLSX_MAX_ROWS`` rows or
    ``XLSX_MAX_CELLS`` cells). Sheets follow :data:`XLSX_FIRST`, then the other files
    by path.

    Parameters
    ----------
    csvs : dict
        Run-folder path (``all_respondents/importance.csv``) -> CSV bytes.
    run_name : str
        The run's name, for the README sheet.

    Returns
    -------
    bytes
        The workbook; identical for identical tables (fixed dates in the document
        properties and the zip entries).
    """
    from openpyxl import Workbook

    order = [n for n in XLSX_FIRST if n in csvs] + sorted(n for n in csvs
                                                          if n not in XLSX_FIRST)
    taken, sheets, index = {"readme"}, [], []
    for path in order:
        large = _too_large(csvs[path])
        if large is not None:
            index.append(("(left out)", path, large[0], large[1],
                          f"left out of this workbook: {large[2]}; open the CSV file"))
            continue
        frame = csv_table(csvs[path])
        sheets.append((sheet_name(path, taken), frame))
        index.append((sheets[-1][0], path, len(frame), frame.shape[1], ""))
    readme = pd.DataFrame(index, columns=["sheet", "file", "rows", "columns", "note"])
    wb = Workbook(write_only=True)
    wb.properties.creator = "dce"
    wb.properties.created = wb.properties.modified = XLSX_DATE
    _write_sheet(wb, "README", readme, preamble=(
        f"Results of dce run {run_name!r}: every CSV table of the run folder as one sheet, "
        "listed below. The CSV files are the reference; this workbook is a copy for reading.",
        ""))
    for title, frame in sheets:
        _write_sheet(wb, title, frame)
    return _fixed_zip(wb)


def _fixed_zip(wb) -> bytes:
    """Save ``wb`` and repack its zip with one fixed date on every entry."""
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()  # save_workbook would stamp "modified" with now
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=XLSX_DATE.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            entry.create_system = 3
            dst.writestr(entry, src.read(info))
    return out.getvalue()


def versions() -> dict:
    """The Python version, the platform and the installed version of each dependency.

    Returns
    -------
    dict
        ``python``, ``platform`` and one entry per name of :data:`DEPENDENCIES` (None
        when not installed), for manifest.json.
    """
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def manifest(run, files: dict, hashes_of_inputs: dict, started: str, finished: str,
             seconds: float, config_display: str) -> bytes:
    """manifest.json: what produced the run folder, and the hash of every file in it.

    Parameters
    ----------
    run : dce.run.stages.Run
        The run (its study and stage).
    files : dict
        Run-folder path -> bytes of every other file of the folder.
    hashes_of_inputs : dict
        Input file as shown to the user -> SHA-256 hex digest.
    started, finished : str
        ISO 8601 UTC times.
    seconds : float
        Duration in seconds (written rounded to milliseconds).
    config_display : str
        The config file as shown to the user.

    Returns
    -------
    bytes
        JSON indented by 2: ``tool`` (``dce``), ``version``, ``run``, ``stage``,
        ``config_file``, ``config_hash``, ``seed``, ``engine``, ``model``, ``inputs``,
        ``converged`` (group -> bool, with models; false for a separated fit),
        ``files`` (SHA-256 per file, sorted), ``versions`` (:func:`versions`),
        ``started``, ``finished``, ``duration_seconds``, ``stage_seconds`` (stage -> wall
        seconds of the stages run: design, read, quality, coding, fit, bootstrap,
        importance, compare, tables, report; results.xlsx is part of ``tables``).
    """
    import hashlib

    body = {
        "tool": "dce", "version": __version__, "run": run.study.name,
        "stage": run.stage, "config_file": config_display,
        "config_hash": run.study.config_hash, "seed": run.study.seed,
        "engine": run.study.spec.model.engine, "model": run.study.spec.model.type,
        "inputs": hashes_of_inputs,
        **({"converged": {r.group: bool(r.converged) for r in run.fits}} if run.fits else {}),
        "files": {k: hashlib.sha256(v).hexdigest() for k, v in sorted(files.items())},
        "versions": versions(), "started": started, "finished": finished,
        "duration_seconds": round(seconds, 3),
        "stage_seconds": {k: round(v, 3) for k, v in getattr(run, "timings", {}).items()},
    }
    return (json.dumps(body, indent=2) + "\n").encode()


# ----- tables ---------------------------------------------------------------------------
def estimates_table(run: Run) -> pd.DataFrame:
    """estimates.csv: one row per group and reported term; with a bootstrap, its percentile
    interval too.

    Parameters
    ----------
    run : dce.run.stages.Run
        A fitted run (``fits``, ``bootstrap``).

    Returns
    -------
    pandas.DataFrame
        ``group, term, estimate, std_error, z, p_value, ci_lower, ci_upper`` (Wald, at
        ``importance.level``), plus ``boot_ci_lower, boot_ci_upper`` with a bootstrap. The
        reported terms add each effects-coded attribute's omitted level (minus the sum of
        the others, see :func:`dce.models.results.reported`).
    """
    frames = []
    level = run.study.spec.importance.level
    for r in run.fits:
        names, est, cov, T = reported(r, run.study.attributes, with_map=True)
        frame = tidy(names, est, cov, level, r.group)
        if run.bootstrap is not None and r.group in run.bootstrap:
            reps = run.bootstrap[r.group] @ T.T
            a = (1 - level) / 2
            frame["boot_ci_lower"], frame["boot_ci_upper"] = np.quantile(reps, [a, 1 - a],
                                                                         axis=0)
        if any(f.separation is not None for f in run.fits):
            d = np.zeros(len(r.terms)) if r.separation is None else \
                r.separation.affected(r.terms)
            frame["separated"] = np.where(np.abs(T) @ d > 0, "true", "false")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def importance_table(run: Run) -> pd.DataFrame:
    """importance.csv: the importance columns, plus ``separated`` only when some fit is
    separated (``model.on_separation: warn``, :mod:`dce.models.separation`).

    Shares and ranks are compositional: one utility running to infinity takes every share
    of its group to 0 or 1, so every row of a separated group is marked ``true``, not only
    the attributes or items the separation names (:func:`mark_separated_groups`).

    Parameters
    ----------
    run : dce.run.stages.Run
        A fitted run (``importance``, ``fits``).

    Returns
    -------
    pandas.DataFrame
    """
    return mark_separated_groups(run.importance.table[IMPORTANCE_COLUMNS].copy(), run.fits)


GROUP_MARKED = ("relative_utilities",)  # tables of run.tables derived from every estimate


def mark_separated_groups(frame: pd.DataFrame, fits) -> pd.DataFrame:
    """``frame`` with a last column ``separated``: ``true`` on every row of a group whose
    fit is separated, ``false`` elsewhere; unchanged when no fit is separated.

    For tables whose every value depends on all of a group's estimates (importance
    shares and ranks, trade-offs, relative utilities): when one estimate is not finite in
    truth, none of them means anything.

    Parameters
    ----------
    frame : pandas.DataFrame
        With a ``group`` column.
    fits : list
        Fitted models (``group``, ``separation``).

    Returns
    -------
    pandas.DataFrame
        A copy when a column is added.
    """
    seps = {r.group for r in fits if getattr(r, "separation", None) is not None}
    if not seps:
        return frame
    frame = frame.copy()
    frame["separated"] = np.where(frame["group"].astype(str).isin(seps), "true", "false")
    return frame


def models_table(run: Run) -> pd.DataFrame:
    """models.csv: one row per fit; a mixed logit adds its draws and the change of the fit
    when the draws are doubled (stability check).

    Parameters
    ----------
    run : dce.run.stages.Run
        A fitted run (``fits``, ``constants_loglik``, ``stability``).

    Returns
    -------
    pandas.DataFrame
        ``group, n_respondents, n_choice_sets, n_parameters, log_likelihood,
        null_log_likelihood, aic, bic, converged, iterations, se_type, engine, model,
        constants_log_likelihood, rho_squared``; a mixed logit adds ``draws,
        stability_draws, stability_loglik_change, stability_max_coef_change``.
    """
    rows = []
    for r in run.fits:
        row = r.statistics()
        row["model"] = r.model
        row["constants_log_likelihood"] = run.constants_loglik.get(r.group)
        row["rho_squared"] = r.rho_squared
        if r.group in run.stability:
            st = run.stability[r.group]
            row.update(draws=getattr(r, "n_draws", None),
                       stability_draws=st["draws"],
                       stability_loglik_change=st["loglik_change"],
                       stability_max_coef_change=st["max_coef_change"])
        rows.append(row)
    return pd.DataFrame(rows)
