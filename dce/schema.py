"""The JSON Schema of the config format, for editors and validators (`dce schema`)."""

from __future__ import annotations

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict:
    """JSON Schema (draft 2020-12) of a dce config; unknown keys are not allowed."""
    from dce.config_models import ConfigModel

    body = ConfigModel.model_json_schema()
    return {"$schema": DRAFT, "title": "dce config (schema_version 1)", **body}
