import numpy as np
import pytest

from dce.core.attributes import Attribute, level_key


def test_level_key_matches_numbers_and_text():
    assert level_key(4) == level_key(4.0) == level_key("4") == level_key(" 4.0 ") == "4"
    assert level_key("No") == "No"
    assert level_key(2.5) == level_key("2.5")
    assert level_key("1,000") == "1,000"  # not silently a number


def test_effects_coding_rows_and_terms():
    a = Attribute("q", "Q", "effects", ("a", "b", "c"))
    assert a.terms == ["q[b]", "q[c]"]
    assert a.report_terms == ["q[a]", "q[b]", "q[c]"]
    np.testing.assert_array_equal(a.level_matrix(), [[-1, -1], [1, 0], [0, 1]])
    np.testing.assert_array_equal(a.code(["c", "a"]), [[0, 1], [-1, -1]])


def test_dummy_coding_with_reference():
    a = Attribute("q", "Q", "dummy", ("a", "b", "c"), reference="b")
    assert a.terms == ["q[a]", "q[c]"]
    np.testing.assert_array_equal(a.level_matrix(), [[1, 0], [0, 0], [0, 1]])
    assert a.report_terms == a.terms


def test_linear_coding():
    a = Attribute("w", "W", "linear", (1, 4, 12))
    assert a.terms == ["w"]
    np.testing.assert_array_equal(a.code([4, 12]), [[4.0], [12.0]])


def test_unknown_level_is_rejected():
    a = Attribute("q", "Q", "effects", ("a", "b"))
    with pytest.raises(ValueError, match="unknown levels"):
        a.code(["a", "z"])
