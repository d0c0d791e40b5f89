"""Power analysis by simulation: how many respondents does the study need?

For each sample size (respondents per group) and replication, responses are simulated
from ``simulate:`` (each replication on its own child seed), every group is fitted, and
we record per term whether zero is rejected and whether the interval covers the true
coefficient, whether the estimated top-k importance ranking equals the true one, and
whether step 1 of the Swait-Louviere sequence (the cluster-robust test of proportional
coefficients, constants group-specific) rejects equal preferences for the chosen pairs.
True coefficients are the simulated part-worths times the group's scale, in the coded
parametrisation (respondent heterogeneity attenuates logit estimates, so coverage is
only nominal without it).

Sample size by simulation as reviewed by de Bekker-Grob et al. (2015); the Swait-Louviere
step as in :mod:`dce.analysis.scale` (Swait and Louviere 1993).

References
----------
de Bekker-Grob, E. W., Donkers, B., Jonker, M. F. and Stolk, E. A. (2015). Sample size
requirements for discrete-choice experiments in healthcare: a practical guide. The
Patient 8(5), 373-384.
Swait, J. and Louviere, J. (1993). The role of the scale parameter in the estimation and
comparison of multinomial logit models. Journal of Marketing Research 30(3), 305-314.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import special

from dce.analysis import importance
from dce.analysis.compare import pairs_of
from dce.analysis.scale import compare_scale
from dce.core import coding
from dce.core.attributes import level_key
from dce.core.parallel import map_seeds
from dce.core.random import seed_sequence
from dce.data import simulate
from dce.data.choices import estimation_rows
from dce.models.clogit import fit as clogit_fit
from dce.models.separation import has_no_maximum

COLUMNS = ["sample_size", "group", "measure", "term", "value", "replications"]


def true_coefficients(study, sim, terms) -> np.ndarray:
    """The coded coefficients implied by a group's simulated utilities and scale.

    A linear attribute's coefficient is its simulated slope; a categorical attribute's
    level utilities are fitted exactly by least squares on its level matrix plus a common
    shift (the shift cancels within sets, except against the opt-out, whose constant is
    its utility minus the shifts). Everything is multiplied by the group's scale.

    Parameters
    ----------
    study : Study
        The study (its attributes).
    sim : object
        The group's ``simulate:`` settings: ``utilities`` and ``scale``.
    terms : sequence of str (K,)
        The coded terms.

    Returns
    -------
    ndarray (K,)
        True coefficients; 0 for terms not simulated.
    """
    beta = dict.fromkeys(terms, 0.0)
    shift = 0.0
    for a in study.attributes:
        u = sim.utilities.get(a.name)
        if a.is_linear:
            beta[a.name] = float(u or 0.0)
            continue
        pw = np.zeros(a.n_levels)
        for level, v in (u or {}).items():
            pw[a.level_keys.index(level_key(level))] = v
        L = a.level_matrix()
        sol = np.linalg.lstsq(np.column_stack([L, np.ones(a.n_levels)]), pw, rcond=None)[0]
        for t, b in zip(a.terms, sol[:-1]):
            beta[t] = float(b)
        shift += sol[-1]
    if "asc[opt_out]" in beta:
        beta["asc[opt_out]"] = float(sim.utilities.get("opt_out", 0.0)) - shift
    return sim.scale * np.array([beta[t] for t in terms])


PRIOR_GROUP = "prior"


def prior_study(study):
    """The study with one simulated group, ``prior``, choosing by the design priors' means.

    Power before any data exists: the respondents of the one group choose by the prior
    means of ``design.priors`` (a categorical attribute's level utilities are its level
    matrix times the prior means of its terms, so they are exact for effects and dummy
    coding; a linear attribute's slope is its prior; the opt-out's utility is the prior of
    ``asc[opt_out]``), without heterogeneity and with scale 1.

    Parameters
    ----------
    study : Study
        A study with a ``design:`` section and no ``simulate:`` section.

    Returns
    -------
    Study
        A copy whose ``simulate:`` holds the group ``prior`` (1 respondent; the power
        analysis sets the sample sizes).

    Raises
    ------
    dce.errors.ConfigError
        Key ``design.priors`` when every prior mean is 0 (there is no effect to detect).
    """
    from dataclasses import replace

    from dce.config.schema import GroupSimulation, SimulateSpec
    from dce.design.priors import design_terms, prior_moments
    from dce.errors import ConfigError

    terms = design_terms(study)
    mean = dict(zip(terms, prior_moments(study, terms)[0]))
    if not any(mean.values()):
        raise ConfigError("power before any data needs prior means to detect; give "
                          "`design.priors` (or a `simulate:` section)",
                          file=study.display_name, line=study.line("power"),
                          key="design.priors")
    utilities: dict = {}
    for a in study.attributes:
        beta = np.array([mean[t] for t in a.terms])
        if a.is_linear:
            utilities[a.name] = float(beta[0])
        else:
            utilities[a.name] = dict(zip(a.level_labels, (a.level_matrix() @ beta).tolist()))
    if "asc[opt_out]" in mean:
        utilities["opt_out"] = float(mean["asc[opt_out]"])
    sim = SimulateSpec(groups={PRIOR_GROUP: GroupSimulation(respondents=1,
                                                            utilities=utilities)})
    return replace(study, spec=study.spec.model_copy(update={"simulate": sim}))


def _top(values, k) -> tuple:
    return tuple(np.argsort(-values, kind="stable")[:k])


def _replicate(seq, study, design, n, truth, pairs, alpha):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resp = simulate.responses(study, design, seed_seq=seq, respondents=n)
        resp = estimation_rows(resp, study.spec.model.include_validity_tasks)
        cd = coding.encode(resp, study.attributes)
        maps = importance.partworth_maps(cd.terms, study.attributes)
        q = special.ndtri(1 - alpha / 2)
        out, parts, fits = {}, {}, {}
        for g, (beta_true, top_true) in truth.items():
            part = cd.for_group(g)
            res = clogit_fit(part, se=study.spec.model.se, check=False)
            z = res.params / res.bse
            cover = np.abs(res.params - beta_true) <= q * res.bse
            top = _top(importance.shares(res.params, maps)[0], len(top_true))
            converged = res.converged and not has_no_maximum(part, res)
            out[g] = (np.abs(z) > q, cover, top == top_true, converged)
            parts[g], fits[g] = part, res
        for a, b in pairs:
            st = compare_scale(parts[a], parts[b], fits[a], fits[b],
                               group_specific=study.spec.compare.group_specific)
            out[(a, b)] = st.p_preferences < alpha  # step 1, as the report uses it
    return out


def analyse(study, design, *, jobs: int = 1) -> pd.DataFrame:
    """The power table (see COLUMNS) for every sample size of ``power:``.

    Parameters
    ----------
    study : Study
        The study, with ``power:`` and ``simulate:`` settings.
    design : pandas.DataFrame
        The design the simulated respondents answer.
    jobs : int
        Worker processes for the replications (results do not depend on it).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`; measures per sample size: ``power`` (share of
        replications rejecting a zero coefficient, two-sided Wald test at ``alpha``) and
        ``coverage`` (share of Wald intervals covering the truth) per group and term
        (``size`` instead of ``power`` for a term whose true coefficient is 0: the share
        of false rejections),
        ``top_<k>_correct`` and ``converged`` per group, ``swait_louviere_power`` per pair
        (share rejecting proportionality at ``alpha``) and ``failed_replications``.
    """
    spec = study.spec.power
    groups = list(study.spec.simulate.groups)
    terms = coding.encode(simulate.responses(study, design, respondents=2),
                          study.attributes).terms
    maps = importance.partworth_maps(terms, study.attributes)
    k = min(spec.top_k, len(study.attributes))
    truth = {}
    for g in groups:
        beta = true_coefficients(study, study.spec.simulate.groups[g], terms)
        truth[g] = (beta, _top(importance.shares(beta, maps)[0], k))
    requested = spec.pairs if spec.pairs is not None else [groups[:2]] if len(groups) > 1 \
        else []
    pairs = pairs_of(groups, requested)
    rows = []
    root = seed_sequence(study.seed, "power")
    for s_i, n in enumerate(spec.sample_sizes):
        sub = np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (s_i,))
        result = map_seeds(_replicate, spec.replications, sub, jobs=jobs,
                           args=(study, design, n, truth, pairs, spec.alpha),
                           desc=f"power n={n}")
        ok = [r for r in result.ok]
        m = len(ok)
        for g in groups:
            rej = np.mean([r[g][0] for r in ok], axis=0)
            cov = np.mean([r[g][1] for r in ok], axis=0)
            null = np.abs(truth[g][0]) <= 1e-10 * max(1.0, np.abs(truth[g][0]).max())
            for t, pw, cv, zero in zip(terms, rej, cov, null):
                # rejecting a coefficient that is truly 0 is the test's size, not power
                rows.append((n, g, "size" if zero else "power", t, pw, m))
                rows.append((n, g, "coverage", t, cv, m))
            rows.append((n, g, f"top_{k}_correct", "", float(np.mean([r[g][2] for r in ok])),
                         m))
            rows.append((n, g, "converged", "", float(np.mean([r[g][3] for r in ok])), m))
        for a, b in pairs:
            rows.append((n, f"{a} vs {b}", "swait_louviere_power", "",
                         float(np.mean([r[(a, b)] for r in ok])), m))
        if result.failures:
            rows.append((n, "", "failed_replications", "", float(len(result.failures)), m))
    return pd.DataFrame(rows, columns=COLUMNS)
