"""Read a delimited table as text cells, and collect the problems found in it.

Shared by every reader of tables (responses, respondents, item designs): clear errors for
missing, empty, unreadable or mis-encoded files, and :class:`Issues`, which collects every
problem (a few per column and kind, with a count of the rest) before reporting.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from dce.core.arrowcsv import read_plain
from dce.core.cells import (
    TEXT,
    blank_rows,
    coded_cells,
    distinct,
    remember_codes,
    shared,
    strip_text,
)
from dce.errors import DataError, Problem

MAX_PER_KIND = 5
LINES = "dce_lines"  # frame.attrs key: file line of each row


class Issues:
    """Collects problems, at most a few per (column, kind), with a count of the rest.

    Parameters
    ----------
    file : str
        The file name shown in every problem.
    frame : DataFrame, optional
        The table read by :func:`read_table`; its ``attrs[LINES]`` maps row positions to
        file lines (blank lines skipped). Without it, row r is line r + 2.

    Attributes
    ----------
    items : list of Problem
        The problems kept (at most :data:`MAX_PER_KIND` per column and kind).
    counts : dict
        Number of problems seen per (column, kind), kept or not.
    """

    def __init__(self, file: str, frame: pd.DataFrame | None = None):
        self.file = file
        self.items: list[Problem] = []
        self.counts: dict = {}
        # file line of each row (blank lines are not rows); header = line 1
        self.lines = frame.attrs.get(LINES) if frame is not None else None

    def add(self, column, message, row=None, kind=None):
        """Record one problem (kept only while its kind has fewer than MAX_PER_KIND).

        Parameters
        ----------
        column : str or None
            The column, shown as the problem's key.
        message : str
            What was expected and what was found.
        row : int, optional
            Position (0-based) of the data row in the frame; converted to a file line.
        kind : str, optional
            Groups problems for the per-kind limit (default: the message itself).
        """
        kind = (column, kind or message)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.counts[kind] <= MAX_PER_KIND:
            if row is None:
                line = None
            elif self.lines is not None and int(row) < len(self.lines):
                line = int(self.lines[int(row)])
            else:
                line = int(row) + 2
            self.items.append(Problem(message, self.file, line, column))

    def add_rows(self, column, message, rows, kind=None, columns=None):
        """Record one problem per row of ``rows``, as :meth:`add` called row by row would.

        Only the rows kept (the first few per column and kind) have their message built;
        the others are only counted, so a column of a million bad cells costs a count.

        Parameters
        ----------
        column : str or None
            The column of every row (ignored when ``columns`` is given).
        message : str or callable
            The message, or a function of ``i`` returning the message of ``rows[i]``.
        rows : array-like of int (k,)
            Row positions (0-based), in the order :meth:`add` would have been called.
        kind : str, optional
            The kind (default: ``message``, which must then be a str).
        columns : array-like of str (k,), optional
            The column of each row, when it differs from row to row.
        """
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        kind = kind if kind is not None else message
        if columns is None:
            cols = [column]
            codes = np.zeros(len(rows), np.int64)
        else:
            codes, cols = pd.factorize(np.asarray(columns, dtype=object))
            cols = list(cols)
        # rank of each row among the rows of its column, and how many that column had
        rank = pd.Series(codes).groupby(codes).cumcount().to_numpy()
        before = np.array([self.counts.get((col, kind), 0) for col in cols])
        keep = before[codes] + rank < MAX_PER_KIND
        for i in np.flatnonzero(keep):
            self.add(cols[codes[i]], message(i) if callable(message) else message,
                     rows[i], kind)
        rest = np.bincount(codes[~keep], minlength=len(cols))
        for j in np.flatnonzero(rest):  # counted only (a kind kept before is in counts)
            key = (cols[j], kind)
            self.counts[key] = self.counts.get(key, 0) + int(rest[j])

    def raise_if_any(self):
        """Raise the collected problems, if any, as one DataError.

        Raises
        ------
        DataError
            With every kept problem (file, line, column) and, per (column, kind) over
            the limit, a problem ``... and N more rows with this problem``.
        """
        extra = [Problem(f"... and {n - MAX_PER_KIND} more rows with this problem", self.file,
                         None, col) for (col, _), n in self.counts.items() if n > MAX_PER_KIND]
        if self.items:
            raise DataError(self.items + extra)


def read_table(path, display: str, delimiter: str = ",", coded=frozenset()) -> pd.DataFrame:
    """Read a CSV as text cells; clear errors for missing, empty or unreadable files.

    Cells are kept as text (no NA conversion, leading spaces skipped); column names are
    stripped. Blank lines are dropped but counted: ``frame.attrs[LINES]`` holds the file
    line of each remaining row (the header is line 1).

    Parameters
    ----------
    path : pathlib.Path
        The file to read.
    display : str
        The name shown in problems (as the user wrote it).
    delimiter : str
        One character separating cells.
    coded : set of str, optional
        Columns the caller reads only through :func:`dce.core.cells.distinct` and single
        cells: kept as codes (:func:`dce.core.cells.coded_cells`), not a text per row.

    Returns
    -------
    DataFrame (rows, columns) of str

    Raises
    ------
    DataError
        Located at ``display`` (and the line where known): file not found, a folder,
        an empty file, UTF-16 or another non-UTF-8 encoding, a malformed CSV (e.g. a row
        with more cells than the header), or a header without data rows.
    """
    if not path.exists():
        raise DataError("file not found; check the path (relative to the config file)",
                        file=display)
    if path.is_dir():
        raise DataError("is a folder, expected a CSV file", file=display)
    if path.suffix.lower() in COLUMNAR:
        return read_columnar(path, display)
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError("the file is empty; expected a header row and data rows", file=display)
    text = _decode(raw, display)
    fast = read_plain(raw.removeprefix(b"\xef\xbb\xbf"), delimiter, coded)  # plain: Arrow
    frame = fast[0] if fast is not None else _parse(text, display, delimiter)
    if fast is None:  # pandas renames a repeated name (x, x.1): which is meant is unknown
        _no_repeated_names(text, display, delimiter)
    frame.columns = [str(c).strip() for c in frame.columns]
    if fast is not None:  # each column's codes, found while parsing
        remember_codes(frame, dict(zip(frame.columns, fast[1].values(), strict=True)))
    blank = blank_rows(frame)
    lines = record_lines(text, len(frame))
    if blank.any():  # blank lines (often at the end) are not rows, but count as lines
        frame = frame.loc[~blank].reset_index(drop=True)
        lines = lines[~blank]
    if fast is None and coded:  # the same columns as from Arrow's reader
        frame = frame.assign(**{n: coded_cells(*distinct(frame[n])) for n in frame.columns
                                if n in coded})
    frame.attrs[LINES] = shared(lines)
    if frame.empty:
        raise DataError("expected data rows below the header, found only the header",
                        file=display, line=1)
    return frame


def _no_repeated_names(text: str, display: str, delimiter: str) -> None:
    """Raise when a column name appears twice in the header (line 1)."""
    from io import StringIO

    head = pd.read_csv(StringIO(text), sep=delimiter, header=None, nrows=1, dtype=str,
                       keep_default_na=False, skipinitialspace=True)
    names = [str(v).strip() for v in head.iloc[0]] if len(head) else []
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names, start=1):  # header cells, not rows
        if name:
            seen.setdefault(name, []).append(i)
    twice = {n: at for n, at in seen.items() if len(at) > 1}
    if twice:
        raise DataError([Problem(f"the column name appears {len(at)} times in the header "
                                 f"(columns {', '.join(map(str, at))}); dce cannot tell which "
                                 "one to read: rename or remove the others", display, 1, n)
                         for n, at in twice.items()])


def _parse(text: str, display: str, delimiter: str) -> pd.DataFrame:
    """Pandas' C parser on any CSV; a malformed one is a located DataError."""
    try:
        from io import StringIO

        frame = pd.read_csv(StringIO(text), sep=delimiter, dtype=TEXT, keep_default_na=False,
                            skipinitialspace=True, skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        line = re.search(r"line (\d+)", msg)
        fields = re.search(r"Expected (\d+) fields in line \d+, saw (\d+)", msg)
        first = text.split("\n", 1)[0]
        other = [(sep, name) for sep, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe"))
                 if sep != delimiter and first.count(sep) > first.count(delimiter)]
        if fields and other:  # e.g. a ';' file whose cells hold commas
            msg = (f"expected {fields.group(1)} cells (as many as the header has), found "
                   f"{fields.group(2)}; the header looks {other[0][1]}-separated "
                   f"({first[:80]!r}): set choices.delimiter: {other[0][0]!r}")
        elif fields:
            msg = (f"expected {fields.group(1)} cells (as many as the header has), found "
                   f"{fields.group(2)}; quote cells that contain the delimiter "
                   f"{delimiter!r}, or check choices.delimiter")
        elif "EOF inside string" in msg:  # pandas' "row N" counts records from 0
            at, cell = _unclosed_quote(text)
            raise DataError("malformed CSV: a quoted cell starting on this line is never "
                            "closed (a '\"' without its partner); found "
                            f"{cell!r}: close the quote, or write a '\"' inside a quoted "
                            "cell twice ('\"\"')", file=display, line=at) from None
        else:
            msg = msg.removeprefix("Error tokenizing data. ").removeprefix("C error: ")
        raise DataError(f"malformed CSV: {msg}", file=display,
                        line=int(line.group(1)) if line else None) from None
    if not isinstance(frame.index, pd.RangeIndex):  # pandas took the first column as index
        n = len(frame.columns)
        raise DataError(f"malformed CSV: every data row has {n + 1} cells but the header has "
                        f"{n} (a delimiter {delimiter!r} at the end of each row?): remove it, "
                        "or name the extra column in the header", file=display, line=2)
    return frame


def _unclosed_quote(text: str) -> tuple[int, str]:
    """The file line (the header is line 1) on which the quoted cell that is never closed
    starts, and the start of that cell (up to 40 characters of its line).

    A quote opens a cell only at the start of a cell, and inside a quoted cell a ``"`` is
    written twice; a run of ``"`` of odd length inside the cell would close it. So after
    the opening quote of a cell that runs to the end of the file every run of ``"`` has
    even length, and the opening quote is the first of the last run of odd length (stray
    quotes inside unquoted cells and closed multi-line cells before it do not matter).
    """
    codes = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)  # '"' and LF are one byte
    quotes = np.flatnonzero(codes == ord('"'))
    if not len(quotes):
        return 1, ""
    first = np.flatnonzero(np.diff(quotes, prepend=-2) != 1)  # index in `quotes` of runs
    length = np.diff(first, append=len(quotes))
    odd = first[length % 2 == 1]
    start = int(quotes[odd[-1]] if len(odd) else quotes[-1])
    line = int(np.count_nonzero(codes[:start] == ord("\n"))) + 1
    end = np.flatnonzero(codes[start:] == ord("\n"))
    stop = start + int(end[0]) if len(end) else len(codes)
    cell = codes[start:min(stop, start + 40)].tobytes().decode("utf-8", "replace")
    return line, cell.rstrip("\r")


#: File endings read as columnar tables (Apache Parquet and Arrow IPC / Feather).
COLUMNAR = (".parquet", ".feather", ".arrow")


def read_columnar(path, display: str) -> pd.DataFrame:
    """Read a Parquet or Feather file as the text cells a CSV of the same table would give.

    Text columns are kept (missing -> empty cell); whole numbers are written without
    decimals (``1.0`` -> ``"1"``, so that they match the levels ``1`` and ``1.0`` and read
    as integers), other numbers as their shortest round-trip text (``2.5``, ``0.1``); NaN
    and missing numbers are empty cells; booleans are ``"1"`` / ``"0"`` (so a boolean
    ``chosen`` column reads as 0/1); other types (dates, decimals, categories) are cast to
    text by Arrow. Column names are stripped. Rows whose cells are all empty are dropped,
    like blank lines of a CSV; ``attrs[LINES]`` gives row r the line r + 2 it would have in
    that CSV (header = line 1).

    Parameters
    ----------
    path : pathlib.Path
        A ``.parquet`` file, or a ``.feather`` / ``.arrow`` file (Arrow IPC).
    display : str
        The name shown in problems.

    Returns
    -------
    DataFrame (rows, columns) of str

    Raises
    ------
    DataError
        Located at ``display``: pyarrow is not installed, the file is not a Parquet or
        Feather file, a column has a type that cannot be written as text, or the table has
        no rows.
    """
    try:
        import pyarrow.feather as feather
        import pyarrow.parquet as parquet
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise DataError("reading Parquet and Feather files needs the pyarrow package "
                        "(pip install pyarrow)", file=display) from None
    kind = "Parquet" if path.suffix.lower() == ".parquet" else "Feather"
    try:
        table = (parquet.read_table(path) if kind == "Parquet" else feather.read_table(path))
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a bad file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read it as a {kind} file: {first}", file=display) from None
    cells = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            cells[str(name).strip()] = arrow_text(column)
        except (TypeError, ValueError, NotImplementedError) as exc:
            raise DataError(f"column {str(name)!r} of type {column.type} cannot be read as "
                            f"text cells ({type(exc).__name__})", file=display) from None
    frame = pd.DataFrame(cells, dtype=TEXT, index=pd.RangeIndex(table.num_rows))
    blank = blank_rows(frame) if frame.shape[1] else np.ones(len(frame), bool)
    lines = np.arange(len(frame), dtype=np.int64) + 2
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
        lines = lines[~blank]
    frame.attrs[LINES] = shared(lines)
    if frame.empty:
        raise DataError("expected data rows, found none", file=display)
    return frame


def arrow_text(column) -> np.ndarray:
    """An Arrow column as text cells (see :func:`read_columnar` for the rules).

    Parameters
    ----------
    column : pyarrow.ChunkedArray or Array (rows,)

    Returns
    -------
    ndarray of object (rows,)
        One str per row.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind):
        return arrow_text(pc.cast(column, kind.value_type))
    if pa.types.is_boolean(kind):
        text = pc.if_else(column, "1", "0")
    elif pa.types.is_floating(kind):
        values = np.asarray(column.to_numpy(zero_copy_only=False) if isinstance(column, pa.Array)
                            else column.to_numpy(), dtype=float)
        whole = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 1e15)
        text = np.asarray(pc.cast(pa.array(values), pa.string()).to_numpy(
            zero_copy_only=False), dtype=object)
        text[whole] = np.asarray(pc.cast(pa.array(values[whole].astype(np.int64)),
                                         pa.string()).to_numpy(zero_copy_only=False),
                                 dtype=object)
        text[np.isnan(values)] = ""
        return text
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = column
    else:
        text = pc.cast(column, pa.string())
    out = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    out[pd.isna(out)] = ""
    return out


def record_lines(text: str, n_rows: int) -> np.ndarray:
    """The file line on which each of the first ``n_rows`` data records starts.

    A quoted cell may span several lines (Qualtrics writes question texts with line
    breaks); a line break is the end of a record only outside quotes, i.e. after an even
    number of ``"`` characters (an escaped ``""`` counts twice, so it keeps the parity).

    Parameters
    ----------
    text : str
        The decoded file.
    n_rows : int
        Number of records under the header that the CSV parser returned.

    Returns
    -------
    ndarray of int64 (n_rows,)
        1-based line of each record (the header is line 1); ``2, 3, ...`` when the
        breaks found do not match ``n_rows`` (e.g. a stray quote inside a cell).
    """
    plain = np.arange(n_rows, dtype=np.int64) + 2
    if '"' not in text:
        return plain
    codes = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)  # '"' and LF are one byte
    breaks = np.flatnonzero(codes == ord("\n"))
    quotes_before = np.cumsum(codes == ord('"'))[breaks]
    ends = np.flatnonzero(quotes_before % 2 == 0)  # positions in `breaks` ending a record
    if len(ends) not in (n_rows, n_rows + 1):  # + 1: the break ending the last row
        return plain
    return ends[:n_rows].astype(np.int64) + 2


def metadata_rows(frame: pd.DataFrame) -> int:
    """How many rows under the header are Qualtrics metadata rows.

    Qualtrics writes, under the column names, a row of question texts and a row whose
    cells are JSON such as ``{"ImportId":"QID1"}`` (Qualtrics support, "Understanding
    your dataset"); older exports have only the question texts.

    Parameters
    ----------
    frame : DataFrame
        A table read by :func:`read_table`.

    Returns
    -------
    int
        The position + 1 of the first of the first three rows with an ``ImportId`` cell
        (so that row and the rows above it are metadata), or 0 when there is none.
    """
    head = frame.iloc[:3]
    if head.empty:
        return 0
    hit = head.apply(lambda col: col.str.match(IMPORT_ID)).any(axis=1).to_numpy()
    found = np.flatnonzero(hit)
    return int(found[0]) + 1 if len(found) else 0


IMPORT_ID = re.compile(r'\s*\{\s*"ImportId"\s*:')


def drop_rows(frame: pd.DataFrame, rows) -> pd.DataFrame:
    """``frame`` without the rows at positions ``rows``, keeping each row's file line.

    Parameters
    ----------
    frame : DataFrame
        A table read by :func:`read_table` (``attrs[LINES]`` holds the file lines).
    rows : array-like of int
        Row positions (0-based) to leave out.

    Returns
    -------
    DataFrame
        The other rows, renumbered from 0, with ``attrs[LINES]`` their file lines.
    """
    keep = np.ones(len(frame), bool)
    keep[np.asarray(rows, dtype=np.int64)] = False
    lines = np.asarray(frame.attrs.get(LINES, np.arange(len(frame)) + 2))[keep]
    out = frame.loc[keep].reset_index(drop=True)
    out.attrs[LINES] = shared(lines)
    return out


def _decode(raw: bytes, display: str) -> str:
    """UTF-8 text (a byte-order mark is fine); UTF-16 and other encodings are errors."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(raw) > 1 and b"\x00" in raw[:200]):
        raise DataError("expected UTF-8 text, found UTF-16 (as written by Excel's 'Unicode "
                        "text'); export the file as 'CSV UTF-8'", file=display, line=1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start:exc.start + 1].hex()
        raise DataError(f"expected UTF-8 text, found byte 0x{bad} (another encoding, such as "
                        "Windows-1252); export the file as 'CSV UTF-8'", file=display,
                        line=line) from None


def need_columns(frame, needed: dict, display: str, delimiter: str,
                  setting: str | None = "choices.delimiter"):
    """Check that the columns in ``needed`` are present; raise one problem per missing column.

    Parameters
    ----------
    frame : DataFrame
        The table read by :func:`read_table`.
    needed : dict
        Role (shown in the message) -> column name.
    display : str
        The file name shown in problems.
    delimiter : str
        The delimiter the file was read with.
    setting : str or None
        The config key that chooses this file's delimiter, named in the hint; None when
        there is no such setting.

    Raises
    ------
    DataError
        When a column is missing: one problem per missing column (line 1, key = the
        column) listing the columns found; or, when the header is one cell holding another
        delimiter (``;``, tab, ``|`` or ``,``), a single problem suggesting ``setting``.
    """
    missing = [(role, col) for role, col in needed.items() if col not in frame.columns]
    if not missing:
        return
    header = ",".join(frame.columns)
    for sep, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe"), (",", "comma")):
        if sep != delimiter and len(frame.columns) == 1 and sep in frame.columns[0]:
            wanted = ", ".join(needed.values())
            fix = f"set {setting}: {sep!r} in the config or " if setting else ""
            raise DataError(f"expected columns {wanted} separated by {delimiter!r}, found a "
                            f"{name}-separated header {frame.columns[0][:120]!r}; {fix}"
                            "export the file as comma-separated CSV", file=display, line=1)
    raise DataError([Problem(f"missing column {col!r} ({role}); found columns: "
                             f"{header[:200]}", display, 1, col) for role, col in missing])


def integers(frame, col, issues, what="a whole number") -> np.ndarray:
    """Column ``col`` as int64; every cell that is not a whole number becomes an issue.

    Parameters
    ----------
    frame : DataFrame
        Text cells.
    col : str
        The column to convert.
    issues : Issues
        Receives one problem per bad cell (kind ``"int"``).
    what : str
        How the expected value is described in the message.

    Returns
    -------
    ndarray of int64 (rows,)
        The values; -1 for empty or unreadable cells (other bad cells, e.g. ``1.5``, are
        truncated; every bad cell is reported, so callers raise before using them).
    """
    codes, uniques = distinct(frame[col])
    values = pd.to_numeric(pd.Series(strip_text(uniques), dtype=object), errors="coerce")
    bad = (values.isna() | ~np.isfinite(values) | (values != values.round())).to_numpy()
    cells, rows = frame[col], np.flatnonzero(bad[codes])
    issues.add_rows(col, lambda i: f"expected {what}, found {cells.iloc[rows[i]]!r}", rows,
                    "int")
    return values.fillna(-1).to_numpy().astype(np.int64)[codes]
