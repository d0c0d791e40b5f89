"""A griffe extension for the docs site's API reference (mkdocs.yml, ``extensions:``).

A numpy-style line that documents several parameters at once (``choice, respondent : str``)
gives every one of them the default of the first in griffe's parser, so the reference would
say that ``respondent`` defaults to ``"chosen"``. This extension sets each documented
parameter's default from the signature, the single source of truth, when a docstring is
parsed for the page.
"""

from __future__ import annotations

from functools import cached_property

import griffe


class _Docstring(griffe.Docstring):
    @cached_property
    def parsed(self) -> list:
        sections = self.parse()
        try:
            params = self.parent.parameters
        except (AttributeError, ValueError):
            return sections
        for section in sections:
            if section.kind is griffe.DocstringSectionKind.parameters:
                for p in section.value:
                    if p.name in params:
                        p.value = params[p.name].default
        return sections


class SignatureDefaults(griffe.Extension):
    """Documented parameter defaults taken from the signature."""

    def on_function_instance(self, *, func, **kwargs) -> None:  # noqa: D102
        if func.docstring is not None and type(func.docstring) is griffe.Docstring:
            func.docstring.__class__ = _Docstring

    def on_class_instance(self, *, cls, **kwargs) -> None:  # noqa: D102
        if cls.docstring is not None and type(cls.docstring) is griffe.Docstring:
            cls.docstring.__class__ = _Docstring
