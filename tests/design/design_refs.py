"""Helpers for the design tests: studies from a few arguments, and plain-numpy references.

The references here do not use dce's coding or information code: effects and dummy codes
are written out by hand and the MNL information is a loop over choice sets.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import yaml

from dce.config.study import parse_config


def make_study(levels=None, alternatives=2, tasks=None, method="d-efficient", blocks=1,
               attributes=None, seed=7, **design):
    """A Study with attributes a0, a1, ... of ``levels`` levels (labels 1..l)."""
    if attributes is None:
        attributes = {f"a{i}": {"levels": [f"L{v}" for v in range(1, nl + 1)]}
                      for i, nl in enumerate(levels)}
    spec = {"method": method, "alternatives": alternatives, "blocks": blocks, **design}
    if tasks is not None:
        spec["tasks"] = tasks
    doc = {"schema_version": 1, "name": "t", "seed": seed, "attributes": attributes,
           "design": spec, "simulate": {"groups": {"g": {"respondents": 10}}}}
    text = yaml.safe_dump(doc, sort_keys=False)
    return parse_config(text, "test.yaml", Path("/tmp/test.yaml"))


# ----- independent references --------------------------------------------------------------
def code_level(labels, coding, value, reference=0):
    """Code one level by hand (effects: reference row all -1; dummy: reference row 0;
    linear: the number)."""
    if coding == "linear":
        return [float(value)]
    i = labels.index(value)
    others = [k for k in range(len(labels)) if k != reference]
    if i == reference:
        return [-1.0 if coding == "effects" else 0.0] * len(others)
    return [1.0 if k == i else 0.0 for k in others]


def coded_sets(table, spec):
    """List of (J x K) arrays, one per choice set; ``spec`` = [(name, labels, coding)].

    An opt-out row (is_opt_out = 1) has zeros and a final constant column of 1.
    """
    opt = bool(table["is_opt_out"].astype(int).any())
    sets = []
    for _, g in table.groupby(["block", "task"], sort=True):
        rows = []
        for _, r in g.sort_values("alternative").iterrows():
            if int(r["is_opt_out"]):
                k = sum(1 if c == "linear" else len(lab) - 1 for _, lab, c in spec)
                rows.append([0.0] * k + [1.0])
                continue
            row = []
            for name, labels, coding in spec:
                row += code_level(labels, coding, r[name])
            rows.append(row + ([0.0] if opt else []))
        sets.append(np.array(rows))
    return sets


def mnl_information(sets, beta):
    info = np.zeros((len(beta), len(beta)))
    for X in sets:
        v = X @ beta
        p = np.exp(v - v.max())
        p /= p.sum()
        info += X.T @ (np.diag(p) - np.outer(p, p)) @ X
    return info


def d_error(sets, beta):
    info = mnl_information(sets, np.asarray(beta, float))
    return np.linalg.det(info) ** (-1.0 / len(beta))


def max_pairs_brute(nl, m):
    """Most pairs of m alternatives that differ on an l-level attribute, by enumeration."""
    best = 0
    for combo in itertools.product(range(nl), repeat=m):
        best = max(best, sum(a != b for a, b in itertools.combinations(combo, 2)))
    return best


def street_burgess_optimal_d_error(levels, m, n_sets):
    """Optimal D-error (effects coding, b = 0, information summed over n_sets sets).

    At the optimum each set has S_q differing pairs on attribute q, every pair of levels is
    compared equally often and attributes are uncorrelated, so the level-space information
    of attribute q is (2 N S_q / (m^2 l (l-1))) (l I - J) and the coded one T'(...)T.
    """
    logdet, K = 0.0, 0
    for nl in levels:
        S = max_pairs_brute(nl, m)
        T = np.array([code_level(list(range(nl)), "effects", v) for v in range(nl)])
        M = 2 * n_sets * S / (m * m * nl * (nl - 1)) * (nl * np.eye(nl) - np.ones((nl, nl)))
        logdet += math.log(np.linalg.det(T.T @ M @ T))
        K += nl - 1
    return math.exp(-logdet / K)


def strength2(array, levels):
    """Independent check: every level pair of every column pair equally often."""
    array = np.asarray(array)
    n = len(array)
    for c, nl in enumerate(levels):
        counts = [int((array[:, c] == v).sum()) for v in range(nl)]
        if len(set(counts)) != 1 or sum(counts) != n:
            return False
    for a, b in itertools.combinations(range(len(levels)), 2):
        counts = {}
        for x, y in zip(array[:, a], array[:, b], strict=True):
            counts[(int(x), int(y))] = counts.get((int(x), int(y)), 0) + 1
        if len(counts) != levels[a] * levels[b] or len(set(counts.values())) != 1:
            return False
    return True


def effects_spec(study):
    return [(a.name, list(a.level_labels), a.coding) for a in study.attributes]
