"""A direction of separation said in the user's words, and only what the data show.

A direction ``d`` along which the logit log-likelihood keeps rising (found by
:func:`dce.models.separation.direction`) gives every row the score ``u = X d``, and in
every choice set the chosen row scores highest. That alone is literally true of the data;
a phrase about one attribute ("quality = none never chosen", "the opt-out always chosen",
"higher waiting always chosen") is true only when that attribute's own part of the score
decides the choices the same way. A sparsest direction often combines several terms (an
effects-coded level never chosen pulls the opt-out constant along), so each phrase is
checked on the data with vectorised counts over the choice sets before it is said; a
component without a pattern of its own is said to take part in the divergence, with the
count that shows why (e.g. how often the opt-out was chosen).

For item models (best-worst, maxdiff, rank-ordered) the direction's components are the
items' utilities (the reference item at 0), and every row of the expanded sets scores its
item's value (negated in a worst set). Tiers of equal value then order the items, and the
chosen row scoring highest in every set is exactly the statement that an item of a higher
tier is always preferred to one of a lower tier where both are shown: the phrases of
:func:`describe_items` follow from it, and are checked on the data all the same.
"""

from __future__ import annotations

import numpy as np

ZERO = 1e-7  # a direction component or a level value below this (relative) counts as 0
OPT_OUT = "asc[opt_out]"


# ----- set arithmetic -----------------------------------------------------------------------
def set_of_rows(data) -> np.ndarray:
    """The choice set of each row, ndarray (rows,) of int."""
    sizes = np.diff(data.set_start)
    return np.repeat(np.arange(len(sizes)), sizes)


def per_set_any(flag, data) -> np.ndarray:
    """Whether any row of each set has ``flag``, ndarray (sets,) of bool."""
    out = np.zeros(len(data.set_start) - 1, bool)
    np.logical_or.at(out, set_of_rows(data), np.asarray(flag, bool))
    return out


def chosen_rows(data) -> np.ndarray:
    """Whether each row is chosen, ndarray (rows,) of bool."""
    return np.asarray(data.chosen) > 0


def order_holds(data, w, present, tol) -> bool:
    """In every set where a row with the attribute (``present``) is chosen, no other
    present row scores more on ``w`` (an order of levels or of a numeric attribute)."""
    masked = np.where(present, w, -np.inf)
    starts = data.set_start[:-1]
    if len(masked) == 0:
        return True
    top = np.maximum.reduceat(masked, starts)[set_of_rows(data)]
    bad = chosen_rows(data) & present & (w < top - tol)
    return not bad.any()


# ----- attributes ------------------------------------------------------------------------
def _tiers(values, tol) -> list[list[int]]:
    """Indices grouped by equal value (within ``tol``), highest value first."""
    order = np.argsort(-values, kind="stable")
    tiers, last = [], None
    for i in order:
        if last is None or last - values[i] > tol:
            tiers.append([])
        tiers[-1].append(int(i))
        last = values[i]
    return tiers


def _level_values(attr, d: dict) -> tuple[list[str], np.ndarray]:
    """(level labels, the direction's utility of each level) of a categorical view."""
    labels = list(attr.level_labels)
    ref = attr.reference_index
    terms = iter(attr.terms)
    v = np.zeros(len(labels))
    for i in range(len(labels)):
        if i != ref:
            v[i] = d.get(next(terms), 0.0)
    if attr.coding == "effects":
        v[ref] = -v[[i for i in range(len(labels)) if i != ref]].sum()
    return labels, v


def _rows_of(view, d: dict, data, opt_out):
    """(score of each row on the view's own terms, rows that show the attribute)."""
    cols = [data.terms.index(t) for t in view.terms]
    X = np.asarray(data.X)[:, cols]
    w = X @ np.array([d.get(t, 0.0) for t in view.terms])
    present = ~opt_out
    if not view.is_linear and view.coding == "effects":
        present &= np.abs(X).sum(axis=1) > 0  # all-zero: no level (another alternative)
    return w, present


def _category_phrase(name, labels, v, w, present, data) -> str | None:
    """The tier phrase of a categorical view when the data bear it out, else None."""
    tol = ZERO * max(1.0, float(np.abs(v).max()))
    tiers = _tiers(v, tol)
    if len(tiers) < 2:
        return None
    chosen = chosen_rows(data)
    if len(tiers) > 2:
        order = " > ".join(", ".join(labels[i] for i in t) for t in tiers)
        return (f"{name}: choices always follow the order {order}"
                if order_holds(data, w, present, tol) else None)
    top, bottom = tiers
    high = present & (w > v[bottom[0]] + tol)
    low = present & ~high
    if len(top) <= len(bottom):  # few levels above: "always chosen"
        offered = per_set_any(high, data) & per_set_any(~high, data)
        won = per_set_any(chosen & high, data)
        if (offered & ~won).any():
            return None
        return f"{name} = {' or '.join(labels[i] for i in top)} always chosen"
    picked = chosen & low
    what = f"{name} = {' or '.join(labels[i] for i in bottom)}"
    if not picked.any():
        return f"{what} never chosen"
    against = per_set_any(high, data)[set_of_rows(data)]
    if (picked & against).any():
        return None
    return f"{what} never chosen when offered against another level"


def _constant_phrase(term, x, data) -> tuple[str | None, str]:
    """(phrase when the data bear it out, else None; words for 'takes part') of an
    alternative-specific constant."""
    col = np.asarray(data.X)[:, data.terms.index(term)] != 0
    chosen = chosen_rows(data)
    shown = per_set_any(col, data)
    won = per_set_any(col & chosen, data)
    who = "the opt-out" if term == OPT_OUT else f"alternative {term[4:-1]}"
    if x > 0 and not (shown & ~won).any():
        return f"{who} always chosen", ""
    if x < 0 and not won.any():
        return f"{who} never chosen", ""
    return None, (f"{who} constant ({who} chosen in {int(won.sum())} of {int(shown.sum())} "
                  "tasks where offered)")


def describe_attributes(d: dict, attributes, data=None) -> tuple[list[str], list[str]]:
    """A direction over coded terms in the user's words: levels, slopes and constants.

    Each phrase is said only when the data bear it out (module docstring); the other
    components are named as taking part in the divergence.

    Parameters
    ----------
    d : dict of str to float
        Term -> direction component (nonzero terms only matter).
    attributes : sequence of dce.core.attributes.Attribute
        The attributes of the terms (their levels, coding and reference).
    data : dce.core.coding.ChoiceData, optional
        The choice sets the direction was found in (``X`` (rows, K), ``chosen``,
        ``set_start``, ``terms``). Without it no phrase can be checked, and every
        component is said to take part.

    Returns
    -------
    phrases : list of str
        ``"quality = High always chosen"`` (a level tier above the others, as few levels as
        possible named), ``"... never chosen"`` (``"... never chosen when offered against
        another level"`` when it was chosen against itself), ``"<attribute>: choices
        always follow the order A > B > C"``, ``"higher waiting always chosen"``, ``"the
        opt-out always chosen"``; then one phrase naming the components without a
        pattern of their own: ``"the opt-out constant (the opt-out chosen in 41 of 91
        tasks where offered) takes part without a choice pattern of its own"`` (with no
        phrase borne out, one saying that the chosen alternative always scores highest
        on a combination of them).
    names : list of str
        The attributes (``opt_out`` for the opt-out constant) the phrases name.
    """
    phrases, names, covered, part = [], [], set(), []
    terms = tuple(data.terms) if data is not None else ()
    opt_out = (np.asarray(data.X)[:, terms.index(OPT_OUT)] != 0 if OPT_OUT in terms
               else np.zeros(len(data.X), bool)) if data is not None else None
    for a in attributes:
        for view in a.views():
            covered.update(view.terms)
            if not any(d.get(t, 0.0) for t in view.terms):
                continue
            names.append(a.name)
            label = f"{view.name}{view.suffix}"
            text = None
            if data is not None and all(t in terms for t in view.terms):
                w, present = _rows_of(view, d, data, opt_out)
                if view.is_linear:
                    x = d.get(view.terms[0], 0.0)
                    if order_holds(data, w, present, ZERO * abs(x)):
                        text = f"{'higher' if x > 0 else 'lower'} {label} always chosen"
                else:
                    levels, v = _level_values(view, d)
                    text = _category_phrase(label, levels, v, w, present, data)
            (phrases.append(text) if text else part.append(label))
    for term, x in d.items():
        if term in covered or not x:
            continue
        if term.startswith("asc["):
            names.append("opt_out" if term == OPT_OUT else term)
            text, words = (_constant_phrase(term, x, data) if data is not None and term in terms
                           else (None, f"the constant {term}"))
            (phrases.append(text) if text else part.append(words))
        else:
            names.append(term)
            part.append(f"the term {term}")
    if part:
        many = len(part) > 1
        joined = ", ".join(part[:-1]) + " and " + part[-1] if many else part[0]
        phrases.append(
            f"{joined} {'take' if many else 'takes'} part without a choice pattern of "
            f"{'their' if many else 'its'} own" if phrases else
            f"no level or constant alone decides the choices, but the chosen alternative "
            f"always scores highest on a combination of {joined}")
    return phrases, names


# ----- items ----------------------------------------------------------------------------
def _bulk(tiers, values) -> int:
    """The tier of most members (ties: the one holding the median value)."""
    most = max(len(t) for t in tiers)
    big = [k for k, t in enumerate(tiers) if len(t) == most]
    if len(big) == 1:
        return big[0]
    med = float(np.median(values))
    return min(big, key=lambda k: abs(values[tiers[k][0]] - med))


ITEM_WORDS = {  # kind -> (top single, top several, bottom single, bottom several)
    "ranking": ("always ranked first", "always ranked above the other items",
                "always ranked last", "always ranked below the other items"),
    "best-worst": ("always chosen as best",
                   "never chosen as worst, and one of them always chosen as best when shown",
                   "always chosen as worst (never as best)",
                   "never chosen as best, and one of them always chosen as worst when shown"),
}


def describe_items(d: dict, names, *, kind: str = "best-worst", top_k=None, data=None
                   ) -> tuple[list[str], list[str]]:
    """A direction over item terms in the user's words (the reference item at 0).

    The items fall into tiers by their direction value; the largest tier is the bulk,
    every other tier is named: above the bulk ``"a always ranked first"`` / ``"always
    chosen as best"``, below it ``"e always ranked last"`` / ``"always chosen as worst"``,
    a tier between others as ranked above (below) every item except the ones above
    (below) it. These follow from the chosen row scoring highest in every expanded set
    (module docstring); with ``data`` that is checked, and when it fails (or the
    direction has terms that are not items) the items are only said to diverge.

    Parameters
    ----------
    d : dict of str to float
        Item term -> direction component.
    names : sequence of str
        Every item, in order (the reference has no term and value 0).
    kind : {"ranking", "best-worst"}
    top_k : int or None
        Rankings fitted on their first ``top_k`` ranks only.
    data : dce.core.coding.ChoiceData, optional
        The expanded choice sets the direction was found in.

    Returns
    -------
    phrases, named : list of str
        The phrases and the items they name.
    """
    v = np.array([d.get(n, 0.0) for n in names], dtype=float)
    tol = ZERO * max(1.0, float(np.abs(v).max()))
    tiers = _tiers(v, tol)
    others = [t for t, x in d.items() if x and t not in names]
    ordered = not others and len(tiers) > 1
    if ordered and data is not None:
        u = np.asarray(data.X) @ np.array([d.get(t, 0.0) for t in data.terms])
        ordered = order_holds(data, u, np.ones(len(u), bool), tol)
    if not ordered:
        moving = [n for n, x in zip(names, v, strict=True) if abs(x) > tol] + others
        return ([f"the utilities of {', '.join(moving)} diverge together"] if moving else [],
                moving)
    bulk = _bulk(tiers, v)
    words = ITEM_WORDS["ranking" if kind == "ranking" else "best-worst"]
    if kind == "ranking" and top_k == 1:
        words = words[:2] + ("never ranked first", "never ranked first")
    elif kind == "ranking" and top_k is not None:
        words = words[:2] + (f"ranked below every other item in the first {top_k} places",
                             f"ranked below the other items in the first {top_k} places")
    phrases, named = [], []
    for k, tier in enumerate(tiers):
        if k == bulk:
            continue
        items = ", ".join(names[i] for i in tier)
        if k == 0:
            how = words[0] if len(tier) == 1 else words[1]
        elif k == len(tiers) - 1:
            how = words[2] if len(tier) == 1 else words[3]
        else:
            side = tiers[:k] if k < bulk else tiers[k + 1:]
            rest = ", ".join(names[i] for t in side for i in t)
            how = (f"always preferred to every item except {rest}" if k < bulk else
                   f"always less preferred than every item except {rest}")
        phrases.append(f"{items} {how}")
        named.extend(names[i] for i in tier)
    return phrases, named
