"""The config reference, docs/config.md, written from the config schema.

Every ``| key | default | meaning |`` table is made from the fields of the pydantic models
in :mod:`dce.config.schema` (key, default, ``Field(description=...)``); the prose between the
tables is fixed text here. Regenerate the document after changing a field::

    python -m dce.config.reference > docs/config.md

``tests/config/test_config_docs.py`` fails when the committed document differs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dce.config.schema import (
    AttributeSpec,
    ChoiceColumns,
    ChoicesSpec,
    CompareSpec,
    ConfigModel,
    DataSpec,
    DesignSpec,
    GroupSimulation,
    ImportanceSpec,
    ItemSpec,
    ModelSpec,
    OptOutSpec,
    ParallelSpec,
    PowerSpec,
    PriorSpec,
    RandomizeSpec,
    ReportSpec,
    RespondentsSpec,
    ScenarioSpec,
    ScenariosSpec,
    SimulateSpec,
    TradeoffSpec,
)

HEADER = "| key | default | meaning |\n|---|---|---|"
_DEFAULT_IN_WORDS = re.compile(r"^(?P<meaning>.*) \(default: (?P<default>.*)\)$", re.DOTALL)


def split_default(description: str) -> tuple[str, str | None]:
    """Split a field description into its meaning and a default stated in words.

    Parameters
    ----------
    description : str
        A ``Field(description=...)`` text, e.g. ``"base level of effects or dummy coding
        (default: first level)"``.

    Returns
    -------
    tuple of (str, str or None)
        The meaning (the text before ``" (default: ...)"``) and the default in words, or the
        whole description and ``None`` when it does not end in ``(default: ...)``.
    """
    match = _DEFAULT_IN_WORDS.match(description)
    if match is None:
        return description, None
    return match["meaning"], match["default"]


def default_text(field: FieldInfo) -> str:
    """The default column of a field's row: what applies when the key is left out.

    Parameters
    ----------
    field : pydantic.fields.FieldInfo
        A field of one of the config models.

    Returns
    -------
    str
        The default stated in words at the end of the description, else ``(required)`` for a
        required key, else the default value as YAML in backticks (``2``, ``false``,
        ``random``); empty when the default is no value (``null``, an empty list or mapping,
        or a whole section).
    """
    _, words = split_default(field.description or "")
    if words is not None:
        return words
    if field.is_required():
        return "(required)"
    value = field.get_default(call_default_factory=True)
    if value is None or isinstance(value, BaseModel) or value in ([], {}):
        return ""
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, float):
        return f"`{value:g}`"
    if isinstance(value, (int, str)):
        return f"`{value}`"
    return f"`{json.dumps(value)}`"


def table_row(model: type[BaseModel], name: str) -> str:
    """One Markdown table row, ``| `key` | default | meaning |``, for a field of a model.

    Parameters
    ----------
    model : type of pydantic.BaseModel
        A config model, e.g. :class:`~dce.config.schema.DesignSpec`.
    name : str
        The name of one of its fields (the YAML key).

    Returns
    -------
    str
        The row, without a line break; ``|`` in a cell is escaped.

    Raises
    ------
    KeyError
        If the model has no field ``name``.
    """
    field = model.model_fields[name]
    meaning, _ = split_default(field.description or "")
    cells = [f"`{name}`", default_text(field), meaning]
    return "|" + "|".join(f" {_escaped(c)} " if c else " " for c in cells) + "|"


def _escaped(cell: str) -> str:
    return cell.replace("|", r"\|")  # a | inside a cell would end it


@dataclass(frozen=True)
class Table:
    """The ``| key | default | meaning |`` table of one config model.

    Parameters
    ----------
    model : type of pydantic.BaseModel
        The model whose fields are the rows, in the order they are declared.
    order : tuple of str
        Keys to show first, in this order (the others follow in declared order).
    nested : tuple of (str, type of pydantic.BaseModel) pairs
        Each pair puts the rows of a sub-model (e.g. the ``{mean, sd}`` of a prior) right after
        the row of the key that holds it.
    """

    model: type[BaseModel]
    order: tuple[str, ...] = ()
    nested: tuple[tuple[str, type[BaseModel]], ...] = ()

    def rows(self) -> list[str]:
        """The table's rows, one per field (and per field of the nested models).

        Returns
        -------
        list of str
            Markdown rows without line breaks, header excluded.

        Raises
        ------
        KeyError
            If ``order`` or ``nested`` names a key the model does not have.
        """
        fields = list(self.model.model_fields)
        unknown = [k for k in (*self.order, *(k for k, _ in self.nested)) if k not in fields]
        if unknown:
            raise KeyError(f"{self.model.__name__} has no field {unknown[0]!r}")
        keys = [*self.order, *(k for k in fields if k not in self.order)]
        inner = dict(self.nested)
        out = []
        for key in keys:
            out.append(table_row(self.model, key))
            if key in inner:
                out.extend(table_row(inner[key], k) for k in inner[key].model_fields)
        return out

    def render(self) -> str:
        """The table as Markdown.

        Returns
        -------
        str
            The header, the separator and the rows, joined by line breaks (no final one).
        """
        return "\n".join([HEADER, *self.rows()])


_INTRO = """\
<!-- Generated from dce/config/schema.py by `python -m dce.config.reference > docs/config.md`;
edit the Field descriptions there (or the prose in dce/config/reference.py), not this file. -->

# Config reference

A dce study is one YAML file. Paths inside it are relative to the file's folder. Unknown keys
are errors (with a "did you mean" suggestion), so a typo never silently changes an analysis.
`dce validate CONFIG` checks a config (and its data) without writing anything; `dce schema`
prints the JSON Schema of this format. To let an editor (VS Code with the YAML extension,
PyCharm, Neovim with yaml-language-server) complete and check keys as you type:

```bash
dce schema > dce-config.schema.json
```

and put this first line in the config (`dce init` does it for you):

```yaml
# yaml-language-server: $schema=dce-config.schema.json
```

YAML is read as YAML 1.2: only `true`/`false` are booleans, so levels such as `No` and `Yes`
stay text. `dce init NAME` writes a commented starter config that runs as written.

The meanings in the tables below are the descriptions in that JSON Schema, so an editor
shows the same text when you hover over a key."""

_CHOICES_NOTE = """\
In long format, rows whose attribute cells are all empty are opt-out rows unless `opt_out`
names the opt-out otherwise; [data.md](data.md) gives the rules for opt-out and missing
answers. In wide format the fielded design (`design.file`) supplies the attribute levels."""

_DATA_CHECKS = """\
## `data`: data-quality checks

Every run checks each respondent (see `data_quality.csv` and the report's Data quality
section):

- **same position**: every choice was the same alternative (always the first option) over
  at least 4 tasks; a failure;
- **always opted out**: reported, not a failure;
- **never traded**: on some attribute, in every one of at least 6 tasks where the
  alternatives differed on it, the alternative with its better level was chosen (for a
  two-level attribute: always the same level). Reported, never excluded: a strong preference
  is a legitimate answer;
- **dominance**: in a task where one alternative is at least as good on every attribute and
  better on at least two (by `preference_order`, else the signs of the design priors), the
  dominated alternative was chosen; a failure;
- **repeated task**: the same choice set shown twice (in any order) was answered differently;
  a failure.

When the design has validity tasks (`design.dominance_tasks`, `design.repeat_tasks`; marked
in design.csv's `task_type` and `repeat_of`), the dominance check uses only the tasks marked
`dominance` (an opt-out answer there is not a failure), the repeat check compares each task
marked `repeat` with its original, and never-traded counts only the choice tasks. The models
leave the validity tasks out unless `model.include_validity_tasks` is on. See
[reliability.md](reliability.md#validity-tasks)."""

_RANDOMIZE_NOTE = """\
With `design.randomize`, `tasks`, `alternatives`, `versions`, `seed` and `file` above are its
keys. Each block gets `versions` orders, drawn from `design.randomize.seed` (default: the config
seed) or read from `design.randomize.file` (the `fielding_order.csv` or `survey.csv` of the run
that made them); survey.csv, `cards/` (one page per block and version) and
`fielding_order.csv` show them, with the design's task and alternative of every position
shown. Simulated respondents take the versions of their block in turn. Responses recorded as
shown name their version in `choices.columns.version`; the readers map the positions back to
the design's tasks and alternatives, so the estimates do not depend on the order. Such data
need the orders pinned by `file` (safest) or `seed`, so that changing the config's `seed`
cannot change them. Without that column the data must give the design's task and alternative
(as when the survey platform randomises per respondent and records the design's numbers)."""

_TOP_LEVEL_ORDER = ("schema_version", "name", "seed", "output", "type", "attributes", "items",
                    "design", "respondents", "choices", "simulate", "model", "importance",
                    "compare", "tradeoffs", "scenarios", "power", "parallel", "data", "report")

# the document, in order: fixed Markdown blocks and generated tables
PARTS: tuple[str | Table, ...] = (
    _INTRO,
    "## Top level", Table(ConfigModel, order=_TOP_LEVEL_ORDER),
    "## `attributes`",
    "One entry per attribute, keyed by the name used in data columns and term names.",
    Table(AttributeSpec),
    "## `items` (best-worst and ranking studies)", Table(ItemSpec),
    "## `design`", Table(DesignSpec, nested=(("priors", PriorSpec),
                                             ("randomize", RandomizeSpec))),
    _RANDOMIZE_NOTE,
    "## `respondents`", Table(RespondentsSpec),
    "## `choices`", Table(ChoicesSpec, nested=(("opt_out", OptOutSpec),)),
    "`columns`:", Table(ChoiceColumns),
    _CHOICES_NOTE,
    "## `simulate`", Table(SimulateSpec),
    "`groups` maps each group name to:", Table(GroupSimulation),
    "## `model`", Table(ModelSpec),
    "## `importance`", Table(ImportanceSpec),
    "## `compare`", Table(CompareSpec),
    "How groups are compared, and the rule behind every sentence of the report's comparison\n"
    "section, is in [report.md](report.md).",
    "## `tradeoffs`", Table(TradeoffSpec),
    "## `scenarios`", Table(ScenariosSpec, nested=(("alternatives", ScenarioSpec),)),
    "## `power` (for `dce power`)", Table(PowerSpec),
    "## `parallel`", Table(ParallelSpec),
    _DATA_CHECKS, Table(DataSpec),
    "## `report`", Table(ReportSpec),
    "All config text is escaped in report.html (a label containing `<script>` is shown, never\n"
    "run) and in report.md.",
)


def config_reference() -> str:
    """The text of docs/config.md, made from the config schema.

    Returns
    -------
    str
        Markdown: the fixed prose of :data:`PARTS` and one ``| key | default | meaning |``
        table per config model, blocks separated by a blank line, ending in a line break.

    Raises
    ------
    KeyError
        If a table names a key its model does not have (see :meth:`Table.rows`).
    """
    blocks = [p.render() if isinstance(p, Table) else p for p in PARTS]
    return "\n\n".join(blocks) + "\n"


if __name__ == "__main__":
    print(config_reference(), end="")
