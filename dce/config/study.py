"""Read a YAML config into a validated, immutable :class:`Study`.

Every problem found is reported at once, each with the file, the line and the key:
``error: configs/x.yaml:12: design.tasks: expected a whole number, found 'twelve'``.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from dce.config.schema import ConfigModel
from dce.config.yamlio import dotted, line_of, load_yaml
from dce.core.attributes import Attribute
from dce.errors import ConfigError, Problem


@dataclass(frozen=True)
class Study:
    """A validated config: typed settings, coded attributes and resolved paths.

    Made by :func:`load_config`, :func:`parse_config` or :meth:`from_dict`; immutable.

    Parameters
    ----------
    config_file : pathlib.Path
        Absolute path of the config file; relative paths in the config start at its folder.
    display_name : str
        The file name as the user gave it, used in problem messages.
    spec : ConfigModel
        The typed settings (:mod:`dce.config.schema`).
    attributes : tuple of dce.core.attributes.Attribute
        The attributes of a ``dce`` study with their coding, in config order (empty for item
        studies).
    raw : dict
        The config as read from YAML, before defaults are filled in.
    lines : dict
        Key path (tuple of keys and list positions) -> 1-based line in the file.
    text : str
        The config text, for :attr:`config_hash`.
    """

    config_file: Path
    display_name: str
    spec: ConfigModel
    attributes: tuple[Attribute, ...]
    raw: dict = field(repr=False)
    lines: dict = field(repr=False, compare=False)
    text: str = field(repr=False, compare=False)

    @property
    def name(self) -> str:
        """The run name (``name:``), a str of letters, digits, ``_`` and ``-``."""
        return self.spec.name

    @property
    def seed(self) -> int:
        """The root seed (``seed:``), an int >= 0, of every random step of the run."""
        return self.spec.seed

    @property
    def base_dir(self) -> Path:
        """The config file's folder (a Path), where relative paths in the config start."""
        return self.config_file.parent

    def resolve(self, relative: str) -> Path:
        """Turn a path written in the config into an absolute path.

        Parameters
        ----------
        relative : str
            A path from the config (e.g. ``choices.file``); relative paths start at the
            config file's folder, absolute ones are kept.

        Returns
        -------
        pathlib.Path
            The absolute path (the file need not exist).
        """
        return (self.base_dir / relative).resolve()

    def line(self, *path: str | int) -> int | None:
        """The line of a key in the config file.

        Parameters
        ----------
        *path : str or int
            Keys and list positions, e.g. ``"design", "priors", "wait"``.

        Returns
        -------
        int or None
            The 1-based line of the deepest part of ``path`` present in the file; ``None``
            when the config did not come from a file (:meth:`from_dict`).
        """
        return line_of(self.lines, path)

    def problem(self, path: tuple, message: str) -> Problem:
        """A problem record located at a key of this config.

        Parameters
        ----------
        path : tuple of str or int
            The key path, e.g. ``("model", "random", "wait")``; ``()`` for the top level.
        message : str
            What is wrong and how to fix it.

        Returns
        -------
        dce.errors.Problem
            With the file's display name, the key's line and the dotted key
            (``model.random.wait``).
        """
        return Problem(message, self.display_name, self.line(*path), dotted(path))

    def attribute(self, name: str) -> Attribute:
        """The coded attribute of this name.

        Parameters
        ----------
        name : str
            An attribute name (a key of ``attributes:``).

        Returns
        -------
        dce.core.attributes.Attribute
            Its levels, coding and reference level.

        Raises
        ------
        KeyError
            If the study has no attribute ``name``.
        """
        for a in self.attributes:
            if a.name == name:
                return a
        raise KeyError(name)

    @property
    def alternative_labels(self) -> dict:
        """Labelled designs: alternative number (1-based) -> label; empty when generic."""
        d = self.spec.design
        return {j + 1: lab for j, lab in enumerate((d.labels if d is not None else None)
                                                    or [])}

    @property
    def constants(self) -> tuple:
        """Alternative numbers with a constant ``asc[...]``: ``model.constants``, or in a
        labelled design without it every alternative but the first."""
        if self.spec.model.constants or not self.alternative_labels:
            return tuple(self.spec.model.constants)
        return tuple(sorted(self.alternative_labels))[1:]

    @property
    def config_hash(self) -> str:
        """SHA-256 of the config text, 64 hexadecimal characters (recorded in run manifests)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, data: dict, base_dir: str | Path = ".") -> Study:
        """A Study from a mapping with the keys of a config file (no YAML, no file).

        Parameters
        ----------
        data : dict
            The config as a mapping, e.g. ``{"schema_version": 1, "name": ..., ...}``.
        base_dir : str or pathlib.Path, default "."
            The folder that paths in it (``design.file``, ``choices.file``, ...) start at.

        Returns
        -------
        Study
            The validated study; its :attr:`config_hash` is that of the mapping as sorted JSON.

        Raises
        ------
        dce.errors.ConfigError
            (a ``ValueError``) listing every problem, each naming its key.
        """
        return study_from_dict(data, base_dir)


def study_from_dict(data: dict, base_dir: str | Path = ".", *,
                    need_responses: bool = True) -> Study:
    """A Study from a mapping, as :meth:`Study.from_dict`, optionally without responses.

    ``data``, ``base_dir``, the result and the errors are those of :meth:`Study.from_dict`;
    a ``data`` that is not a mapping raises the ``ConfigError`` too.

    Parameters
    ----------
    need_responses : bool, default True
        False for a design-only study: a config without ``choices:`` or ``simulate:`` is
        then not a problem.
    """
    import json

    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping of config keys, found {type(data).__name__}",
                          key="config")
    display = "<dict>"
    config_file = (Path(base_dir) / "study.yaml").resolve()
    text = json.dumps(data, sort_keys=True, default=str)
    return _study(data, {}, text, display, config_file, need_responses)


def load_config(path: str | Path, *, need_responses: bool = False) -> Study:
    """Load and validate a config file.

    Parameters
    ----------
    path : str or pathlib.Path
        The YAML config file (UTF-8, with or without a byte-order mark).
    need_responses : bool
        True to require ``choices:`` or ``simulate:`` now (the CLI's run, fit and
        simulate); by default a design-only study loads, and :func:`dce.analyse` asks
        for responses only for the stages that need them.

    Returns
    -------
    Study
        The validated study.

    Raises
    ------
    dce.errors.ConfigError
        If the file is missing, a folder, unreadable or not UTF-8, if the YAML is invalid, or
        listing every problem of the config, each with its line and key.
    """
    display = str(path)
    file = Path(path)
    if not file.exists():
        raise ConfigError("config file not found; check the path", file=display)
    if file.is_dir():
        raise ConfigError("is a folder, expected a YAML config file", file=display)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", file=display) from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ConfigError("expected UTF-8 text, found UTF-16; save the file as UTF-8",
                          file=display, line=1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start:exc.start + 1].hex()
        column = exc.start - raw.rfind(b"\n", 0, exc.start)
        raise ConfigError(f"expected UTF-8 text, found byte 0x{bad} (column {column}); save "
                          "the file as UTF-8", file=display,
                          line=raw.count(b"\n", 0, exc.start) + 1) from None
    return parse_config(text, display, file.resolve(), need_responses=need_responses)


def parse_config(text: str, display: str, config_file: Path, *,
                 need_responses: bool = True) -> Study:
    """Validate config text that has already been read.

    Parameters
    ----------
    text : str
        The YAML text of the config.
    display : str
        The file name to show in problem messages.
    config_file : pathlib.Path
        Absolute path of the config file; relative paths in the config start at its folder.

    Returns
    -------
    Study
        The validated study, as :func:`load_config` returns it.

    Raises
    ------
    dce.errors.ConfigError
        If the YAML is invalid, empty or not a mapping, or listing every problem of the
        config, each with its line and key.
    """
    data, lines = load_yaml(text, display)
    if data is None:
        raise ConfigError("the config is empty; expected a mapping with at least "
                          "schema_version, name, seed and attributes (see "
                          "configs/peer_support.yaml for a complete example)", file=display)
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of keys (schema_version, name, seed, ...), "
                          f"found a {type(data).__name__}", file=display, line=1)
    return _study(data, lines, text, display, config_file, need_responses)


def _study(data: dict, lines: dict, text: str, display: str, config_file: Path,
           need_responses: bool = True) -> Study:
    problems = _schema_problems(data, lines, display)
    if problems:
        raise ConfigError(problems)
    spec = ConfigModel.model_validate(data)
    attributes = _attributes(spec)
    study = Study(config_file, display, spec, attributes, data, lines, text)
    problems = [p for p in _semantic_problems(study)
                if need_responses or "needs `choices:`" not in p.message]
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
    out: list[Problem] = []
    seen: set = set()
    wrong: dict[tuple, list] = {}  # path -> [expectations, found, position in out]
    for err in _closest_branches(exc.errors(), data):
        path, _ = _real_path(data, err["loc"])
        kind = err["type"]
        if kind not in ("extra_forbidden", "missing"):
            # one problem per value: the members of a union (int | float | str) each
            # report an error; together they say what the value may be
            expected = _wording(err, path)
            if path in wrong:
                if expected not in wrong[path][0]:
                    wrong[path][0].append(expected)
                continue
            wrong[path] = [[expected], err.get("input"), len(out)]
            out.append(None)
            continue
        if kind == "extra_forbidden":
            key = err["loc"][-1]
            allowed = _allowed_keys(err["loc"][:-1])
            hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            msg = f"unknown key {key!r}"
            msg += f"; did you mean {hint[0]!r}?" if hint else (
                f"; allowed keys: {', '.join(allowed)}" if allowed else "")
            path = path + (key,) if path + (key,) in lines else path
        else:
            msg = f"required key {err['loc'][-1]!r} is missing"
        if (path, msg) in seen:
            continue
        seen.add((path, msg))
        out.append(Problem(msg, display, line_of(lines, path), dotted(path) or "(top level)"))
    for path, (expected, found, at) in wrong.items():
        parts = [e.removeprefix("expected ") for e in expected]
        if "a number" in parts and "a whole number" in parts:  # int | float: any number
            parts.remove("a whole number")
        if all(e.startswith("expected ") for e in expected):
            msg = "expected " + (", ".join(parts[:-1]) + " or " if len(parts) > 1 else "") \
                + parts[-1]
        else:
            msg = "; ".join(expected)
        shown_value = repr(found)
        msg += f", found {shown_value if len(shown_value) <= 80 else shown_value[:77] + '...'}"
        out[at] = Problem(msg, display, line_of(lines, path), dotted(path) or "(top level)")
    return sorted(out, key=lambda p: p.line or 0)  # in the order of the file


def _closest_branches(errors: list, data) -> list:
    """Drop the errors of union members that the value does not resemble.

    ``priors: {x: {mean: 1, sd: -1}}`` fails as a number and as {mean, sd}; only the
    {mean, sd} error (which goes deeper into the value) helps the user.
    """
    def split(loc):
        node = data
        for i, part in enumerate(loc):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return tuple(loc[:i]), len(loc) - i  # union point, parts past it
        return tuple(loc), 0

    points = [split(err["loc"]) for err in errors]
    deep = {point for point, rest in points if rest > 1}
    return [err for err, (point, rest) in zip(errors, points, strict=True)
            if not (point in deep and rest == 1 and err["type"] != "extra_forbidden")]


_WORDS = {
    "a valid integer": "a whole number",
    "a valid number": "a number",
    "a valid string": "text",
    "a valid list": "a list such as [a, b, c]",
    "a valid dictionary": "a mapping of keys to values",
    "greater than or equal to": "a number greater than or equal to",
    "greater than": "a number greater than",
    "less than or equal to": "a number less than or equal to",
    "less than": "a number less than",
}


def _wording(err: dict, path: tuple) -> str:
    """A pydantic message in the config's terms: ``expected ..., found ...`` follows."""
    kind = err["type"]
    if path == ("schema_version",) and kind == "literal_error":
        return "this version of dce reads schema_version 1 only; expected 1"
    if kind == "string_pattern_mismatch":
        return "expected letters, digits, '_' and '-' only (no spaces)"
    msg = err["msg"][0].lower() + err["msg"][1:]
    msg = re.sub(r" or instance of \w+", "", msg.replace("input should be", "expected"))
    for old, new in _WORDS.items():
        if msg.startswith("expected " + old):
            return "expected " + new + msg[len("expected " + old):]
    return msg


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
    labels = list((spec.design.labels if spec.design is not None else None) or [])
    specific = set(spec.model.alternative_specific) if labels else set()
    for name, a in (spec.attributes or {}).items():
        coding = a.coding or ("effects" if a.levels is not None else "linear")
        levels = tuple(a.levels) if a.levels is not None else None
        if not labels:  # generic alternatives
            out.append(Attribute(name, a.label or name, coding, levels, a.reference))
            continue
        # labelled: unknown labels are reported by the checks, and left out here
        shown_in = [lab for lab in (a.alternatives or labels) if lab in labels]
        alts = tuple(labels.index(lab) + 1 for lab in shown_in)
        pairs = tuple((labels.index(lab) + 1, lab) for lab in shown_in) \
            if name in specific else ()
        out.append(Attribute(name, a.label or name, coding, levels, a.reference,
                             alternatives=None if a.alternatives is None else alts,
                             specific=pairs))
    return tuple(out)


# ----- cross-references -------------------------------------------------------------
def _semantic_problems(study: Study) -> list[Problem]:
    from dce.config.checks import check_study

    return check_study(study)


def shown(path: Path) -> str:
    """A path as the user should see it in messages.

    Parameters
    ----------
    path : pathlib.Path
        Any path, absolute or relative.

    Returns
    -------
    str
        The path relative to the working folder when that is not longer, else the path as
        given (also when no relative path exists, e.g. on another drive).
    """
    import os

    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if len(rel) <= len(str(path)) else str(path)
