"""The config stage: YAML in, a validated immutable :class:`~dce.config.study.Study` out.

``study`` (Study, load_config), ``yamlio`` (YAML with line numbers), ``schema`` (pydantic
models and the JSON Schema), ``checks`` and ``item_checks`` (cross-checks, with the pieces both
use in ``messages``), ``template`` (``dce init``), ``reference`` (docs/config.md, written from
the schema's field descriptions).
"""

from dce.config.study import load_config

__all__ = ["load_config"]
