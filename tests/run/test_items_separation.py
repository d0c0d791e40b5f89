"""Item studies stop on a likelihood with no maximum, as attribute studies do (issue 14).

An item that simulated respondents (utility -60: choice odds of e^-60) always put worst,
or always rank last, has no finite maximum-likelihood utility. The run must exit 2 naming
that item, also when it is the reference item, and never report "converged" with
utilities near +-40; a study without such an item still runs.
"""

from __future__ import annotations

import pytest

import dce
from dce.cli import main
from dce.errors import EstimationError
from tests.conftest import write_config

BW = """
schema_version: 1
name: sep_bw
seed: 3
type: best-worst
items: {a: {}, b: {}, c: {}, d: {}, e: {}, f: {}, g: {}}
design: {items_per_set: 3, sets: 7}
simulate:
  groups:
    x: {respondents: 60, utilities: {a: 1.2, b: 0.6, c: 0.3, d: -0.2, g: GVALUE}}
model: {REFERENCE}
importance: {draws: 100}
"""

RANK = """
schema_version: 1
name: sep_rank
seed: 5
type: ranking
items: {a: {}, b: {}, c: {}, d: {}, e: {}}
simulate:
  groups:
    x: {respondents: 80, utilities: {a: 1.0, b: 0.5, c: 0.0, d: -0.5, e: EVALUE}}
importance: {draws: 100}
"""


@pytest.mark.parametrize("reference", ["", "reference_item: g"])
def test_an_item_always_worst_stops_the_run_naming_it(tmp_path, capsys, reference):
    cfg = write_config(tmp_path, BW.replace("GVALUE", "-60").replace("REFERENCE", reference))
    assert main(["run", str(cfg), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "diverge" in err and "separated" in err and "Traceback" not in err
    named = err.split("the utilities of ")[1].split(" diverge")[0]
    assert named.startswith("g (") and ", " not in named.split(")")[-1]  # g alone, first
    assert not (tmp_path / "out").exists()


def test_an_item_always_ranked_last_stops_the_run(tmp_path, capsys):
    cfg = write_config(tmp_path, RANK.replace("EVALUE", "-60"))
    assert main(["run", str(cfg), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "the utilities of e (" in err and "diverge" in err


def test_a_low_but_finite_item_still_runs(tmp_path):
    cfg = write_config(tmp_path, BW.replace("GVALUE", "-2").replace("REFERENCE", ""))
    assert main(["run", str(cfg), "--output", str(tmp_path / "out")]) == 0


def test_the_python_api_raises_too(tmp_path):
    cfg = write_config(tmp_path, BW.replace("GVALUE", "-60").replace("REFERENCE", ""))
    run = dce.analyse(dce.load_config(cfg), stage="simulate")
    df = run.raw.responses
    with pytest.raises(EstimationError, match="the utilities of g"):
        dce.best_worst(df, items=list("abcdefg"))
