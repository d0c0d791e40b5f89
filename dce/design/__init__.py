"""Choice-experiment designs: build or read one, and describe its quality.

``build(study)`` returns a :class:`Design`. Methods register in ``METHODS``; each takes
the study and a random generator and returns the choice sets as a level-index array of
shape (sets, alternatives, attributes). Blocking, the opt-out row and the table layout
are shared by every method.
"""

from __future__ import annotations

from dce.core.coding import design_matrix
from dce.design.base import Design, design_table
from dce.design.build import METHODS, build, from_file

__all__ = ["Design", "METHODS", "build", "from_file", "design_matrix", "design_table"]
