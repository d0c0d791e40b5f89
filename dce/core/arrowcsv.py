"""Parse a plain CSV file with Arrow's multithreaded reader, keeping each column's codes.

Survey exports are mostly plain: no quotes, no blank lines, no padded cells. For such a
file every cell is the text between two delimiters, so Arrow's CSV reader gives exactly the
cells that pandas' C parser gives (:func:`dce.core.csvread.read_table`), several times
faster, and its dictionary encoding gives each column's distinct cells and the code of
every row without a second hash pass (:func:`dce.core.cells.remember_codes`). Any other
file, and any file Arrow refuses (e.g. a row with more cells than the header), is left to
pandas, which words the problem at its line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dce.core.cells import TEXT, coded_cells

BLOCK_BYTES = 4 << 20  # Arrow parses blocks of this size in parallel


def plain_names(data: bytes, delimiter: str) -> list[str] | None:
    """The header's column names when ``data`` is a plain CSV, else None: no quote (a cell
    may hold the delimiter or a line break), NUL, lone carriage return, or white space after
    a delimiter or at a line start (pandas' ``skipinitialspace`` drops it). A blank line is
    fine: Arrow reads it as a row of empty cells, as pandas does (the reader then drops it,
    and the rows keep their file lines).

    Parameters
    ----------
    data : bytes
        UTF-8 text without a byte-order mark, ending in one line break at most.
    delimiter : str
        One character.

    Returns
    -------
    list of str or None
        The names as written (at least two, none empty or repeated: pandas renames
        repeated and empty names), or None.
    """
    sep = delimiter.encode("utf-8")
    if len(sep) != 1 or data[:1] in (b" ", b"\t") or b'"' in data or b"\x00" in data:
        return None
    pairs = [p for c in (b" ", b"\t") if c in data for p in (b"\n" + c, sep + c)]
    if any(p in data for p in pairs):
        return None
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):  # a lone CR ends a line
        return None
    names = data.split(b"\n", 1)[0].removesuffix(b"\r").decode("utf-8").split(delimiter)
    stripped = [n.strip() for n in names]
    if len(names) < 2 or not all(stripped) or len(set(stripped)) < len(stripped):
        return None
    return names


def read_plain(data: bytes, delimiter: str, coded=frozenset()) -> tuple[pd.DataFrame, dict] | None:
    """A plain CSV as text cells and the codes of each column, or None.

    Parameters
    ----------
    data : bytes
        The file as UTF-8 without a byte-order mark.
    delimiter : str
        One character.
    coded : set of str, optional
        Columns (names stripped) the caller reads only through their distinct cells
        (:func:`dce.core.cells.distinct`) and single cells (``iloc``): they are returned as
        ``pandas.Categorical`` of the codes, without a text cell per row.

    Returns
    -------
    tuple of (DataFrame, dict) or None
        The cells (dtype :data:`dce.core.cells.TEXT`, or categorical for ``coded``; the
        header's names as written) and,
        per column, ``(codes, uniques)``: int32 codes (rows,) and the distinct cells in
        order of first appearance, as :func:`dce.core.cells.distinct` returns them. None
        when the file is not plain, has no data rows, or Arrow cannot parse it.
    """
    end = len(data)
    while end and data[end - 1] in b"\r\n":  # line breaks at the end make no rows
        end -= 1
    names = plain_names(data, delimiter)
    if names is None:
        return None
    import pyarrow as pa
    import pyarrow.csv as pcsv

    pool = pa.default_memory_pool()
    text = pa.dictionary(pa.int32(), pa.string())  # parsed straight into codes
    try:
        table = pcsv.read_csv(
            pa.BufferReader(pa.py_buffer(memoryview(data)[:end])),
            read_options=pcsv.ReadOptions(block_size=BLOCK_BYTES),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, quote_char=False,
                                            ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types={n: text for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False), memory_pool=pool)
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    if table.num_rows == 0 or table.column_names != names:
        return None
    # each block has its own dictionary, in order of first appearance in the block; the
    # unified one appends each block's new cells in file order: first appearance overall
    table = table.unify_dictionaries(memory_pool=pool)
    cells, codes = {}, {}
    for name, column in zip(names, table.columns, strict=True):
        chunks = column.chunks
        uniques = np.asarray(chunks[0].dictionary.to_pylist(), dtype=object)
        index = np.concatenate([c.indices.to_numpy() for c in chunks])  # int32
        codes[name] = (index, uniques)
        cells[name] = (coded_cells(index, uniques) if name.strip() in coded
                       else pd.array(uniques[index], dtype=TEXT))
    rows = table.num_rows
    del table, chunks
    pool.release_unused()  # Arrow's allocator keeps freed blocks: give them back
    return pd.DataFrame(cells, index=pd.RangeIndex(rows), copy=False), codes
