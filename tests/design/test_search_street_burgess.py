"""Street-Burgess cases stay optimal (D-efficiency 1 to 1e-9) under the default level
balance; the optimum is checked against the closed form of design_refs."""

from __future__ import annotations

import numpy as np
import pytest
from design_refs import (
    coded_sets,
    d_error,
    effects_spec,
    make_study,
    street_burgess_optimal_d_error,
)

from dce.design import build

CASES = [([2, 2, 2], 2, 4), ([2, 2, 2, 2], 2, 8), ([3, 3, 3, 3], 3, 9), ([3, 3, 3, 3], 2, 9)]


@pytest.mark.parametrize("levels,m,n_sets", CASES)
def test_default_near_balance_keeps_d_efficiency_one(levels, m, n_sets):
    study = make_study(levels, m, n_sets)
    assert study.spec.design.level_balance == "near"
    design = build(study)
    assert design.diagnostics["d_efficiency"] == pytest.approx(1.0, abs=1e-9)
    ours = d_error(coded_sets(design.table, effects_spec(study)),
                   np.zeros(sum(levels) - len(levels)))
    assert ours == pytest.approx(street_burgess_optimal_d_error(levels, m, n_sets), rel=1e-9)
