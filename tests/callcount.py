"""Counting the Python calls a function makes, for the tests that hold dce's data path to
column operations (issue 16): a loop over rows shows as calls that grow with the rows."""

from __future__ import annotations

import sys
from pathlib import Path

import dce

PACKAGE = str(Path(dce.__file__).resolve().parent)


def python_calls(func, *args, **kwargs) -> tuple[object, int, int]:
    """func(*args, **kwargs) and its Python function calls: (result, calls of code in the
    dce package, all calls). Compiled functions (numpy, pandas' C and Cython parts) are
    not counted."""
    counts = [0, 0]

    def profile(frame, event, arg):
        if event == "call":
            counts[1] += 1
            counts[0] += frame.f_code.co_filename.startswith(PACKAGE)

    sys.setprofile(profile)
    try:
        out = func(*args, **kwargs)
    finally:
        sys.setprofile(None)
    return out, counts[0], counts[1]
