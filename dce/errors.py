"""Exceptions a user can act on.

Every user-facing problem is a :class:`DceError` holding one or more :class:`Problem`
records (file, line, key or column, message). The command line prints each problem as
``error: <file>:<line>: <key>: <message>`` and exits with status 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    key: str | None = None

    def format(self) -> str:
        """The one line the CLI prints: ``error: <file>:<line>: <key>: <message>``."""
        parts: list[str] = []
        if self.file:
            parts.append(self.file if self.line is None else f"{self.file}:{self.line}")
        if self.key:
            parts.append(self.key)
        # one line: line breaks (and the indentation around them) become one space; runs
        # of spaces inside the message stay, since a quoted cell must show as it is
        parts.append(re.sub(r"[ \t]*[\r\n]+[ \t]*", " ", self.message).strip())
        return "error: " + ": ".join(parts)


class DceError(Exception):
    """Base class of errors caused by the user's input (exit status 2).

    Its subclasses also inherit the builtin they refine (``ConfigError``, ``DataError``
    and ``DesignError`` are ``ValueError``; ``EstimationError`` is a ``RuntimeError``),
    so ``except ValueError`` works in a notebook.
    """

    def __init__(self, message_or_problems: str | Iterable[Problem], *, file: str | None = None,
                 line: int | None = None, key: str | None = None) -> None:
        if isinstance(message_or_problems, str):
            problems = [Problem(message_or_problems, file=file, line=line, key=key)]
        else:
            problems = list(message_or_problems)
        self.problems: list[Problem] = problems
        super().__init__("\n".join(p.format() for p in problems))


class ConfigError(DceError, ValueError):
    """The YAML config (or an argument of the Python API) is malformed or inconsistent."""


class DataError(DceError, ValueError):
    """A data file or DataFrame (choices, respondents, design) is malformed or
    inconsistent."""


class DesignError(DceError, ValueError):
    """The requested design cannot be built."""


class EstimationError(DceError, RuntimeError):
    """The model cannot be estimated from these data (e.g. collinear terms)."""
