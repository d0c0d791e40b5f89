"""`dce init NAME`: a commented starter config and a tiny example data file that run as
written (``dce init demo && dce run demo/demo.yaml``).

The example data are made here, from a fixed seed, so the files are the same on every
machine: 60 respondents in two groups, 8 tasks each, two clinics per task.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np

NAME_PATTERN = r"^[A-Za-z0-9_-]+$"

CONFIG = """\
# yaml-language-server: $schema=dce-config.schema.json
#
# A starter discrete-choice experiment, made by `dce init {name}`.
# Which GP clinic would people choose? Two clinics per task; patients and carers answer.
# The example answers in data/choices.csv are made up (simulated), for trying dce out.
#
#   run it:        dce run {name}/{name}.yaml      (from the folder that holds {name}/)
#   check it:      dce validate {name}/{name}.yaml
#   every key:     docs/config.md in the dce repository, or `dce schema`
#
# Replace the attributes and data/choices.csv with your own survey export; paths are
# relative to this file's folder.

schema_version: 1
name: {name}                     # names the run (letters, digits, _ and -)
seed: 2024                      # every random step (intervals, draws) starts from this
output: results                 # run folder, relative to this file

attributes:                     # what varies between the alternatives; order = table order
  wait:
    label: Waiting time for an appointment (weeks)
    levels: [1, 3, 6]
    coding: linear              # one coefficient per week
  clinician:
    label: Who you see
    levels: [Any available clinician, Your usual GP]
    # coding: effects           # the default for text levels (or dummy)
  travel:
    label: Travel time to the clinic
    levels: [Under 15 minutes, 15 to 30 minutes, Over 30 minutes]
  evening:
    label: Evening appointments
    levels: [No, Yes]           # text, as dce reads YAML 1.2 (only true/false are booleans)

choices:                        # observed answers: one row per respondent x task x alternative
  file: data/choices.csv
  format: long                  # long | wide (wide needs the design in design.file)
  columns:                      # column names in your file
    respondent: respondent
    task: task
    alternative: alternative
    chosen: chosen              # 1 for the chosen alternative, 0 otherwise
    group: group                # respondent group (or use respondents: {{file: ...}})

model:
  type: conditional_logit
  by: group                     # one model per group plus a pooled model ("all")
  se: cluster                   # standard errors clustered by respondent

importance:
  intervals: krinsky-robb       # krinsky-robb | delta | bootstrap
  draws: 1000
  level: 0.95

compare:
  pairs: all                    # or a list such as [[patients, carers]]

tradeoffs:
  denominator: wait             # value of each change in weeks of waiting

data:
  exclude_failed_checks: false  # true: refit without respondents who fail a quality check
  preference_order:             # a priori better levels, to find dominance tasks
    wait: decreasing            # fewer weeks are better
    travel: decreasing          # earlier levels in the list are better

report:
  title: Choosing a GP clinic (example)
  group_labels: {{patients: Patients, carers: Carers}}
"""

ATTRIBUTES = {
    "wait": [1, 3, 6],
    "clinician": ["Any available clinician", "Your usual GP"],
    "travel": ["Under 15 minutes", "15 to 30 minutes", "Over 30 minutes"],
    "evening": ["No", "Yes"],
}
# part-worths by level (wait: per week) for each group
UTILITIES = {
    "patients": {"wait": -0.3, "clinician": [0, 0.9], "travel": [0, -0.4, -0.9],
                 "evening": [0, 0.3]},
    "carers": {"wait": -0.3, "clinician": [0, 0.5], "travel": [0, -0.5, -1.0],
               "evening": [0, 0.7]},
}


def example_choices(seed: int = 2024, per_group: int = 30, tasks: int = 8) -> str:
    """The example answers of ``dce init``: simulated choices between two GP clinics.

    Parameters
    ----------
    seed : int, default 2024
        Seed of the design and of the simulated choices; the same seed gives the same text.
    per_group : int, default 30
        Respondents in each of the two groups (patients, carers).
    tasks : int, default 8
        Tasks per respondent; the design has two blocks of ``tasks`` pairs of clinics.

    Returns
    -------
    str
        Long-format CSV text (one row per respondent x task x alternative, with a header):
        columns respondent, group, task, alternative, chosen and the attributes.
    """
    rng = np.random.default_rng(seed)
    names = list(ATTRIBUTES)
    design = []  # blocks x tasks x 2 profiles (level indices)
    for _block in range(2):
        sets = []
        while len(sets) < tasks:
            a, b = (tuple(int(rng.integers(len(ATTRIBUTES[n]))) for n in names)
                    for _ in range(2))
            if a != b and (a, b) not in sets and (b, a) not in sets:
                sets.append((a, b))
        design.append(sets)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["respondent", "group", "task", "alternative", "chosen", *names])
    rid = 0
    for group, util in UTILITIES.items():
        for i in range(per_group):
            rid += 1
            block = design[i % 2]
            for t, pair in enumerate(block, start=1):
                v = [_utility(p, util) for p in pair]
                gumbel = rng.gumbel(size=2)
                pick = int(np.argmax(np.array(v) + gumbel))
                for alt, prof in enumerate(pair, start=1):
                    w.writerow([rid, group, t, alt, int(alt - 1 == pick),
                                *(ATTRIBUTES[n][k] for n, k in zip(names, prof, strict=True))])
    return out.getvalue()


def _utility(profile, util) -> float:
    total = 0.0
    for n, k in zip(ATTRIBUTES, profile, strict=True):
        u = util[n]
        total += u * ATTRIBUTES[n][k] if isinstance(u, float) else u[k]
    return total


def create(name: str, where: Path | None = None) -> Path:
    """Write a starter study folder: config, example data and the config's JSON Schema.

    Parameters
    ----------
    name : str
        The study name: letters, digits, ``_`` and ``-``.
    where : pathlib.Path or None, default None
        The folder to create the study folder in; ``None`` for the working folder.

    Returns
    -------
    pathlib.Path
        The config written, ``<where>/<name>/<name>.yaml``; ``data/choices.csv`` and
        ``dce-config.schema.json`` are written next to it.

    Raises
    ------
    dce.errors.ConfigError
        If the name is not valid, or the folder exists and is not empty.
    """
    from dce.config.schema import config_schema
    from dce.errors import ConfigError

    if not re.match(NAME_PATTERN, name):
        raise ConfigError(f"{name!r} is not a valid study name; use letters, digits, '_' and "
                          "'-' only (no spaces)", key="NAME")
    folder = (where or Path.cwd()) / name
    if folder.exists() and any(folder.iterdir()):
        raise ConfigError("the folder exists and is not empty; choose another name or move "
                          "it away", file=str(folder))
    (folder / "data").mkdir(parents=True, exist_ok=True)
    config = folder / f"{name}.yaml"
    config.write_text(CONFIG.format(name=name), encoding="utf-8")
    (folder / "data" / "choices.csv").write_text(example_choices(), encoding="utf-8")
    (folder / "dce-config.schema.json").write_text(
        json.dumps(config_schema(), indent=2) + "\n", encoding="utf-8")
    return config
