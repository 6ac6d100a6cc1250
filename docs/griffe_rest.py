"""A griffe extension for the API reference: the project's reST-flavoured docstrings, as Markdown.

The docstrings are written to be read in an editor (:class:`Name` roles, ``Paragraph::`` before an
indented literal block). mkdocstrings renders Markdown, which would show the roles and the ``::``
as typed; the indented block itself is already a Markdown code block.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|meth|func|attr|mod|exc|data|obj):`(~?)([^`]+)`")
_LONE_LITERAL_MARKER = re.compile(r"^[ \t]*::[ \t]*$\n?", re.MULTILINE)
_TRAILING_LITERAL_MARKER = re.compile(r"(\S)::[ \t]*$", re.MULTILINE)


def _role(match: re.Match[str]) -> str:
    short, target = match.groups()
    # reST's ``~`` shows only the last component of the dotted name.
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


def to_markdown(text: str) -> str:
    text = _ROLE.sub(_role, text)
    text = _LONE_LITERAL_MARKER.sub("", text)
    return _TRAILING_LITERAL_MARKER.sub(r"\1:", text)


class RestToMarkdown(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
