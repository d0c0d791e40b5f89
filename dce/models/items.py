"""Item models as conditional logits on expanded choice sets.

Every observed best-worst set or ranking becomes one or more choice sets of a
:class:`dce.core.coding.ChoiceData` whose columns are item indicators (the reference item has
none, so its utility is fixed at 0); the native conditional logit (or the pylogit
engine) then estimates the item utilities with its cluster-robust errors.

- ``sequential`` best-worst: the best item is chosen from the whole set (utilities
  ``v``), then the worst from the remaining items with negated utilities ``-v``;
- ``maxdiff``: the (best, worst) pair is chosen from the k(k-1) ordered pairs, with
  utility ``v_best - v_worst``;
- rank-ordered (exploded) logit: the first-ranked item is chosen from the set, the second
  from the rest, and so on; a set of k fully ranked items gives k - 1 choices, a partial
  ranking of m < k items gives m choices (the ranked items beat every unranked one);
  ``top_k`` keeps only the first k stages.

With ``worst_scale: estimate`` the worst utilities are ``-lambda v`` (maxdiff:
``v_best - lambda v_worst``); lambda is estimated jointly with the utilities by Newton's
method on the exact Hessian (Fisher part of a logit with derivative columns
``(A + lambda B, B b)`` plus the cross term ``B'(y - p)``), where ``X(lambda) = A +
lambda B`` splits the expanded columns into the best and worst parts.

The best-worst models are those of Marley and Louviere (2005) (see also Louviere, Flynn
and Marley 2015); the rank-ordered logit is that of Beggs, Cardell and Hausman (1981).

References
----------
Beggs, S., Cardell, S. and Hausman, J. (1981). Assessing the potential demand for electric
cars. Journal of Econometrics 17(1), 1-19.
Louviere, J. J., Flynn, T. N. and Marley, A. A. J. (2015). Best-Worst Scaling: Theory,
Methods and Applications. Cambridge University Press.
Marley, A. A. J. and Louviere, J. J. (2005). Some probabilistic models of best, worst, and
best-worst choices. Journal of Mathematical Psychology 49(6), 464-480.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg

from dce.core.coding import ChoiceData
from dce.errors import EstimationError
from dce.models.clogit import null_loglik
from dce.models.covariance import bread_of, check_vcov, covariances
from dce.models.results import FitResult

SCALE_TERM = "worst_scale"
MODEL_NAMES = {"sequential": "sequential_best_worst", "maxdiff": "maxdiff",
               "ranking": "rank_ordered_logit"}


@dataclass(frozen=True)
class ItemFit(FitResult):
    """A fit of item utilities: ``terms`` lists every item (the reference with estimate 0
    and no variance, listed in ``fixed``) and ``worst_scale`` when it was estimated.
    ``n_sets`` counts the observed sets (or rankings), not the expanded choice sets.

    Attributes
    ----------
    fixed : tuple of str
        Terms held at 0 (the reference item); they have zero rows and columns in ``vcov``.
    """

    fixed: tuple = ()

    @property
    def n_params(self) -> int:
        """Number of estimated parameters (the ``fixed`` reference not counted)."""
        return len(self.params) - len(self.fixed)

    @property
    def free(self) -> np.ndarray:
        """Positions of the estimated parameters in ``terms``, ndarray of int (F,)."""
        return np.array([i for i, t in enumerate(self.terms) if t not in self.fixed], int)

    def item_draws(self, free_draws: np.ndarray, n_items: int) -> np.ndarray:
        """Item utilities (draws x items, reference 0) from draws of the free parameters.

        Parameters
        ----------
        free_draws : ndarray (R, F)
            Draws of the parameters at :attr:`free`, e.g. Krinsky-Robb or bootstrap.
        n_items : int
            Number of items (the first ``n_items`` terms; ``worst_scale`` is dropped).

        Returns
        -------
        ndarray (R, n_items)
        """
        full = np.zeros((len(free_draws), len(self.terms)))
        full[:, self.free] = free_draws
        return full[:, :n_items]


@dataclass(frozen=True)
class Expanded:
    """Expanded choice sets; ``task`` numbers the observed set (or ranking) each expanded
    set came from; ``A`` and ``B`` split X = A + B into the best and worst parts
    (best-worst models only).

    Attributes
    ----------
    data : ChoiceData
        Expanded choice sets, ``X`` (rows, items - 1) item indicators.
    task : ndarray of int (sets,)
        Observed set (or ranking) of each expanded set, numbered 0.. in sorted order.
    A, B : ndarray (rows, items - 1) or None
        The best and worst parts of ``X`` (``B`` holds the negated worst indicators).
    """

    data: ChoiceData
    task: np.ndarray
    A: np.ndarray | None = None
    B: np.ndarray | None = None

    @property
    def n_tasks(self) -> int:
        """Number of observed sets (or rankings) behind the expanded sets."""
        return int(np.unique(self.task).size)

    def for_group(self, group) -> Expanded:
        """The expanded sets of one respondent group (task numbers kept).

        Parameters
        ----------
        group : str
            A value of ``data.group``.

        Returns
        -------
        Expanded
        """
        keep = self.data.group == group
        rows = np.repeat(keep, self.data.set_sizes)
        return Expanded(self.data.select_sets(keep), self.task[keep],
                        None if self.A is None else self.A[rows],
                        None if self.B is None else self.B[rows])


def dummies(names, reference) -> tuple[np.ndarray, list[str]]:
    """Item indicator matrix (items x terms) without the reference column.

    Parameters
    ----------
    names : sequence of str (I,)
        Item names.
    reference : str
        The item whose utility is fixed at 0 (no column).

    Returns
    -------
    indicators : ndarray (I, I - 1)
        Identity rows; the reference's row is zero.
    terms : list of str (I - 1,)
        The other items, in order.
    """
    keep = [i for i, n in enumerate(names) if n != reference]
    return np.eye(len(names))[:, keep], [names[i] for i in keep]


def _prepare(responses: pd.DataFrame, names):
    df = responses.sort_values(["respondent", "block", "task", "alternative"], kind="stable")
    df = df.reset_index(drop=True)
    keys = pd.MultiIndex.from_frame(df[["respondent", "block", "task"]])
    new = np.r_[True, ~(keys[1:] == keys[:-1])] if len(df) else np.zeros(0, bool)
    task = np.cumsum(new) - 1
    item = df["item"].map({n: i for i, n in enumerate(names)}).to_numpy().astype(np.int64)
    return df, task, item


def _assemble(df, task, rows, stage, chosen, X, A=None, B=None) -> Expanded:
    """Order expanded rows by (task, stage, row) and build the ChoiceData."""
    order = np.lexsort((rows, stage, task[rows]))
    rows, stage, chosen, X = rows[order], stage[order], chosen[order], X[order]
    t = task[rows]
    new = np.r_[True, (t[1:] != t[:-1]) | (stage[1:] != stage[:-1])]
    starts = np.flatnonzero(new)
    set_start = np.r_[starts, len(rows)].astype(np.int64)
    first = rows[starts]
    codes, ids = pd.factorize(df["respondent"].to_numpy()[first], sort=False)
    data = ChoiceData(
        X=np.ascontiguousarray(X, dtype=np.float64), chosen=chosen.astype(np.float64),
        set_start=set_start, respondent=codes.astype(np.int64), respondent_ids=np.asarray(ids),
        group=df["group"].astype(str).to_numpy()[first].astype(object),
        alternative=df["alternative"].to_numpy().astype(np.int64)[rows], terms=())
    return Expanded(data, t[starts], None if A is None else A[order],
                    None if B is None else B[order])


def _with_terms(exp: Expanded, terms) -> Expanded:
    d = exp.data
    data = ChoiceData(d.X, d.chosen, d.set_start, d.respondent, d.respondent_ids, d.group,
                      d.alternative, tuple(terms))
    return Expanded(data, exp.task, exp.A, exp.B)


def expand_best_worst(responses, names, reference, model="sequential") -> Expanded:
    """Best-worst responses -> expanded choice sets (see the module docstring).

    Marley and Louviere (2005): ``sequential`` gives each observed set a best choice among
    all items and a worst choice among the rest (utilities negated); ``maxdiff`` one choice
    among the ordered (best, worst) pairs.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per item shown: ``respondent``, ``block``, ``task``, ``alternative``,
        ``item``, ``best`` and ``worst`` (0/1), ``group``.
    names : sequence of str (I,)
        Items; every ``item`` value must be one of them.
    reference : str
        Item with utility 0.
    model : str
        ``"sequential"``; any other value gives the maxdiff expansion.

    Returns
    -------
    Expanded
        With the best and worst parts ``A`` and ``B``; terms are the non-reference items.
    """
    df, task, item = _prepare(responses, names)
    D, terms = dummies(names, reference)
    best = df["best"].to_numpy().astype(bool)
    worst = df["worst"].to_numpy().astype(bool)
    if model == "sequential":
        n = len(df)
        rows = np.r_[np.arange(n), np.flatnonzero(~best)]
        stage = np.r_[np.zeros(n, np.int64), np.ones(int((~best).sum()), np.int64)]
        chosen = np.where(stage == 0, best[rows], worst[rows])
        Xi = D[item[rows]]
        A = np.where(stage[:, None] == 0, Xi, 0.0)
        B = np.where(stage[:, None] == 1, -Xi, 0.0)
        return _with_terms(_assemble(df, task, rows, stage, chosen, A + B, A, B), terms)
    # maxdiff: every ordered pair (i, j), i != j, of each set
    size = np.bincount(task)
    start = np.r_[0, np.cumsum(size)[:-1]]
    rows_a, rows_b = [], []
    for J in np.unique(size):
        sets = np.flatnonzero(size == J)
        a, b = np.array([(x, y) for x in range(J) for y in range(J) if x != y]).T
        rows_a.append((start[sets][:, None] + a[None, :]).ravel())
        rows_b.append((start[sets][:, None] + b[None, :]).ravel())
    ra, rb = np.concatenate(rows_a), np.concatenate(rows_b)
    A, B = D[item[ra]], -D[item[rb]]
    chosen = best[ra] & worst[rb]
    exp = _assemble(df, task, ra, np.zeros(len(ra), np.int64), chosen, A + B, A, B)
    # the alternative of a pair is its number within the set
    exp.data.alternative[:] = np.arange(len(ra)) - np.repeat(
        exp.data.set_start[:-1], exp.data.set_sizes) + 1
    return _with_terms(exp, terms)


def expand_ranking(responses, names, reference, top_k=None) -> Expanded:
    """Rankings -> exploded choice sets: stage s chooses the item ranked s among the items
    not ranked before it (unranked items stay in every stage).

    The rank-ordered (exploded) logit of Beggs, Cardell and Hausman (1981): a full ranking
    of k items gives k - 1 stages, a partial ranking of m < k items m stages.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per item shown: ``respondent``, ``block``, ``task``, ``alternative``,
        ``item``, ``rank`` (1, 2, ...; NaN when unranked), ``group``.
    names : sequence of str (I,)
        Items.
    reference : str
        Item with utility 0.
    top_k : int, optional
        Keep only the first ``top_k`` stages of each ranking.

    Returns
    -------
    Expanded
        Without ``A`` and ``B``.
    """
    df, task, item = _prepare(responses, names)
    D, terms = dummies(names, reference)
    rank = df["rank"].to_numpy(dtype=float)
    ranked = ~np.isnan(rank)
    size = np.bincount(task)
    m = np.bincount(task, weights=ranked.astype(float)).astype(np.int64)
    stages_of_task = np.where(m >= size, size - 1, m)
    if top_k is not None:
        stages_of_task = np.minimum(stages_of_task, top_k)
    rows, stage = [], []
    r_all = np.arange(len(df))
    for s in range(1, int(stages_of_task.max(initial=0)) + 1):
        live = (stages_of_task[task] >= s) & (~ranked | (rank >= s))
        rows.append(r_all[live])
        stage.append(np.full(int(live.sum()), s, np.int64))
    rows = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    stage = np.concatenate(stage) if stage else np.zeros(0, np.int64)
    chosen = rank[rows] == stage
    return _with_terms(_assemble(df, task, rows, stage, chosen, D[item[rows]]), terms)


def expand(responses, names, reference, kind, model_spec) -> Expanded:
    """Expanded choice sets of an item study: :func:`expand_ranking` or
    :func:`expand_best_worst`.

    Parameters
    ----------
    responses : pandas.DataFrame
        The item responses (columns as in those functions).
    names, reference : sequence of str, str
        Items and the reference item.
    kind : str
        ``"ranking"``; anything else is treated as best-worst.
    model_spec
        The model options: ``top_k`` (rankings) or ``bw_model`` (best-worst).

    Returns
    -------
    Expanded
    """
    if kind == "ranking":
        return expand_ranking(responses, names, reference, model_spec.top_k)
    return expand_best_worst(responses, names, reference, model_spec.bw_model)


# ----- fitting ------------------------------------------------------------------------------
def fit(exp: Expanded, names, reference, *, kind="best-worst", bw_model="sequential",
        worst_scale="fixed", engine="native", se="cluster", group="all") -> ItemFit:
    """Fit item utilities on expanded data; the reference item is reported at 0.

    A conditional logit on the expanded sets (:func:`dce.models.fit`), or, for best-worst
    data with ``worst_scale="estimate"``, the native Newton fit of the utilities and the
    worst scale ``lambda`` (module docstring; ``engine`` is then not used).

    Parameters
    ----------
    exp : Expanded
        From :func:`expand`.
    names, reference : sequence of str (I,), str
        Items and the reference item.
    kind : str
        ``"ranking"`` or ``"best-worst"``.
    bw_model : {"sequential", "maxdiff"}
        Best-worst model (names the result's ``model``).
    worst_scale : {"fixed", "estimate"}
        Estimate ``lambda`` (best-worst only) or fix it at 1.
    engine, se, group : str
        As in :func:`dce.models.fit`.

    Returns
    -------
    ItemFit
        ``params`` (I,) or (I + 1,) with ``worst_scale`` last, ``vcov`` to match.

    Raises
    ------
    dce.errors.EstimationError
        An item that never appears in the responses, or terms the data cannot identify.
    ValueError
        An unknown ``se`` or ``bw_model``, or an unknown ``engine`` (:func:`dce.models.fit`).
    """
    data = exp.data
    check_vcov(se)
    if kind != "ranking" and bw_model not in ("sequential", "maxdiff"):
        raise ValueError(f"bw_model must be 'sequential' or 'maxdiff', got {bw_model!r}")
    _check_items_seen(data, group)
    model = MODEL_NAMES["ranking" if kind == "ranking" else bw_model]
    if kind != "ranking" and worst_scale == "estimate":
        return _fit_scaled(exp, names, reference, se=se, group=group, model=model)
    from dce.models import fit as fit_model

    res = fit_model(data, engine=engine, se=se, group=group)
    return embed(res, names, reference, model, exp.n_tasks)


def _check_items_seen(data, group) -> None:
    seen = np.abs(data.X).sum(axis=0) > 0
    missing = [t for t, s in zip(data.terms, seen, strict=True) if not s]
    if missing:
        raise EstimationError(f"group {group}: items {', '.join(missing)} never appear in "
                              "the responses, so their utilities cannot be estimated",
                              key="items")


def embed(res: FitResult, names, reference, model, n_tasks, scale=False) -> ItemFit:
    """Insert the reference item (estimate 0, no variance) into a fit of the others.

    Parameters
    ----------
    res : dce.models.results.FitResult
        A fit on expanded item data: its ``terms`` are items other than ``reference``
        (and ``worst_scale`` with ``scale``), e.g. a conditional logit or one class of a
        latent class model (:meth:`~dce.models.latent_class.LatentClassResult.class_fit`).
    names : sequence of str (I,)
        Every item, in the order of the result's terms.
    reference : str
        The item at 0.
    model : str
        The result's ``model`` name.
    n_tasks : int
        Observed sets (or rankings) behind the expanded sets (``n_sets``).
    scale : bool
        Whether ``worst_scale`` follows the items.

    Returns
    -------
    ItemFit
        ``params`` (I,) (or (I + 1,)), ``vcov`` and ``vcovs`` with zero rows and columns
        for the reference.
    """
    terms = list(names) + ([SCALE_TERM] if scale else [])
    index = [terms.index(t) for t in res.terms]
    K = len(terms)

    def grow(V):
        out = np.zeros((K, K))
        out[np.ix_(index, index)] = V
        return out

    params = np.zeros(K)
    params[index] = res.params
    return ItemFit(
        terms=tuple(terms), params=params, vcov=grow(res.vcov), se_type=res.se_type,
        loglik=res.loglik, null_loglik=res.null_loglik, n_obs=res.n_obs, n_sets=n_tasks,
        n_respondents=res.n_respondents, converged=res.converged, iterations=res.iterations,
        engine=res.engine, model=model, group=res.group,
        vcovs={k: grow(V) for k, V in res.vcovs.items()}, gradient_norm=res.gradient_norm,
        warnings=res.warnings, fixed=(reference,))


class _Scaled:
    """Log-likelihood, gradient and exact Hessian of u = A b + lambda B b."""

    def __init__(self, exp: Expanded):
        d = exp.data
        self.A, self.B, self.y = exp.A, exp.B, d.chosen
        self.starts = d.set_start[:-1]
        self.rows_set = d.set_index
        self.respondent = d.respondent

    def parts(self, theta):
        beta, lam = theta[:-1], theta[-1]
        bb = self.B @ beta
        u = self.A @ beta + lam * bb
        us = u - np.maximum.reduceat(u, self.starts)[self.rows_set]
        e = np.exp(us)
        den = np.add.reduceat(e, self.starts)
        p = e / den[self.rows_set]
        w = np.add.reduceat(self.y, self.starts)[self.rows_set]
        ll = float(self.y @ us - np.add.reduceat(self.y, self.starts) @ np.log(den))
        r = self.y - w * p
        Z = np.column_stack([self.A + lam * self.B, bb])
        return ll, p * w, r, Z

    def evaluate(self, theta):
        ll, pw, r, Z = self.parts(theta)
        grad = Z.T @ r
        zbar = np.add.reduceat(Z * pw[:, None], self.starts, axis=0)
        w = np.add.reduceat(pw, self.starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            H = (zbar / np.where(w > 0, w, 1)[:, None]).T @ zbar - (Z * pw[:, None]).T @ Z
        cross = self.B.T @ r
        H[:-1, -1] += cross
        H[-1, :-1] += cross
        return ll, grad, H

    def scores(self, theta):
        _, _, r, Z = self.parts(theta)
        return np.add.reduceat(Z * r[:, None], self.starts, axis=0)


def _ascent(neg_h, g):
    tau, scale = 0.0, max(np.abs(np.diag(neg_h)).max(), 1e-12)
    for _ in range(60):
        try:
            c = np.linalg.cholesky(neg_h + tau * np.eye(len(g)))
            return linalg.cho_solve((c, True), g)
        except np.linalg.LinAlgError:
            tau = max(2 * tau, 1e-8 * scale)
    return g / scale


def _fit_scaled(exp: Expanded, names, reference, *, se, group, model,
                max_iter: int = 100) -> ItemFit:
    from dce.models.clogit import fit as clogit_fit

    start = clogit_fit(exp.data, se="classic", group=group)
    ev = _Scaled(exp)
    theta = np.r_[start.params, 1.0]
    ll, g, H = ev.evaluate(theta)
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        step = _ascent(-H, g)
        if g @ step <= 1e-16:
            converged, it = True, it - 1
            break
        t = 1.0
        while t > 1e-12:
            cand = theta + t * step
            ll_c, g_c, H_c = ev.evaluate(cand)
            if np.isfinite(ll_c) and ll_c >= ll - 1e-12 * abs(ll):
                break
            t /= 2
        if t <= 1e-12:
            converged = g @ step < 1e-10
            break
        theta, ll, g, H = cand, ll_c, g_c, H_c
    notes = []
    if not converged:
        msg = f"group {group}: the worst-scale model did not converge in {it} iterations"
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
        notes.append(msg)
    if theta[-1] <= 0:
        msg = (f"group {group}: the estimated worst scale is {theta[-1]:.3g} (not positive); "
               "worst choices do not look like reversed best choices")
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
        notes.append(msg)
    bread, _ = bread_of(H, cholesky=False)
    S = ev.scores(theta)
    by_resp = np.zeros((exp.data.n_respondents, len(theta)))
    np.add.at(by_resp, exp.data.respondent, S)
    vcovs = covariances(bread, S.T @ S, by_resp)
    terms = tuple(exp.data.terms) + (SCALE_TERM,)
    res = FitResult(terms=terms, params=theta, vcov=vcovs[se], se_type=se, loglik=ll,
                    null_loglik=null_loglik(exp.data), n_obs=exp.data.n_rows,
                    n_sets=exp.data.n_sets, n_respondents=exp.data.n_respondents,
                    converged=converged, iterations=it, engine="native", group=group,
                    vcovs=vcovs, gradient_norm=float(np.abs(g).max()), warnings=tuple(notes))
    return embed(res, names, reference, model, exp.n_tasks, scale=True)
