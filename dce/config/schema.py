"""Typed schema of the YAML config (pydantic) and its JSON Schema export. Unknown keys are
rejected.

The models only check shapes and types; cross-references (levels named in ``exclude``
or ``utilities``, priors naming terms, ...) are checked in :mod:`dce.config.study`.
"""

from __future__ import annotations

from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from dce.core.options import VcovType

Level = Union[StrictInt, StrictFloat, StrictStr]
Number = Union[StrictInt, StrictFloat]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AttributeSpec(_Strict):
    label: StrictStr | None = None
    levels: list[Level] | None = None
    coding: Literal["effects", "dummy", "linear"] | None = None
    reference: Level | None = None
    cost: StrictBool = False


class ItemSpec(_Strict):
    label: StrictStr | None = None


class PriorSpec(_Strict):
    mean: Number
    sd: Number = Field(ge=0)


class DesignSpec(_Strict):
    method: Literal["full-factorial", "random", "orthogonal", "d-efficient", "bayesian"] = "random"
    alternatives: StrictInt = Field(2, ge=2, le=20)
    opt_out: StrictStr | None = None
    tasks: StrictInt | None = Field(None, ge=1)
    blocks: StrictInt = Field(1, ge=1)
    priors: dict[str, Number | PriorSpec] = Field(default_factory=dict)
    prior_draws: StrictInt = Field(200, ge=1)
    exclude: list[dict[str, Level]] = Field(default_factory=list)
    file: StrictStr | None = None
    starts: StrictInt = Field(4, ge=1)
    time_limit: Number | None = Field(None, gt=0)
    no_dominance: StrictBool = False  # search: no task where one alternative dominates
    max_overlap: StrictInt | None = Field(None, ge=0)  # attributes constant within a task
    items_per_set: StrictInt | None = Field(None, ge=2)
    sets: StrictInt | None = Field(None, ge=1)


class RespondentsSpec(_Strict):
    file: StrictStr
    id: StrictStr = "respondent"
    group: StrictStr = "group"


class ChoiceColumns(_Strict):
    respondent: StrictStr = "respondent"
    task: StrictStr = "task"
    alternative: StrictStr = "alternative"
    chosen: StrictStr = "chosen"
    block: StrictStr | None = None
    group: StrictStr | None = None
    tasks: list[StrictStr] | StrictStr | None = None
    item: StrictStr = "item"      # item studies: the item of a row
    best: StrictStr = "best"      # best-worst: 0/1 (long) or the best item (wide)
    worst: StrictStr = "worst"    # best-worst: 0/1 (long) or the worst item (wide)
    rank: StrictStr = "rank"      # ranking: 1 = first; empty = not ranked


class ChoicesSpec(_Strict):
    file: StrictStr
    format: Literal["long", "wide"] = "long"
    columns: ChoiceColumns = Field(default_factory=ChoiceColumns)
    delimiter: StrictStr = ","


class GroupSimulation(_Strict):
    respondents: StrictInt = Field(ge=1)
    utilities: dict[str, Number | dict[str, Number]] = Field(default_factory=dict)
    scale: Number = Field(1.0, gt=0)
    heterogeneity: dict[str, Number] = Field(default_factory=dict)
    worst_scale: Number = Field(1.0, gt=0)  # best-worst: scale of worst choices relative to best


class SimulateSpec(_Strict):
    groups: dict[str, GroupSimulation] = Field(min_length=1)


class ModelSpec(_Strict):
    type: Literal["conditional_logit", "mixed_logit"] = "conditional_logit"
    engine: Literal["native", "pylogit"] = "native"
    by: StrictStr | None = None
    se: VcovType = "cluster"
    constants: list[StrictInt] = Field(default_factory=list)
    random: dict[str, Literal["normal", "lognormal", "triangular"]] = Field(default_factory=dict)
    correlated: StrictBool = False
    draws: StrictInt = Field(500, ge=1)
    draw_type: Literal["halton", "sobol"] = "sobol"
    interactions: list[list[StrictStr]] = Field(default_factory=list)
    bw_model: Literal["sequential", "maxdiff"] = "sequential"  # best-worst studies
    worst_scale: Literal["fixed", "estimate"] = "fixed"  # best-worst: relative scale of worst
    top_k: StrictInt | None = Field(None, ge=1)  # ranking: use only the first k ranks
    reference_item: StrictStr | None = None  # item studies: utility fixed at 0 (default last)


class ImportanceSpec(_Strict):
    method: Literal["range"] = "range"
    intervals: Literal["krinsky-robb", "bootstrap", "delta"] = "krinsky-robb"
    draws: StrictInt = Field(2000, ge=10, le=1_000_000)
    level: Number = Field(0.95, gt=0, lt=1)


class TradeoffSpec(_Strict):
    denominator: StrictStr | None = None


class ScenarioSpec(_Strict):
    name: StrictStr
    levels: dict[str, Level]


class ScenariosSpec(_Strict):
    alternatives: list[ScenarioSpec] = Field(min_length=1)
    opt_out: StrictBool = False


class PowerSpec(_Strict):
    sample_sizes: list[StrictInt] = Field(min_length=1)
    replications: StrictInt = Field(100, ge=2, le=100_000)
    alpha: Number = Field(0.05, gt=0, lt=1)
    top_k: StrictInt = Field(3, ge=1)
    pairs: Literal["all"] | list[list[StrictStr]] | None = None


class ParallelSpec(_Strict):
    backend: Literal["local", "dask"] = "local"
    scheduler: StrictStr | None = None
    jobs: StrictInt = Field(1, ge=-1)


class CompareSpec(_Strict):
    pairs: Literal["all"] | list[list[StrictStr]] = "all"
    group_specific: list[StrictStr] = Field(
        default_factory=list,
        description="Attributes (or items) whose coefficients may differ between the two "
                    "groups of a pair in the scale comparison; the equal-preferences test "
                    "and the relative scale then rest on the other attributes. Constants "
                    "are always group-specific.")
    anchor: StrictStr | None = Field(
        None, description="Item studies: the item whose utility (measured from the "
                          "reference item) is the unit of relative utilities; default: the "
                          "pooled model's most preferred item.")


class DataSpec(_Strict):
    """Data-quality checks (dce.data.quality): exclude respondents who fail them, and the a
    priori order of levels that defines dominance tasks."""

    exclude_failed_checks: StrictBool = False
    preference_order: dict[str, Literal["increasing", "decreasing"]] = Field(
        default_factory=dict)


class ReportSpec(_Strict):
    """Wording of report.html / report.md."""

    title: StrictStr | None = None
    group_labels: dict[str, StrictStr] = Field(default_factory=dict)


class ConfigModel(_Strict):
    """Top level of a dce config file (schema_version 1)."""

    schema_version: Literal[1]
    name: StrictStr = Field(pattern=r"^[A-Za-z0-9_-]+$")
    seed: StrictInt = Field(ge=0)
    output: StrictStr | None = None
    type: Literal["dce", "best-worst", "ranking"] = "dce"
    attributes: dict[str, AttributeSpec] | None = None
    items: dict[str, ItemSpec] | None = None
    design: DesignSpec | None = None
    respondents: RespondentsSpec | None = None
    choices: ChoicesSpec | None = None
    simulate: SimulateSpec | None = None
    model: ModelSpec = Field(default_factory=ModelSpec)
    importance: ImportanceSpec = Field(default_factory=ImportanceSpec)
    compare: CompareSpec = Field(default_factory=CompareSpec)
    parallel: ParallelSpec = Field(default_factory=ParallelSpec)
    tradeoffs: TradeoffSpec = Field(default_factory=TradeoffSpec)
    scenarios: ScenariosSpec | None = None
    power: PowerSpec | None = None
    data: DataSpec = Field(default_factory=DataSpec)
    report: ReportSpec = Field(default_factory=ReportSpec)


# ----- JSON Schema export (`dce schema`) ------------------------------------------------
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict:
    """JSON Schema (draft 2020-12) of a dce config; unknown keys are not allowed."""
    body = ConfigModel.model_json_schema()
    return {"$schema": DRAFT, "title": "dce config (schema_version 1)", **body}
