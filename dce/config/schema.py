"""Typed schema of the YAML config (pydantic) and its JSON Schema export.

The models only check shapes and types, and reject unknown keys; cross-references (levels
named in ``exclude`` or ``utilities``, priors naming terms, ...) are checked in
:mod:`dce.config.study`. Each field's ``description`` is the one source of its documentation:
``dce schema`` shows it in editors, and :mod:`dce.config.reference` builds docs/config.md
from it. A description that ends in ``(default: ...)`` states, in words, a default that the
value ``null`` stands for; the reference puts it in the table's default column.
"""

from __future__ import annotations

from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from dce.core.options import (
    BestWorstModel,
    ClassCriterion,
    Coding,
    DesignMethod,
    Distribution,
    DrawType,
    EngineType,
    IntervalMethod,
    ModelType,
    ScaleHeterogeneity,
    SpaceType,
    VcovType,
)

Level = Union[StrictInt, StrictFloat, StrictStr]
Number = Union[StrictInt, StrictFloat]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AttributeSpec(_Strict):
    """One attribute of a dce study, keyed by the name used in data columns and term
    names."""

    label: StrictStr | None = Field(
        None, description="text shown in tables, sentences and figures (default: the name)")
    levels: list[Level] | None = Field(
        None, description="list of levels; text or numbers. Fit-only configs may omit it for "
                          "a numeric column")
    coding: Coding | None = Field(
        None, description="`effects`, `dummy` or `linear` (one coefficient per unit) "
                          "(default: `effects` when `levels` are listed, `linear` without "
                          "levels)")
    reference: Level | None = Field(
        None, description="base level of effects or dummy coding (default: first level)")
    cost: StrictBool = Field(
        False, description="marks the cost attribute (willingness to pay); it needs "
                           "`coding: linear`, and only one attribute can be the cost")
    alternatives: list[StrictStr] | None = Field(
        None, description="labelled designs: the alternatives (labels from `design.labels`) "
                          "the attribute appears in; its cells are empty, and it adds no "
                          "utility, in the others (default: every alternative)")


class ItemSpec(_Strict):
    """One item (object) of a best-worst or ranking study, keyed by its name."""

    label: StrictStr | None = Field(
        None, description="text shown in tables, sentences and figures (default: the name)")


class PriorSpec(_Strict):
    """A normal prior of one term of the utility (bayesian designs)."""

    mean: Number = Field(description="prior mean of a term")
    sd: Number = Field(ge=0, description="prior standard deviation of a term (`bayesian` "
                                         "designs)")


class RandomizeSpec(_Strict):
    """Seeded orders of the tasks and alternatives fielded (dce.design.randomize)."""

    tasks: StrictBool = Field(
        False, description="shuffle the order of the tasks within each block version (a "
                           "repeated task comes after its original, at least a third of the "
                           "block's tasks later where the block allows it)")
    alternatives: StrictBool = Field(
        False, description="shuffle the positions of the generic alternatives in each task "
                           "(the opt-out stays last; a repeated task shows its original's "
                           "order as shown, reversed with `design.repeat_swap`)")
    versions: StrictInt = Field(
        1, ge=1, le=1000, description="versions of each block, each with its own seeded "
        "order; respondents are assigned to the versions of their block in turn, and "
        "survey.csv and cards/ show every version. Responses name their version in "
        "`choices.columns.version`, with `task` and `alternative` as shown; data that record "
        "the design's task and alternative (randomised by the survey platform) leave it "
        "unset")
    seed: StrictInt | None = Field(
        None, ge=0, description="the orders' own seed (default: the config's `seed`); "
        "survey.csv records it in `order_seed`. Responses recorded as shown "
        "(`choices.columns.version`) need this key or `file`, so that a later change of "
        "`seed` cannot change the order they are mapped back through")
    file: StrictStr | None = Field(
        None, description="the orders as fielded: the `fielding_order.csv` (or `survey.csv`) "
        "of the run that made the survey, read instead of drawing the orders (read if it "
        "exists; required to exist when `choices.columns.version` is set). The safest way to "
        "read responses recorded as shown: it does not depend on any seed or dce version")


class DesignSpec(_Strict):
    """How the choice sets are made, or the file that holds the fielded design."""

    method: DesignMethod = Field(
        "random", description="`full-factorial`, `random`, `orthogonal`, `d-efficient` or "
                              "`bayesian`")
    alternatives: StrictInt = Field(
        2, ge=2, le=20, description="generic alternatives per task (without the opt-out)")
    opt_out: StrictStr | None = Field(
        None, description="label of a no-choice alternative (\"Neither\"); it gets its own "
                          "constant")
    labels: list[StrictStr] | None = Field(
        None, description="labelled design: one label per alternative, in order (e.g. `[NHS "
                          "group, charity group, online forum]`); alternative j always shows "
                          "label j, and the model gets constants `asc[<label>]` for every "
                          "label but the first (default: generic, unlabelled alternatives)")
    tasks: StrictInt | None = Field(
        None, ge=1, description="tasks per block; `full-factorial` and `orthogonal` designs "
                                "choose it when it is left out")
    blocks: StrictInt = Field(1, ge=1, description="blocks (versions of the questionnaire)")
    priors: dict[str, Number | PriorSpec] = Field(
        default_factory=dict, description="prior coefficients keyed by term name: a number "
                                          "(fixed) or `{mean, sd}` (normal)")
    prior_draws: StrictInt = Field(
        200, ge=1, description="quasi-random draws from the priors (`bayesian`)")
    exclude: list[dict[str, Level]] = Field(
        default_factory=list, description="prohibited combinations of levels within one "
                                          "profile")
    file: StrictStr | None = Field(
        None, description="where the fielded design is kept (read if it exists; dce never "
                          "writes it: copy a run's design.csv there to field it)")
    format: Literal["auto", "dce", "ngene", "sawtooth", "idefix", "cbctools"] = Field(
        "auto", description="layout of `design.file`: `dce` (block, task, alternative, "
        "attributes), `ngene`, `sawtooth` (CBC design export), `idefix` or `cbctools`; "
        "`auto` recognises it from the header (docs/designs.md)")
    level_codes: Literal["auto", "values", "one-based", "zero-based"] = Field(
        "auto", description="how an imported design writes levels: `values` (the levels "
        "themselves), `one-based` (1..n in declared order), `zero-based` (0..n-1); `auto`: "
        "values when every cell of a column is a level, else codes (zero-based when a 0 "
        "appears); Sawtooth files are one-based")
    starts: StrictInt = Field(
        4, ge=1, description="random starts of the efficient-design search")
    time_limit: Number | None = Field(
        None, gt=0, description="seconds allowed for the design search")
    no_dominance: StrictBool = Field(
        False, description="the search of `orthogonal`, `d-efficient` and `bayesian` designs "
                           "avoids tasks where one alternative dominates (by the priors)")
    max_overlap: StrictInt | None = Field(
        None, ge=0, description="the largest number of attributes that may be constant within "
                                "a task (`orthogonal`, `d-efficient` and `bayesian` designs)")
    level_balance: Literal["strict", "near", "none"] = Field(
        "near", description="level counts of `d-efficient` and `bayesian` designs (over all "
                            "tasks and blocks): `strict` each level of an attribute appears "
                            "floor(n/L) or ceil(n/L) times (n = tasks x blocks x "
                            "alternatives, L its levels); `near` each level appears at least "
                            "max(1, floor(n/(2L))) and at most ceil(3n/(2L)) times; `none` "
                            "no constraint (levels may be left out)")
    items_per_set: StrictInt | None = Field(
        None, ge=2, description="best-worst / ranking: items shown per set")
    sets: StrictInt | None = Field(
        None, ge=1, description="best-worst / ranking: number of sets (all blocks together)")
    # ----- validity tasks and fielding order (dce.design.validity, dce.design.randomize)
    dominance_tasks: StrictInt = Field(
        0, ge=0, le=50, description="tasks added to each block in which one alternative "
        "dominates the others (better on at least two attributes, worse on none, by "
        "`data.preference_order` or else the signs of the priors); marked `dominance` in "
        "design.csv's `task_type`")
    repeat_tasks: StrictInt = Field(
        0, ge=0, le=50, description="choice tasks of each block shown again at the end of "
        "the block; marked `repeat` in `task_type`, with the original's task in `repeat_of`")
    repeat_swap: StrictBool = Field(
        False, description="show a repeated task with its generic alternatives in reverse "
                           "order (tests consistency, not position)")
    randomize: RandomizeSpec | None = Field(
        None, description="seeded orders of tasks and alternatives per block version, e.g. "
                          "`{tasks: true, alternatives: true, versions: 4}`")


class RespondentsSpec(_Strict):
    """A table of respondent characteristics: one row per respondent, with their group and
    covariates."""

    file: StrictStr = Field(description="CSV (or Parquet `.parquet` / Feather `.feather` "
                            "file) with one row per respondent")
    id: StrictStr = Field("respondent", description="respondent id column")
    group: StrictStr = Field(
        "group", description="group column (models are fitted per group with `model.by`)")


class ChoiceColumns(_Strict):
    """Names of the columns of the choices file."""

    respondent: StrictStr = Field("respondent", description="respondent id")
    task: StrictStr = Field("task", description="task (choice set) number within a block")
    alternative: StrictStr = Field(
        "alternative", description="alternative number within the task")
    chosen: StrictStr = Field(
        "chosen", description="1 for the chosen row, 0 otherwise (long)")
    block: StrictStr | None = Field(
        None, description="block number (needed when tasks are numbered within blocks)")
    group: StrictStr | None = Field(
        None, description="respondent group, when there is no `respondents:` table")
    tasks: list[StrictStr] | StrictStr | None = Field(
        None, description="wide format: the task columns (a list, or a prefix such as `Q`)")
    item: StrictStr = Field("item", description="best-worst / ranking: the item of a row")
    best: StrictStr = Field(
        "best", description="best-worst: 0/1 (long) or the best item (wide)")
    worst: StrictStr = Field(
        "worst", description="best-worst: 0/1 (long) or the worst item (wide)")
    rank: StrictStr = Field("rank", description="ranking: 1 = first; empty = not ranked")
    version: StrictStr | None = Field(
        None, description="block version of a randomised design (`design.randomize`): "
                          "`task` and `alternative` are then the positions shown, mapped back "
                          "to the design's")


class OptOutSpec(_Strict):
    """How the data name the opt-out: by one of its number or its label."""

    alternative: StrictInt | None = Field(
        None, ge=1, description="the opt-out's alternative number, in the `alternative` "
                                "column (long) or a task cell (wide)")
    label: StrictStr | None = Field(
        None, min_length=1, description="the text that marks the opt-out in the "
                                        "`alternative` column (long) or a task cell (wide), "
                                        "e.g. `Neither`")


class ChoicesSpec(_Strict):
    """Observed responses: the survey export and how to read it."""

    file: StrictStr = Field(description="CSV of responses (or a Parquet `.parquet` / "
                            "Feather `.feather` file of the same table)")
    format: Literal["long", "wide", "qualtrics", "sawtooth"] = Field(
        "long", description="`long`: one row per respondent x task x alternative; `wide`: "
                            "one row per respondent; `qualtrics`: a Qualtrics CSV export "
                            "(wide, respondent `ResponseId`); `sawtooth`: a Sawtooth CBC "
                            "export, one row per concept (docs/data.md)")
    columns: ChoiceColumns = Field(
        default_factory=ChoiceColumns, description="names of the columns in your file")
    opt_out: Literal["empty"] | OptOutSpec | None = Field(
        None, description="how the data mark the opt-out (no-choice) answer: `{alternative: "
        "3}` (its alternative number), `{label: Neither}` (the text in the alternative column "
        "or task cell) or `empty` (long data: rows whose attribute cells are all empty); it "
        "gets the constant `asc[opt_out]` (docs/data.md) (default: `empty` in long data; in "
        "wide data the number of the design's opt-out alternative)")
    missing: Literal["drop", "error"] = Field(
        "drop", description="a task without an answer (wide: an empty or `NA` cell; long: no "
        "row with chosen = 1): `drop` leaves it out, counted in data_summary.json and the "
        "report, with a warning; `error` stops with one located message per such task")
    delimiter: StrictStr = Field(",", description="one character, e.g. `;` or `\"\\t\"`")
    skip_rows: StrictInt | list[StrictInt] | None = Field(
        None, description="rows under the header that are not answers: a number n (the n "
        "rows right under the header) or the file's line numbers (header = line 1), e.g. "
        "`[2, 3]`; default: Qualtrics' question-text and `{\"ImportId\": ...}` rows are "
        "recognised and skipped")
    chosen_by: Literal["number", "label"] = Field(
        "number", description="wide and `qualtrics` data: the task cells hold the chosen "
        "alternative's `number`, or its `label` (from `choices.labels`, else `design.labels` "
        "and the opt-out label)")
    labels: dict[StrictStr, StrictInt] | None = Field(
        None, description="`chosen_by: label`: the text of each answer and the alternative "
        "number it stands for, e.g. `{Option A: 1, Option B: 2, Neither: 3}`")


class GroupSimulation(_Strict):
    """Synthetic respondents of one group: how many, and the utilities they choose by."""

    respondents: StrictInt = Field(ge=1, description="number of simulated respondents")
    utilities: dict[str, Number | dict[str, Number]] = Field(
        default_factory=dict, description="part-worths by level (only differences matter), a "
        "slope for a linear attribute, `opt_out` for the opt-out constant; one number per item "
        "in item studies. Labelled designs: `asc: {<label>: constant}` and, for an "
        "alternative-specific attribute, one entry per label keyed `<attribute>@<label>`")
    scale: Number = Field(
        1.0, gt=0, description="multiplies every utility (a smaller scale means noisier "
                               "choices)")
    heterogeneity: dict[str, Number] = Field(
        default_factory=dict, description="standard deviation of normal variation per "
                                          "respondent, by attribute (by item in item studies)")
    worst_scale: Number = Field(
        1.0, gt=0, description="best-worst: scale of worst choices relative to best")


class SimulateSpec(_Strict):
    """Synthetic respondents, used when there is no ``choices:`` section."""

    groups: dict[str, GroupSimulation] = Field(
        min_length=1, description="one entry per simulated group, keyed by the group name "
                                  "(`all` is reserved for the pooled model)")


class ModelSpec(_Strict):
    """The choice model fitted to the responses."""

    type: ModelType = Field(
        "conditional_logit", description="`conditional_logit`, `mixed_logit` or `latent_class` "
        "(the conditional logits per group stay the source of the group tables; the latent "
        "class model adds the segment tables)")
    engine: EngineType = Field(
        "native", description="`native` or `pylogit`")
    by: StrictStr | None = Field(
        None, description="`group`: fit one model per respondent group (plus a pooled model "
                          "`all`)")
    se: VcovType = Field(
        "cluster", description="`cluster` (by respondent), `robust` or `classic` standard "
                               "errors")
    constants: list[StrictInt] = Field(
        default_factory=list, description="alternative-specific constants for these "
                                          "alternative numbers (labelled designs: every "
                                          "alternative but the first when left out)")
    alternative_specific: list[StrictStr] = Field(
        default_factory=list, description="labelled designs: attributes with one set of "
        "coefficients per alternative they appear in, named `<term>@<label>` (`cost@NHS "
        "group`, `quality[High]@online forum`)")
    random: dict[str, Distribution] = Field(
        default_factory=dict, description="mixed logit: distribution of each random term "
        "(`normal`, `lognormal`, `triangular`); a lognormal term's row and its `sd[...]` row "
        "are the mean and SD of the log of its (always positive) coefficient, whose mean "
        "`exp(mu + s^2/2)` the trade-offs, reference levels and heterogeneity table use")
    correlated: StrictBool = Field(
        False, description="mixed logit: full covariance of the random terms")
    draws: StrictInt = Field(
        500, ge=1, description="mixed logit: simulation draws per respondent")
    draw_type: DrawType = Field(
        "sobol", description="mixed logit: `halton` or `sobol`")
    space: SpaceType = Field(
        "preference", description="mixed logit: `preference`, or `wtp` (willingness-to-pay "
        "space, Train and Weeks 2005): utility `lambda (sum w_k x_k - price)`, the estimates "
        "of the other terms are values in units of `model.price` and the price term's "
        "row, `lambda`, is the scale `lambda` (with the price listed in `random` as "
        "`lognormal`, `lambda` and `sd[lambda]` are the mean and SD of `log lambda`)")
    price: StrictStr | None = Field(
        None, description="`space: wtp`: the price attribute (linear coding); list it in "
                          "`random` as `lognormal` for a lognormal price coefficient, else it "
                          "is fixed")
    scale_heterogeneity: ScaleHeterogeneity = Field(
        "none", description="mixed logit with scale heterogeneity (G-MNL, Fiebig et al. "
        "2010): `none`, `smnl` (scale only: no `random` terms), `gmnl` (estimates `tau` and "
        "`logit[gamma]`) or `gmnl2` (gamma = 0)")
    interactions: list[list[StrictStr]] = Field(
        default_factory=list, description="attribute x covariate interactions, e.g. "
                                          "`[[similar, age_group]]`")
    bw_model: BestWorstModel = Field(
        "sequential", description="best-worst: `sequential` or `maxdiff`")
    worst_scale: Literal["fixed", "estimate"] = Field(
        "fixed", description="best-worst: `fixed` or `estimate` the relative scale of worst "
                             "choices")
    top_k: StrictInt | None = Field(
        None, ge=1, description="ranking: use only the first k ranks")
    reference_item: StrictStr | None = Field(
        None, description="item studies: the item whose utility is fixed at 0 (default: last "
                          "item)")
    include_validity_tasks: StrictBool = Field(
        False, description="fit the models on the dominance and repeated tasks too (they "
                           "always feed the data-quality checks)")
    on_separation: Literal["stop", "warn"] = Field(
        "stop", description="data whose likelihood has no maximum (a level or item always "
                            "or never chosen): `stop` with an error naming them, or `warn`, "
                            "finish the run, mark the diverging estimates `separated` in "
                            "estimates.csv and every importance, trade-off, relative-utility "
                            "and choice-share row of that group, leave the group out of the "
                            "group comparisons, and report it not converged")
    # ----- latent class (dce.models.latent_class; type: latent_class only) ------------------
    classes: StrictInt | list[StrictInt] = Field(
        2, description="latent class: number of preference classes (1 to 20), or a range `[lo, "
        "hi]` whose every count is fitted and the one with the smallest `class_criterion` "
        "kept (class_selection.csv lists them all)")
    class_criterion: ClassCriterion = Field(
        "bic", description="latent class: criterion that chooses the number of classes from "
        "a range (`bic`, `caic` or `aic3`; respondents as the sample size)")
    starts: StrictInt = Field(
        20, ge=1, description="latent class: seeded random starts of EM and the Newton polish "
        "per model; the share that reach the best log-likelihood is reported")
    membership: list[StrictStr] = Field(
        default_factory=list, description="latent class: columns of the respondents table "
        "(or `group`) that predict class membership in a multinomial logit; `group` is used "
        "by the pooled model only, as it is constant within a group's own model (default: "
        "constant class shares)")
    scale_classes: StrictInt = Field(
        1, ge=1, description="latent class: scale classes crossed with the preference "
        "classes; more than 1 fits the scale-adjusted latent class model (Magidson and "
        "Vermunt 2007)")


class ImportanceSpec(_Strict):
    """Attribute importance and its intervals."""

    method: Literal["range"] = Field(
        "range", description="an attribute's part-worth range as a share of the sum of ranges")
    intervals: IntervalMethod = Field(
        "krinsky-robb", description="`krinsky-robb`, `bootstrap` (by respondent) or `delta`")
    draws: StrictInt = Field(
        2000, ge=10, le=1_000_000, description="Krinsky-Robb draws or bootstrap replicates")
    level: Number = Field(
        0.95, gt=0, lt=1, description="interval level (also used for the comparison "
                                      "sentences)")


class TradeoffSpec(_Strict):
    """Values in units of one linear attribute (willingness to wait or pay)."""

    denominator: StrictStr | None = Field(
        None, description="linear attribute in whose units the other changes are valued "
                          "(default: the `cost` attribute)")


class ScenarioSpec(_Strict):
    """One service profile whose uptake is predicted."""

    name: StrictStr = Field(description="name of the profile in uptake.csv and the report")
    levels: dict[str, Level] = Field(description="the level of each attribute in the profile")


class ScenariosSpec(_Strict):
    """Service profiles whose uptake is predicted."""

    alternatives: list[ScenarioSpec] = Field(
        min_length=1, description="list of profiles, each with a `name` and the `levels` of "
                                  "every attribute")
    opt_out: StrictBool = Field(
        False, description="include the opt-out in the predicted shares")


class PowerSpec(_Strict):
    """Sample-size study for ``dce power``: simulated studies at several sample sizes."""

    sample_sizes: list[StrictInt] = Field(
        min_length=1, description="respondents per group to simulate")
    replications: StrictInt = Field(
        100, ge=2, le=100_000, description="simulated studies per sample size")
    alpha: Number = Field(0.05, gt=0, lt=1, description="significance level")
    top_k: StrictInt = Field(
        3, ge=1, description="probability that the top k ranking is recovered")
    pairs: Literal["all"] | list[list[StrictStr]] | None = Field(
        None, description="group pairs for the Swait-Louviere power (`all` or a list of "
                          "pairs)")


class ParallelSpec(_Strict):
    """Workers for the Monte Carlo steps; the numbers do not depend on them."""

    backend: Literal["local", "dask"] = Field(
        "local", description="`local` processes or `dask`")
    scheduler: StrictStr | None = Field(
        None, description="dask scheduler address, e.g. `tcp://127.0.0.1:8786`")
    jobs: StrictInt = Field(
        1, ge=-1, description="parallel workers (`-1` = all cores); the numbers do not "
                              "depend on it")


class CompareSpec(_Strict):
    """Which groups are compared, and how."""

    pairs: Literal["all"] | list[list[StrictStr]] = Field(
        "all", description="`all` pairs of groups, or a list such as "
                           "`[[public_used, health_workforce]]`")
    group_specific: list[StrictStr] = Field(
        default_factory=list,
        description="attributes (items) whose coefficients may differ between the two groups "
                    "of a pair in the scale comparison: the equal-preferences test and the "
                    "relative scale then rest on the other attributes. Constants (`asc[...]`, "
                    "the opt-out) are always group-specific")
    anchor: StrictStr | None = Field(
        None, description="item studies: the item whose utility, measured from the reference "
                          "item, is the unit of the relative utilities that groups are "
                          "compared on (default: the pooled model's most preferred item)")


class DataSpec(_Strict):
    """Data-quality checks (dce.data.quality): exclude respondents who fail them, and the a
    priori order of levels that defines dominance tasks."""

    exclude_failed_checks: StrictBool = Field(
        False, description="refit without respondents who failed a check; the report then "
                           "shows results with and without them, and `all_respondents/` keeps "
                           "the tables with everyone")
    preference_order: dict[str, Literal["increasing", "decreasing"]] = Field(
        default_factory=dict, description="a priori order of levels per attribute: "
        "`increasing` (later levels, larger numbers are better) or `decreasing`")


class ReportSpec(_Strict):
    """Wording of report.html / report.md."""

    title: StrictStr | None = Field(
        None, description="title of report.html / report.md (default: \"Discrete-choice "
                          "experiment: <name>\")")
    group_labels: dict[str, StrictStr] = Field(
        default_factory=dict, description="readable group names, e.g. `{public_used: People "
        "who have used peer support}` (default: group names with `_` as spaces)")


class ConfigModel(_Strict):
    """Top level of a dce config file (schema_version 1)."""

    schema_version: Literal[1] = Field(description="always `1`")
    name: StrictStr = Field(
        pattern=r"^[A-Za-z0-9_-]+$", description="run name: letters, digits, `_` and `-`")
    seed: StrictInt = Field(
        ge=0, description="root seed of every random step (design search, simulation, "
                          "intervals, bootstrap)")
    output: StrictStr | None = Field(
        None, description="run folder of `dce run` and `dce fit`; `dce design`, `cards`, "
                          "`simulate` and `power` write `<output>-<command>` next to it; "
                          "`--output DIR` overrides it (default: `results/<name>/` in the "
                          "working folder)")
    type: Literal["dce", "best-worst", "ranking"] = Field(
        "dce", description="`dce` (profiles of attributes), `best-worst` (object case) or "
                           "`ranking`")
    attributes: dict[str, AttributeSpec] | None = Field(
        None, description="the attributes of a `dce` study (mapping; its order is the order "
                          "of every table)")
    items: dict[str, ItemSpec] | None = Field(
        None, description="the objects of a `best-worst` or `ranking` study (mapping; `label` "
                          "only)")
    design: DesignSpec | None = Field(
        None, description="how the choice sets are made, or the file holding them")
    respondents: RespondentsSpec | None = Field(
        None, description="a table of respondent characteristics (group, covariates)")
    choices: ChoicesSpec | None = Field(
        None, description="observed responses (your survey export)")
    simulate: SimulateSpec | None = Field(
        None, description="synthetic respondents, when there is no `choices:`")
    model: ModelSpec = Field(default_factory=ModelSpec, description="the choice model")
    importance: ImportanceSpec = Field(
        default_factory=ImportanceSpec, description="attribute importance and its intervals")
    compare: CompareSpec = Field(
        default_factory=CompareSpec, description="which groups to compare")
    parallel: ParallelSpec = Field(
        default_factory=ParallelSpec, description="workers for Monte Carlo steps")
    tradeoffs: TradeoffSpec = Field(
        default_factory=TradeoffSpec, description="values in units of one linear attribute "
                                                  "(willingness to wait or pay)")
    scenarios: ScenariosSpec | None = Field(
        None, description="service profiles whose uptake is predicted")
    power: PowerSpec | None = Field(None, description="sample-size study for `dce power`")
    data: DataSpec = Field(
        default_factory=DataSpec, description="data-quality checks and exclusions")
    report: ReportSpec = Field(
        default_factory=ReportSpec, description="wording of report.html / report.md")


# ----- JSON Schema export (`dce schema`) ------------------------------------------------
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict:
    """The JSON Schema of a dce config, as ``dce schema`` prints it.

    Returns
    -------
    dict
        A JSON-serialisable JSON Schema (draft 2020-12) of the config format: unknown keys are
        not allowed, and every key carries its ``description`` (and each section the
        docstring of its model).
    """
    body = ConfigModel.model_json_schema()
    return {"$schema": DRAFT, "title": "dce config (schema_version 1)", **body}
