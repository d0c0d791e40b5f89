"""Latent class and scale-adjusted latent class logit (dce.models.latent_class).

References used here, each independent of dce's code:

* a plain-numpy (loop over respondents) likelihood written in this file, compared with dce's
  at the reported optimum to 1e-8 and differentiated numerically against dce's gradient;
* recovery of simulated classes (>= 2,000 respondents; every parameter within 3 of its
  cluster-robust standard errors of the truth), with and without membership covariates, and
  of a noisy scale class;
* the best log-likelihood of many random starts of an independent optimiser (scipy BFGS on
  the plain numpy likelihood of tests/reference/latent_class_independent.py);
* the stored reference fits on Train's electricity data (tests/reference/
  latent_class_electricity.json: 100 starts of that independent optimiser; biogeme from
  random starts and from the optimum, with its classic and robust standard errors).

``DCE_LC_STARTS`` (default 4) sets how many starts the independent optimiser runs on the
electricity data inside the suite; set it to 50 or more locally for the full check.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dce.core.coding import ChoiceData
from dce.errors import ConfigError, DataError
from dce.models import clogit
from dce.models import latent_class as lc
from dce.models.latent_class_likelihood import Mixture, PanelSets
from dce.models.latent_class_select import align_classes, fit_counts, select_classes

REF = Path(__file__).resolve().parents[1] / "reference"
sys.path.insert(0, str(REF))
import latent_class_independent as ind  # noqa: E402

SEED = np.random.SeedSequence(20261130)


# ----- simulated data (written here, independent of dce's simulator) ------------------------
def simulate(seed, N, T, J, betas, *, shares=None, gamma=None, z=None, scales=(1.0,),
             scale_shares=(1.0,), ragged=False):
    """Panel choices from a latent class logit; returns (ChoiceData, arrays dict)."""
    rng = np.random.default_rng(seed)
    betas = np.asarray(betas, float)
    C, K = betas.shape
    if gamma is not None:
        V = np.c_[np.ones(N), z] @ np.vstack([np.zeros(len(gamma[0])), gamma]).T
        pi = np.exp(V) / np.exp(V).sum(axis=1, keepdims=True)
        cls = (rng.random(N)[:, None] > np.cumsum(pi, axis=1)).sum(axis=1)
    else:
        cls = rng.choice(C, size=N, p=shares)
    scl = rng.choice(len(scales), size=N, p=scale_shares)
    X = rng.normal(size=(N, T, J, K))
    b = betas[cls] * np.asarray(scales)[scl][:, None]
    U = np.einsum("ntjk,nk->ntj", X, b) + rng.gumbel(size=(N, T, J))
    size = np.full((N, T), J)
    if ragged:                           # some sets lose their last alternative
        size = np.where(rng.random((N, T)) < 0.3, J - 1, J)
        U = np.where(np.arange(J)[None, None, :] < size[..., None], U, -np.inf)
    y = U.argmax(axis=2)
    keep = np.arange(J)[None, None, :] < size[..., None]
    rows_X = X[keep]
    chosen = (np.arange(J)[None, None, :] == y[..., None])[keep].astype(float)
    starts = np.r_[0, np.cumsum(size.ravel())]
    S = N * T
    data = ChoiceData(rows_X, chosen, starts, np.repeat(np.arange(N), T),
                      np.array([f"r{n}" for n in range(N)], dtype=object),
                      np.array(["all"] * S, dtype=object),
                      np.concatenate([np.arange(1, m + 1) for m in size.ravel()]),
                      tuple(f"x{k + 1}" for k in range(K)))
    return data, {"X": X, "y": y, "size": size, "cls": cls, "scl": scl}


def independent_loglik(res, arrays, Z=None):
    """Plain-numpy log-likelihood of a (scale-adjusted) latent class fit at its estimates,
    read by parameter name; a loop over respondents."""
    est = dict(zip(res.terms, res.params))
    C, S = res.n_classes, res.n_scale_classes
    beta = np.array([[est[f"class{c + 1}:{t}"] for t in res.class_terms] for c in range(C)])
    lam = np.r_[1.0, [np.exp(est[f"scale{s + 1}:log_scale"]) for s in range(1, S)]]
    names = res.membership_terms
    X, y, size = arrays["X"], arrays["y"], arrays["size"]
    N = X.shape[0]
    Zm = np.ones((N, 1)) if Z is None else np.c_[np.ones(N), Z]
    gam = np.array([[0.0] * len(names)] + [[est[f"class{c + 1}:membership[{m}]"]
                                            for m in names] for c in range(1, C)])
    delta = np.r_[0.0, [est[f"scale{s + 1}:membership[const]"] for s in range(1, S)]]
    rho = np.exp(delta) / np.exp(delta).sum()
    total = 0.0
    for n in range(N):
        v = Zm[n] @ gam.T
        pi = np.exp(v - v.max()) / np.exp(v - v.max()).sum()
        like = 0.0
        for c in range(C):
            for s in range(S):
                logp = 0.0
                for t in range(X.shape[1]):
                    u = X[n, t, :size[n, t]] @ (lam[s] * beta[c])
                    logp += u[y[n, t]] - (u.max() + np.log(np.exp(u - u.max()).sum()))
                like += pi[c] * rho[s] * np.exp(logp)
        total += np.log(like)
    return total


def within(res, truth, k=3.0):
    """Names of parameters further than k standard errors from the truth."""
    est = dict(zip(res.terms, res.params))
    se = dict(zip(res.terms, res.bse))
    return [(n, est[n], v, se[n]) for n, v in truth.items() if abs(est[n] - v) > k * se[n]]


def quiet_fit(data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return lc.fit(data, seed_seq=kw.pop("seed_seq", SEED), **kw)


# ----- the likelihood --------------------------------------------------------------------------
def test_loglik_equals_independent_numpy_latent_class_with_membership():
    z = np.random.default_rng(5).normal(size=300)
    data, arr = simulate(1, 300, 6, 3, [[1.0, -1.0, 0.5], [-1.0, 0.5, 1.0]],
                         gamma=[[-0.2, 0.8]], z=z, ragged=True)
    res = quiet_fit(data, classes=2, starts=3,
                    membership=pd.DataFrame({"age": z}, index=data.respondent_ids))
    assert res.membership_terms == ("const", "age")
    assert abs(independent_loglik(res, arr, z[:, None]) - res.loglik) < 1e-8
    assert res.converged


def test_loglik_equals_independent_numpy_scale_adjusted():
    data, arr = simulate(2, 300, 6, 3, [[1.0, -1.0, 0.5], [-1.0, 0.5, 1.0]], shares=[0.6, 0.4],
                         scales=(1.0, 0.3), scale_shares=(0.6, 0.4))
    res = quiet_fit(data, classes=2, scale_classes=2, starts=3)
    assert res.model == "scale_adjusted_latent_class"
    assert abs(independent_loglik(res, arr) - res.loglik) < 1e-8


def test_gradient_matches_numerical_derivative_of_independent_likelihood():
    data, arr = simulate(3, 60, 4, 3, [[1.0, -1.0], [-1.0, 0.5]], shares=[0.5, 0.5],
                         ragged=True)
    z = np.random.default_rng(1).normal(size=60)
    model = Mixture(PanelSets(data), 2, 2, np.c_[np.ones(60), z])
    theta = np.random.default_rng(2).normal(size=model.P) * 0.4
    _, grad, H, scores = model.derivatives(theta)
    assert np.allclose(scores.sum(axis=0), grad)
    # independent likelihood as a function of theta, via a stand-in result
    terms = lc.parameter_names(model, data.terms, ("const", "z"))

    class Stand:
        n_classes, n_scale_classes, class_terms = 2, 2, data.terms
        membership_terms = ("const", "z")

    def f(t):
        Stand.terms, Stand.params = terms, t
        return independent_loglik(Stand, arr, z[:, None])

    eps = 1e-6
    num = np.array([(f(theta + eps * e) - f(theta - eps * e)) / (2 * eps)
                    for e in np.eye(model.P)])
    assert np.allclose(num, grad, rtol=1e-5, atol=1e-5)
    # Hessian: central differences of the analytic gradient
    numH = np.array([(model.loglik_and_gradient(theta + eps * e)[1]
                      - model.loglik_and_gradient(theta - eps * e)[1]) / (2 * eps)
                     for e in np.eye(model.P)])
    assert np.allclose(numH, H, rtol=1e-5, atol=1e-5)


def test_one_class_is_the_conditional_logit():
    data, _ = simulate(4, 200, 5, 3, [[1.0, -0.5, 0.2]], shares=[1.0])
    res = quiet_fit(data, classes=1, starts=2)
    base = clogit.fit(data, se="cluster")
    assert abs(res.loglik - base.loglik) < 1e-8
    assert np.allclose(res.params, base.params, atol=1e-6)
    assert np.allclose(res.bse, base.bse, rtol=1e-4)


# ----- recovery ----------------------------------------------------------------------------------
def test_recovers_two_classes_constant_shares():
    truth_b = [[1.0, -1.0, 0.5], [-0.5, 0.5, 1.5]]
    data, arr = simulate(11, 2000, 6, 3, truth_b, shares=[0.6, 0.4])
    res = quiet_fit(data, classes=2, starts=3)
    # classes come ordered by share; matching by coefficients must give the same order
    perm = align_classes(res.params[:6].reshape(2, 3), np.array(truth_b))
    assert list(perm) == [0, 1]
    truth = {f"class{c + 1}:x{k + 1}": truth_b[c][k] for c in range(2) for k in range(3)}
    truth["class2:membership[const]"] = np.log(0.4 / 0.6)
    assert within(res, truth) == []
    shares = res.class_shares()
    assert abs(shares["share"][0] - 0.6) < 3 * shares["std_error"][0]
    post = res.posterior_frame()
    assert list(post.columns) == ["class1", "class2", "class"]
    assert np.allclose(post[["class1", "class2"]].sum(axis=1), 1.0)
    assert (post["class"].to_numpy() - 1 == arr["cls"]).mean() > 0.85


def test_recovers_membership_covariates():
    z = np.random.default_rng(12).normal(size=2000)
    truth_b = [[1.0, -1.0, 0.5], [-0.5, 0.5, 1.5]]
    data, _ = simulate(12, 2000, 6, 3, truth_b, gamma=[[-0.4, 1.0]], z=z)
    res = quiet_fit(data, classes=2, starts=3,
                    membership=pd.DataFrame({"z": z}, index=data.respondent_ids))
    truth = {f"class{c + 1}:x{k + 1}": truth_b[c][k] for c in range(2) for k in range(3)}
    truth.update({"class2:membership[const]": -0.4, "class2:membership[z]": 1.0})
    assert within(res, truth) == []


def test_scale_adjusted_recovers_a_noisy_scale_class():
    truth_b = [[1.0, -1.0, 0.5], [-0.5, 0.5, 1.5]]
    data, _ = simulate(13, 2000, 8, 3, truth_b, shares=[0.6, 0.4], scales=(1.0, 0.3),
                       scale_shares=(0.65, 0.35))
    res = quiet_fit(data, classes=2, scale_classes=2, starts=3)
    truth = {f"class{c + 1}:x{k + 1}": truth_b[c][k] for c in range(2) for k in range(3)}
    truth.update({"scale2:log_scale": np.log(0.3),
                  "class2:membership[const]": np.log(0.4 / 0.6),
                  "scale2:membership[const]": np.log(0.35 / 0.65)})
    assert within(res, truth) == []
    assert res.scales[0] == 1.0 and 0 < res.scales[1] < 1
    # a plain latent class model with the same number of segments mistakes the noise
    assert set(res.class_shares()["class"]) == {"class1", "class2", "scale1", "scale2"}


# ----- the optimum -------------------------------------------------------------------------------
def test_reaches_the_best_optimum_of_an_independent_multistart_optimiser():
    data, arr = simulate(21, 150, 5, 3, [[2.0, -1.0], [-1.0, 1.0], [0.0, -2.0]],
                         shares=[0.4, 0.35, 0.25])
    X, y = arr["X"].reshape(-1, 3, 2), arr["y"].ravel()
    resp = np.repeat(np.arange(150), 5)
    runs = ind.multistart(X, y, resp, 3, 25, 7)
    best = runs[0][0]
    res = quiet_fit(data, classes=3, starts=10)
    assert res.loglik >= best - 1e-4
    assert abs(res.loglik - best) < 1e-4, (res.loglik, best)
    assert res.starts_at_best >= 2


def test_same_seed_same_numbers_and_jobs_do_not_matter():
    data, _ = simulate(31, 200, 5, 3, [[1.0, -1.0], [-1.0, 1.0]], shares=[0.5, 0.5])
    a = quiet_fit(data, classes=2, starts=4)
    b = quiet_fit(data, classes=2, starts=4)
    c = quiet_fit(data, classes=2, starts=4, jobs=2)
    assert np.array_equal(a.params, b.params) and np.array_equal(a.vcov, b.vcov)
    assert np.array_equal(a.params, c.params)
    assert a.start_table().equals(c.start_table())
    other = quiet_fit(data, classes=2, starts=4, seed_seq=np.random.SeedSequence(1))
    assert not other.start_table()["loglik"].equals(a.start_table()["loglik"])


# ----- tables and selection ----------------------------------------------------------------------
def test_tables_and_class_selection():
    data, _ = simulate(41, 300, 6, 3, [[1.5, -1.0], [-1.0, 1.0]], shares=[0.55, 0.45])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sel = select_classes(data, classes=[1, 2, 3], seed_seq=SEED, starts=3)
    t = sel.table
    assert list(t["classes"]) == [1, 2, 3]
    N = 300
    P = t["n_parameters"].to_numpy()
    LL = t["log_likelihood"].to_numpy()
    assert np.allclose(t["bic"], -2 * LL + P * np.log(N))
    assert np.allclose(t["caic"], -2 * LL + P * (np.log(N) + 1))
    assert np.allclose(t["aic3"], -2 * LL + 3 * P)
    assert sel.chosen == int(t.loc[t["bic"].idxmin(), "classes"]) == 2
    res = sel.fits[2]
    tidy = res.tidy()
    assert list(tidy.columns[:3]) == ["group", "class", "term"]
    assert list(tidy["class"]) == ["class1"] * 2 + ["class2"] * 3
    g = res.glance()
    assert g.loc[0, "n_classes"] == 2 and g.loc[0, "n_starts"] == 3
    assert 0 < g.loc[0, "share_at_best"] <= 1
    one = res.class_fit(2)
    assert one.terms == data.terms and np.array_equal(one.params, res.params[2:4])
    assert res.shares[0] >= res.shares[1]
    assert set(res.vcovs) == {"classic", "robust", "cluster"}


def test_categorical_membership_and_bad_inputs():
    data, _ = simulate(51, 120, 4, 3, [[1.0, -1.0], [-1.0, 1.0]], shares=[0.5, 0.5])
    ids = data.respondent_ids
    groups = pd.DataFrame({"age_group": np.where(np.arange(120) % 3 == 0, "old", "young")},
                          index=ids)
    Z, names = lc.membership_matrix(data, groups)
    assert names == ("const", "age_group[young]") and Z.shape == (120, 2)
    with pytest.raises(DataError, match="no row for respondents"):
        lc.membership_matrix(data, groups.iloc[1:])
    with pytest.raises(DataError, match="one value"):
        lc.membership_matrix(data, pd.DataFrame({"x": 1.0}, index=ids))
    with pytest.raises(ConfigError, match="whole number"):
        lc.fit(data, classes=0, seed_seq=SEED)
    with pytest.raises(ConfigError, match="whole number"):
        lc.fit(data, classes=2, starts=2.5, seed_seq=SEED)
    with pytest.raises(DataError, match="respondents"):
        lc.fit(data, classes=200, seed_seq=SEED)


def test_more_parameters_than_respondents_stop_before_any_fit(monkeypatch):
    """check_parameters counts the parameters the fit estimates (its parameter vector): 3
    classes x 2 terms + 2 x (const, z) membership + 2 for a second scale class = 12 fit on
    12 respondents and stop on 11; a range whose largest count is too big stops before
    its first count is fitted (it used to fit every count up to it)."""
    betas = [[1.0, -1.0], [-1.0, 1.0], [0.5, 0.5]]
    for n, stops in ((12, False), (11, True)):
        data, _ = simulate(71, n, 4, 3, betas, shares=[0.4, 0.3, 0.3])
        z = pd.DataFrame({"z": np.linspace(-1, 1, n)}, index=data.respondent_ids)
        kw = {"scale_classes": 2, "membership": z, "starts": 1, "seed_seq": SEED}
        if stops:
            with pytest.raises(DataError) as err:
                fit_counts(data, [3], **kw)
            [p] = err.value.problems
            assert p.key == "classes"
            assert p.message.startswith("3 classes need 12 parameters (3 x 2 coefficients + "
                                        "2 x 2 membership coefficients + 2 for the scale "
                                        "classes), more than the 11 respondents")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                res = fit_counts(data, [3], **kw)[3]
            assert res.n_params == len(res.params) == 12
    data, _ = simulate(72, 40, 4, 3, betas[:2], shares=[0.5, 0.5])

    def no_fit(*args, **kwargs):
        raise AssertionError("a class count was fitted")

    monkeypatch.setattr("dce.models.latent_class_select.fit", no_fit)
    for run in (lambda: fit_counts(data, range(1, 31), seed_seq=SEED),
                lambda: select_classes(data, classes=[1, 30], seed_seq=SEED)):
        with pytest.raises(DataError, match=r"30 classes need 89 parameters .* 40 respondents"):
            run()


def test_an_unidentified_extra_class_is_reported():
    data, _ = simulate(61, 150, 5, 3, [[1.0, -1.0]], shares=[1.0])
    with pytest.warns(RuntimeWarning) as caught:
        lc.fit(data, classes=4, starts=3, seed_seq=SEED)
    text = " ".join(str(w.message) for w in caught)
    assert "not negative definite" in text and "did not converge" in text


# ----- Train's electricity data (issue 15 acceptance) ------------------------------------------
def electricity():
    df = pd.read_csv(REF / "data" / "electricity.csv.gz").sort_values(["id", "chid", "alt"])
    first = np.r_[True, df["chid"].to_numpy()[1:] != df["chid"].to_numpy()[:-1]]
    codes, ids = pd.factorize(df["id"].to_numpy()[first])
    terms = list(ind.ELECTRICITY_TERMS)
    return ChoiceData(df[terms].to_numpy(float), df["choice"].to_numpy().astype(float),
                      np.r_[np.flatnonzero(first), len(df)], codes.astype(np.int64), ids,
                      np.array(["all"] * int(first.sum()), dtype=object),
                      df["alt"].to_numpy(), tuple(terms))


@pytest.mark.reference
@pytest.mark.parametrize("C", [2, 3])
def test_electricity_default_starts_reach_the_best_optimum(C):
    data = electricity()
    assert (data.n_respondents, data.n_sets) == (361, 4308)
    ref = json.loads((REF / "latent_class_electricity.json").read_text())[f"classes_{C}"]
    res = quiet_fit(data, classes=C)                     # default starts
    best = ref["independent"]["best_loglik"]
    assert res.loglik >= best - 1e-4 and abs(res.loglik - best) < 1e-4
    assert np.all(np.abs(res.params - ref["independent"]["theta"]) < 0.01 * res.bse)
    for run in ref["biogeme"]:                          # biogeme never beats it
        assert run["loglik"] <= res.loglik + 1e-4
    # biogeme started at that optimum: same estimates and standard errors (its Rao-Cramer
    # and robust kinds are dce's classic and robust, panel scores by respondent)
    bio = ref["biogeme_at_best"]
    assert abs(bio["loglik"] - res.loglik) < 1e-6
    assert np.all(np.abs(res.params - bio["theta"]) < 1e-4 * res.bse)
    for kind in ("classic", "robust"):
        se = np.sqrt(np.diag(res.vcovs[kind]))
        assert np.allclose(se, bio[f"se_{kind}"], rtol=1e-5), kind
    assert res.starts_at_best >= 2 and res.converged
    # the independent optimiser again, here: a few starts in CI, more with DCE_LC_STARTS
    X, y, resp, _ = ind.load_electricity()
    runs = ind.multistart(X, y, resp, C, int(os.environ.get("DCE_LC_STARTS", "4")), 99 + C)
    assert runs[0][0] <= res.loglik + 1e-4


# ----- item studies: the expanded best-worst choice sets are taken as they are ----------------
def test_best_worst_expanded_sets_fit_as_they_are():
    from dce.models.items import expand_best_worst

    rng = np.random.default_rng(71)
    names = ["a", "b", "c", "d", "e", "f"]
    util = np.array([[0.0, 1.0, 2.0, -1.0, 0.5, 1.5], [0.0, -1.0, -0.5, 2.0, 1.0, -1.5]])
    rows = []
    for n in range(300):
        u_n = util[n % 2]
        for t in range(6):
            shown = rng.choice(6, size=4, replace=False)
            v = u_n[shown] + rng.gumbel(size=4)
            best = int(np.argmax(v))
            w = -u_n[shown] + rng.gumbel(size=4)
            w[best] = -np.inf
            worst = int(np.argmax(w))
            for j, i in enumerate(shown):
                rows.append({"respondent": f"p{n}", "block": 1, "task": t + 1,
                             "alternative": j + 1, "item": names[i], "best": int(j == best),
                             "worst": int(j == worst), "group": "all"})
    exp = expand_best_worst(pd.DataFrame(rows), names, "a")
    data = exp.data
    one = quiet_fit(data, classes=1, starts=1)
    assert abs(one.loglik - clogit.fit(data).loglik) < 1e-8
    two = quiet_fit(data, classes=2, starts=3)
    assert two.loglik > one.loglik + 100                 # two very different segments
    est = two.tidy().set_index(["class", "term"])["estimate"]
    got = np.array([[est[(f"class{c}", t)] for t in names[1:]] for c in (1, 2)])
    perm = align_classes(got, util[:, 1:])
    assert np.max(np.abs(got[perm] - util[:, 1:])) < 0.5
    assert len(two.posterior_frame()) == 300


def test_rescaling_an_attribute_rescales_its_coefficient_in_every_class():
    data, _ = simulate(81, 200, 5, 3, [[1.0, -1.0], [-1.0, 1.0]], shares=[0.5, 0.5])
    a = quiet_fit(data, classes=2, starts=3)
    X = data.X.copy()
    X[:, 0] *= 4.0
    X[:, 1] += 7.0                      # a shift common to a set's alternatives cancels
    scaled = ChoiceData(X, data.chosen, data.set_start, data.respondent, data.respondent_ids,
                        data.group, data.alternative, data.terms)
    b = quiet_fit(scaled, classes=2, starts=3)
    assert abs(a.loglik - b.loglik) < 1e-8
    est_a, est_b = a.tidy().set_index(["class", "term"]), b.tidy().set_index(["class", "term"])
    for c in ("class1", "class2"):
        assert np.isclose(est_b.loc[(c, "x1"), "estimate"] * 4, est_a.loc[(c, "x1"), "estimate"],
                          rtol=1e-6)
        assert np.isclose(est_b.loc[(c, "x2"), "estimate"], est_a.loc[(c, "x2"), "estimate"],
                          rtol=1e-6)
