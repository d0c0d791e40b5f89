"""Coding of labelled designs against a design matrix built by hand with plain numpy.

The reference below writes every column from the definitions (effects coding, a slope per
unit, an indicator per label), not from dce's Attribute methods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dce.config.study import study_from_dict
from dce.core.attributes import Attribute
from dce.core.coding import ChoiceData, design_matrix

LABELS = ["NHS group", "charity group", "online forum"]


def _study(**model):
    return study_from_dict({
        "schema_version": 1, "name": "lab", "seed": 1,
        "attributes": {
            "who": {"levels": ["Volunteer", "Peer", "Nurse"]},
            "travel": {"levels": [10, 30, 60], "coding": "linear",
                       "alternatives": ["NHS group", "charity group"]},
            "cost": {"levels": [0, 5, 10], "coding": "linear"},
        },
        "design": {"method": "random", "alternatives": 3, "tasks": 4, "labels": LABELS},
        "model": {"alternative_specific": ["cost", "travel"], **model},
    }, need_responses=False)


def _table():
    rows = [  # block, task, alternative, who, travel, cost
        (1, 1, 1, "Peer", "30", "5"), (1, 1, 2, "Nurse", "60", "0"), (1, 1, 3, "Volunteer", "", "10"),
        (1, 2, 1, "Volunteer", "10", "10"), (1, 2, 2, "Peer", "10", "5"), (1, 2, 3, "Nurse", "", "0"),
    ]
    t = pd.DataFrame(rows, columns=["block", "task", "alternative", "who", "travel", "cost"])
    t["is_opt_out"] = 0
    return t


def _reference(t: pd.DataFrame) -> np.ndarray:
    """who effects-coded (Volunteer = -1, -1); travel@NHS, travel@charity (config order);
    cost@each label;
    asc[charity group], asc[online forum]."""
    alt = t["alternative"].to_numpy()
    who = {"Volunteer": [-1.0, -1.0], "Peer": [1.0, 0.0], "Nurse": [0.0, 1.0]}
    W = np.array([who[v] for v in t["who"]])
    travel = pd.to_numeric(t["travel"], errors="coerce").fillna(0).to_numpy()
    cost = t["cost"].astype(float).to_numpy()
    cols = [W[:, 0], W[:, 1]]
    cols += [travel * (alt == j) for j in (1, 2)]
    cols += [cost * (alt == j) for j in (1, 2, 3)]
    cols += [(alt == 2).astype(float), (alt == 3).astype(float)]
    return np.column_stack(cols)


def test_design_matrix_matches_plain_numpy():
    study = _study()
    t = _table()
    X, set_index, terms = design_matrix(t, study.attributes, False, study.constants,
                                        study.alternative_labels)
    assert terms == ["who[Peer]", "who[Nurse]", "travel@NHS group", "travel@charity group",
                     "cost@NHS group", "cost@charity group", "cost@online forum",
                     "asc[charity group]", "asc[online forum]"]
    np.testing.assert_array_equal(X, _reference(t))
    np.testing.assert_array_equal(set_index, [0, 0, 0, 1, 1, 1])


def test_from_frame_accepts_empty_cells_where_the_attribute_is_absent():
    study = _study()
    t = _table().drop(columns="is_opt_out")
    t["respondent"] = 1
    t["chosen"] = [1, 0, 0, 0, 0, 1]
    cd = ChoiceData.from_frame(t, study.attributes, asc=study.constants,
                               labels=study.alternative_labels)
    np.testing.assert_array_equal(cd.X, _reference(_table()))


def test_empty_cell_where_the_attribute_appears_is_still_an_error():
    from dce.errors import DataError

    study = _study()
    t = _table().drop(columns="is_opt_out")
    t.loc[0, "travel"] = ""  # NHS group shows travel
    t["respondent"] = 1
    t["chosen"] = [1, 0, 0, 0, 0, 1]
    with pytest.raises(DataError, match="empty cells"):
        ChoiceData.from_frame(t, study.attributes)


def test_explicit_constants_and_generic_attributes_in_a_labelled_design():
    study = _study(constants=[1, 3], alternative_specific=[])
    t = _table()
    X, _, terms = design_matrix(t, study.attributes, False, study.constants,
                                study.alternative_labels)
    assert terms == ["who[Peer]", "who[Nurse]", "travel", "cost", "asc[NHS group]",
                     "asc[online forum]"]
    alt = t["alternative"].to_numpy()
    travel = pd.to_numeric(t["travel"], errors="coerce").fillna(0).to_numpy()
    np.testing.assert_array_equal(X[:, 2], travel * (alt != 3))
    np.testing.assert_array_equal(X[:, 3], t["cost"].astype(float))
    np.testing.assert_array_equal(X[:, 4:], np.column_stack([alt == 1, alt == 3]))


def test_report_matrix_of_an_alternative_specific_attribute_is_block_diagonal():
    a = Attribute("who", "who", "effects", ("V", "P", "N"), specific=((1, "A"), (2, "B")))
    assert a.terms == ["who[P]@A", "who[N]@A", "who[P]@B", "who[N]@B"]
    assert a.report_terms == ["who[V]@A", "who[P]@A", "who[N]@A",
                              "who[V]@B", "who[P]@B", "who[N]@B"]
    R = a.report_matrix()
    block = np.array([[-1, -1], [1, 0], [0, 1]], float)
    np.testing.assert_array_equal(R[:3, :2], block)
    np.testing.assert_array_equal(R[3:, 2:], block)
    assert not R[:3, 2:].any() and not R[3:, :2].any()


def test_generic_attributes_are_unchanged():
    a = Attribute("who", "who", "effects", ("V", "P", "N"))
    assert a.views() == [a]
    assert a.terms == ["who[P]", "who[N]"]
    assert a.applies(np.array([1, 2, 5])).all()
