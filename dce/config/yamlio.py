"""Line-aware, safe YAML loading.

Configs are data, never code: only the safe constructors are used, so a tag such as
``!!python/object`` is an error. Booleans follow YAML 1.2 (only ``true``/``false``), so
levels written ``No``/``Yes`` stay text. Every key and item keeps the line it came from.
"""

from __future__ import annotations

import re

import yaml

from dce.errors import ConfigError, Problem

Path_ = tuple  # a path into the document: keys (str) and list positions (int)


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (yes/no/on/off stay strings)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str, filename: str) -> tuple[object, dict[Path_, int]]:
    """Parse config YAML safely (YAML 1.2 booleans, no tags), keeping every key's line.

    Parameters
    ----------
    text : str
        The YAML text.
    filename : str
        The file name to show in problem messages.

    Returns
    -------
    tuple of (object, dict)
        The data (a dict for a config; ``None`` for an empty text) and a map from each key
        path (tuple of keys and list positions) to its 1-based line.

    Raises
    ------
    dce.errors.ConfigError
        On a YAML syntax error (with its line and a hint), a tag such as
        ``!!python/object``, a key that is not a plain name, or a duplicate key.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        line, what = _syntax_problem(exc)
        raise ConfigError(f"YAML syntax error: {what}", file=filename, line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML syntax error: {exc}", file=filename) from None
    lines: dict[Path_, int] = {}
    if node is None:
        return None, lines
    constructor = _Loader("")
    problems: list[Problem] = []
    data = _build(node, (), lines, constructor, problems, filename)
    if problems:
        raise ConfigError(problems)
    return data, lines


def _syntax_problem(exc: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """Line and wording of a YAML syntax error, with a hint at the usual causes."""
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    pm, cm = exc.problem_mark, exc.context_mark
    line = pm.line + 1 if pm is not None else (cm.line + 1 if cm is not None else None)
    where = f" (column {pm.column + 1})" if pm is not None else ""
    opened = cm.line + 1 if cm is not None else None
    if "quoted scalar" in context and "end of stream" in problem and opened:
        return opened, ("a quoted value starts on this line but is never closed (reached the "
                        "end of the file); add the closing quote")
    if "'\\t'" in problem:
        return line, ("found a tab character; YAML indentation must use spaces, not tabs"
                      + where)
    if problem.startswith("mapping values are not allowed"):
        return line, ("found ':' where no key can start" + where + "; check the indentation "
                      "of this line, that the line above is written 'key: value', and quote "
                      "values that contain ': '")
    if "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        close = "]" if bracket == "[" else "}"
        found = problem.split("but got", 1)[-1].strip() if "but got" in problem else problem
        return line, (f"expected ',' or '{close}' to continue the {bracket} ... {close} opened "
                      f"on line {opened}, found {found}{where}; is a '{close}' missing?")
    if "block end" in problem and opened:
        return line, (f"the indentation of this line does not fit the block that starts on "
                      f"line {opened}{where}; align keys of one mapping (and '- ' items of "
                      "one list) at the same column")
    if "cannot start any token" in problem:
        return line, problem + where + "; quote values that start with @, ` or %"
    return line, problem + where


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap"}


def _build(node, path, lines, constructor, problems, filename):
    lines[path] = node.start_mark.line + 1
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
        problems.append(Problem(f"not allowed in a config: tag {node.tag!r} (configs are "
                                "data, never code)", filename, node.start_mark.line + 1,
                                dotted(path)))
        return None
    if isinstance(node, yaml.MappingNode):
        out = {}
        constructor.flatten_mapping(node)
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem("mapping keys must be plain names", filename,
                                        key_node.start_mark.line + 1, dotted(path)))
                continue
            key = _scalar(key_node, constructor, problems, filename, path)
            key = str(key) if key is not None else "null"
            if key in out:
                problems.append(Problem(f"duplicate key {key!r} (first given on line "
                                        f"{lines[path + (key,)]})", filename,
                                        key_node.start_mark.line + 1, dotted(path + (key,))))
                continue
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, path + (key,), lines, constructor, problems, filename)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), lines, constructor, problems, filename)
                for i, item in enumerate(node.value)]
    return _scalar(node, constructor, problems, filename, path)


def _scalar(node, constructor, problems, filename, path):
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        problems.append(Problem(f"not allowed in a config: {exc.problem}", filename,
                                node.start_mark.line + 1, dotted(path)))
        return None


def dotted(path: Path_) -> str:
    """A key path as the user writes it.

    Parameters
    ----------
    path : tuple of str or int
        Keys and list positions, e.g. ``("design", "exclude", 0)``.

    Returns
    -------
    str
        The dotted key, e.g. ``design.exclude[0]``; empty for the top level.
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of a key, or of its nearest enclosing key that is in the document.

    Parameters
    ----------
    lines : dict
        Key path -> 1-based line, as returned by :func:`load_yaml`.
    path : tuple of str or int
        Keys and list positions.

    Returns
    -------
    int or None
        The line of the deepest prefix of ``path`` in ``lines``; ``None`` if there is none
        (e.g. an empty map for a config given as a dict).
    """
    path = tuple(path)
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)
