"""Write the synthetic example files of docs/data.md ("Survey-platform exports").

The same simulated answers (seed 14; no real respondents) in four layouts: long.csv (dce's
long format), qualtrics.csv (Qualtrics, recode values), qualtrics_text.csv (Qualtrics,
choice text, Loop & Merge columns) and sawtooth.csv (Sawtooth CBC, one row per concept).
Run from this folder: ``python make_examples.py``.
"""

import json

import numpy as np
import pandas as pd

import dce
from dce.data.simulate import responses
from dce.design import build

CONFIG = {"schema_version": 1, "name": "exports", "seed": 14,
          "attributes": {"colour": {"levels": ["red", "green", "blue"]},
                         "price": {"levels": [10, 20, 40], "coding": "linear"}},
          "design": {"alternatives": 2, "opt_out": "Neither", "tasks": 4, "blocks": 2,
                     "file": "design.csv"},
          "simulate": {"groups": {"all_people": {"respondents": 24, "utilities": {
              "colour": {"red": 0, "green": 0.5, "blue": 1.0}, "price": -0.05,
              "opt_out": -0.8}}}}}
TEXT = {1: "Service A", 2: "Service B", 3: "Neither"}
QUESTION = "Which service would you choose?\nPick one."


def main():
    study = dce.Study.from_dict(CONFIG, base_dir=".")
    design = build(study)
    resp = responses(study, design)
    resp = resp[~((resp["respondent"] == 5) & (resp["task"] == 4))]  # one break-off
    resp["respondent"] = resp["respondent"].astype(int)
    long = resp[["respondent", "block", "task", "alternative", "chosen", "colour", "price"]]
    long.to_csv("long.csv", index=False)
    chosen = resp[resp["chosen"] == 1].pivot(index=["respondent", "block"], columns="task",
                                             values="alternative")
    qualtrics(chosen, lambda v: str(int(v)), lambda t: f"Q{t}", "qualtrics.csv")
    qualtrics(chosen, lambda v: TEXT[int(v)], lambda t: f"{t}_Q5", "qualtrics_text.csv")
    codes = {a.name: {lab: i + 1 for i, lab in enumerate(a.level_labels)}
             for a in study.attributes}
    saw = pd.DataFrame({"sys_RespNum": resp["respondent"], "Version": resp["block"],
                        "Task": resp["task"], "Concept": resp["alternative"]})
    for name, code in codes.items():
        saw[name] = resp[name].map(lambda v, c=code: c.get(str(v), 0) if pd.notna(v) else 0)
    saw["Response"] = resp["chosen"]
    saw.to_csv("sawtooth.csv", index=False)


def qualtrics(chosen, cell, name, path):
    n = len(chosen)
    done = chosen.notna().all(axis=1).to_numpy()
    table = pd.DataFrame({
        "StartDate": [f"2024-03-{1 + i // 10:02d} {9 + i % 10:02d}:00:00" for i in range(n)],
        "EndDate": [f"2024-03-{1 + i // 10:02d} {9 + i % 10:02d}:07:00" for i in range(n)],
        "Status": "0", "Progress": np.where(done, "100", "80"),
        "Duration (in seconds)": "420", "Finished": np.where(done, "1", "0"),
        "ResponseId": [f"R_{i + 1:02d}xExample{i + 1:04d}" for i in range(n)],
        "block": chosen.index.get_level_values("block").astype(str)})
    for t in chosen.columns:
        table[name(t)] = [cell(v) if pd.notna(v) else "" for v in chosen[t]]
    texts = {"StartDate": "Start Date", "EndDate": "End Date", "Status": "Response Type",
             "Progress": "Progress", "Duration (in seconds)": "Duration (in seconds)",
             "Finished": "Finished", "ResponseId": "Response ID", "block": "block"}
    ids = {"StartDate": "startDate", "EndDate": "endDate", "Status": "status",
           "Progress": "progress", "Duration (in seconds)": "duration",
           "Finished": "finished", "ResponseId": "_recordId", "block": "block"}
    head = pd.DataFrame([[texts.get(c, QUESTION) for c in table.columns],
                         [json.dumps({"ImportId": ids.get(c, f"QID{i}")}, separators=(",", ":"))
                          for i, c in enumerate(table.columns, start=-7)]],
                        columns=table.columns)
    pd.concat([head, table]).to_csv(path, index=False)


if __name__ == "__main__":
    main()
