"""docs/config.md and `dce schema` are made from the Field descriptions of dce.config.schema."""

import inspect
import json
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from dce.cli import main
from dce.config import schema as schema_module
from dce.config.reference import Table, config_reference, split_default, table_row
from dce.config.schema import ConfigModel, config_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "config.md"


def _models_in(annotation):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from _models_in(arg)


def config_models() -> list[type[BaseModel]]:
    """Every model reachable from the top level of a config, top level first."""
    out, todo = [], [ConfigModel]
    while todo:
        model = todo.pop(0)
        if model in out:
            continue
        out.append(model)
        for field in model.model_fields.values():
            todo.extend(_models_in(field.annotation))
    return out


MODELS = config_models()
FIELDS = [(m, name) for m in MODELS for name in m.model_fields]


def _id(item):
    model, name = item
    return f"{model.__name__}.{name}"


def test_committed_doc_is_the_generated_reference():
    assert DOC.read_text(encoding="utf-8") == config_reference(), (
        "docs/config.md is out of date; run: python -m dce.config.reference > docs/config.md")


def test_every_model_of_the_module_is_reachable_from_the_top_level():
    defined = {obj for obj in vars(schema_module).values()
               if isinstance(obj, type) and issubclass(obj, BaseModel)
               and obj.__module__ == schema_module.__name__ and not obj.__name__.startswith("_")}
    assert defined == set(MODELS)


@pytest.mark.parametrize("item", FIELDS, ids=[_id(f) for f in FIELDS])
def test_every_field_has_a_description(item):
    model, name = item
    text = model.model_fields[name].description
    assert text and text.strip(), f"{_id(item)} has no Field(description=...)"
    meaning, _ = split_default(text)
    assert meaning.strip(), f"{_id(item)}: the description is only a default"
    assert text == text.strip() and "\n" not in text


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_has_a_docstring(model):
    assert (model.__doc__ or "").strip()


@pytest.mark.parametrize("item", FIELDS, ids=[_id(f) for f in FIELDS])
def test_every_field_has_its_row_in_the_doc(item):
    model, name = item
    doc = DOC.read_text(encoding="utf-8")
    assert table_row(model, name) + "\n" in doc


def _schema_node(schema: dict, model: type[BaseModel]) -> dict:
    return schema if model is ConfigModel else schema["$defs"][model.__name__]


def test_dce_schema_carries_the_descriptions(capsys):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == config_schema()
    for model in MODELS:
        node = _schema_node(printed, model)
        assert node.get("description") == inspect.cleandoc(model.__doc__), model.__name__
        for name, field in model.model_fields.items():
            assert node["properties"][name].get("description") == field.description, \
                f"{model.__name__}.{name}"


@pytest.mark.parametrize("description, meaning, default", [
    ("base level of effects or dummy coding (default: first level)",
     "base level of effects or dummy coding", "first level"),
    ("`normal` (by respondent)", "`normal` (by respondent)", None),
    ('title (default: "Discrete-choice experiment: <name>")', "title",
     '"Discrete-choice experiment: <name>"'),
])
def test_split_default(description, meaning, default):
    assert split_default(description) == (meaning, default)


def test_rows_render_defaults_as_yaml():
    from dce.config.schema import DesignSpec, GroupSimulation, ModelSpec

    assert table_row(DesignSpec, "alternatives").startswith("| `alternatives` | `2` | ")
    assert table_row(DesignSpec, "no_dominance").startswith("| `no_dominance` | `false` | ")
    assert table_row(DesignSpec, "opt_out").startswith("| `opt_out` | | ")
    assert table_row(GroupSimulation, "scale").startswith("| `scale` | `1` | ")
    assert table_row(GroupSimulation, "respondents").startswith("| `respondents` | (required) | ")
    assert table_row(ModelSpec, "reference_item").startswith("| `reference_item` | last item | ")


def test_a_table_naming_an_unknown_key_fails():
    with pytest.raises(KeyError, match="tasks_per_block"):
        Table(ConfigModel, order=("tasks_per_block",)).rows()
