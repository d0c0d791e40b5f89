"""Read a YAML config into a validated, immutable :class:`Study`.

Every problem found is reported at once, each with the file, the line and the key:
``error: configs/x.yaml:12: design.tasks: expected a whole number, found 'twelve'``.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from dce.attributes import Attribute
from dce.config_models import ConfigModel
from dce.errors import ConfigError, Problem
from dce.yamlio import dotted, line_of, load_yaml



@dataclass(frozen=True)
class Study:
    """A validated config: typed settings, coded attributes and resolved paths."""

    config_file: Path
    display_name: str
    spec: ConfigModel
    attributes: tuple[Attribute, ...]
    raw: dict = field(repr=False)
    lines: dict = field(repr=False, compare=False)
    text: str = field(repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def seed(self) -> int:
        return self.spec.seed

    @property
    def base_dir(self) -> Path:
        return self.config_file.parent

    def resolve(self, relative: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        return (self.base_dir / relative).resolve()

    def line(self, *path) -> int | None:
        return line_of(self.lines, path)

    def problem(self, path: tuple, message: str) -> Problem:
        return Problem(message, self.display_name, self.line(*path), dotted(path))

    def attribute(self, name: str) -> Attribute:
        for a in self.attributes:
            if a.name == name:
                return a
        raise KeyError(name)

    @property
    def config_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def load_config(path: str | Path) -> Study:
    """Load and validate a config file; raise :class:`ConfigError` listing every problem."""
    display = str(path)
    file = Path(path)
    if not file.exists():
        raise ConfigError("config file not found; check the path", file=display)
    if file.is_dir():
        raise ConfigError("is a folder, expected a YAML config file", file=display)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                          file=display) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", file=display) from None
    return parse_config(text, display, file.resolve())


def parse_config(text: str, display: str, config_file: Path) -> Study:
    data, lines = load_yaml(text, display)
    if data is None:
        raise ConfigError("the config is empty; start from `dce init NAME`", file=display)
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of keys (schema_version, name, seed, ...), "
                          f"found a {type(data).__name__}", file=display, line=1)
    problems = _schema_problems(data, lines, display)
    if problems:
        raise ConfigError(problems)
    spec = ConfigModel.model_validate(data)
    attributes = _attributes(spec)
    study = Study(config_file, display, spec, attributes, data, lines, text)
    problems = _semantic_problems(study)
    if problems:
        raise ConfigError(problems)
    return study


# ----- schema (types, unknown keys) -------------------------------------------------
def _schema_problems(data: dict, lines: dict, display: str) -> list[Problem]:
    try:
        ConfigModel.model_validate(data)
    except ValidationError as exc:
        return _translate(exc, data, lines, display)
    return []


def _translate(exc: ValidationError, data, lines, display) -> list[Problem]:
    seen: set = set()
    out = []
    for err in exc.errors():
        path, parent = _real_path(data, err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            key = err["loc"][-1]
            allowed = _allowed_keys(err["loc"][:-1])
            hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            msg = f"unknown key {key!r}"
            msg += f"; did you mean {hint[0]!r}?" if hint else (
                f"; allowed keys: {', '.join(allowed)}" if allowed else "")
            path = path + (key,) if path + (key,) in lines else path
        elif kind == "missing":
            msg = f"required key {err['loc'][-1]!r} is missing"
        else:
            found = err.get("input")
            msg = err["msg"][0].lower() + err["msg"][1:]
            msg = msg.replace("input should be", "expected")
            if not isinstance(found, (dict, list)):
                msg += f", found {found!r}"
        ident = (path, msg.split(",")[0] if kind != "extra_forbidden" else msg)
        if (path, "any") in seen or ident in seen:
            continue
        seen.add(ident)
        if kind not in ("extra_forbidden", "missing"):
            seen.add((path, "any"))
        out.append(Problem(msg, display, line_of(lines, path), dotted(path) or "(top level)"))
    return out


def _real_path(data, loc) -> tuple[tuple, object]:
    """Keep the parts of a pydantic error location that exist in the document."""
    path, node = (), data
    for part in loc:
        if isinstance(node, dict) and part in node:
            path, node = path + (part,), node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path, node = path + (part,), node[part]
    return path, node


def _allowed_keys(loc) -> list[str]:
    """Field names of the model at a location, for "did you mean" hints."""
    model = ConfigModel
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        fld = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if fld is None:
            continue
        model = _model_in(fld.annotation)
    return sorted(model.model_fields) if model is not None and hasattr(model, "model_fields") else []


def _model_in(annotation):
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


# ----- attributes -------------------------------------------------------------------
def _attributes(spec: ConfigModel) -> tuple[Attribute, ...]:
    out = []
    for name, a in (spec.attributes or {}).items():
        coding = a.coding or ("effects" if a.levels is not None else "linear")
        levels = tuple(a.levels) if a.levels is not None else None
        out.append(Attribute(name, a.label or name, coding, levels, a.reference))
    return tuple(out)


# ----- cross-references -------------------------------------------------------------
def _semantic_problems(study: Study) -> list[Problem]:
    from dce.config_checks import check_study

    return check_study(study)


def shown(path: Path) -> str:
    """A path as the user should see it: relative to the working folder when shorter."""
    import os

    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if len(rel) <= len(str(path)) else str(path)
