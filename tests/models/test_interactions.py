"""Attribute x respondent-covariate interactions: names, coding and recovery."""

import numpy as np
import pandas as pd

from dce.cli import main
from tests.conftest import write_config

CONFIG = """
schema_version: 1
name: inter
seed: 3
attributes:
  quality: {levels: [low, high], coding: dummy}
  price: {coding: linear}
choices:
  file: choices.csv
  columns: {respondent: id, task: task, alternative: alt, chosen: chosen}
respondents: {file: people.csv, id: id, group: group}
model:
  interactions: [[quality, age], [price, sex]]
importance: {draws: 100}
"""


def test_interaction_terms_are_recovered(tmp_path):
    rng = np.random.default_rng(8)
    n = 1500
    age = rng.uniform(-1, 1, n).round(3)          # centred age
    sex = rng.choice(["female", "male"], n)
    rows = []
    for r in range(n):
        b_q = 1.0 + 0.6 * age[r]                    # quality matters more to older people
        b_p = -0.3 + (-0.2 if sex[r] == "male" else 0.0)
        for t in range(6):
            q = rng.integers(0, 2, 3)
            p = rng.uniform(1, 5, 3).round(2)
            u = b_q * q + b_p * p + rng.gumbel(size=3)
            for j in range(3):
                rows.append({"id": r, "task": t, "alt": j + 1, "chosen": int(j == u.argmax()),
                             "quality": ["low", "high"][q[j]], "price": p[j]})
    pd.DataFrame(rows).to_csv(tmp_path / "choices.csv", index=False)
    pd.DataFrame({"id": range(n), "group": "all_people", "age": age, "sex": sex}).to_csv(
        tmp_path / "people.csv", index=False)
    cfg = write_config(tmp_path, CONFIG)
    assert main(["fit", str(cfg), "--output", str(tmp_path / "out")]) == 0
    est = pd.read_csv(tmp_path / "out" / "estimates.csv").set_index("term")
    truth = {"quality[high]": 1.0, "price": -0.3, "quality[high]:age": 0.6,
             "price:sex[male]": -0.2}
    assert set(est.index) == set(truth)
    for term, value in truth.items():
        z = (est.loc[term, "estimate"] - value) / est.loc[term, "std_error"]
        assert abs(z) < 3, (term, est.loc[term, "estimate"], value)


def test_interactions_need_a_respondents_table(tmp_path, capsys):
    text = CONFIG.replace("respondents: {file: people.csv, id: id, group: group}\n", "")
    (tmp_path / "choices.csv").write_text("id,task,alt,chosen,quality,price\n")
    cfg = write_config(tmp_path, text)
    assert main(["validate", str(cfg)]) == 2
    assert "model.interactions: interactions need covariates" in capsys.readouterr().err
