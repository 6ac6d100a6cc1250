"""Text from a carrier or a journal, made safe to print on a terminal.

A friendly name, a job label or a carrier's error message can hold escape sequences (``ESC ]0;…``
retitles the window, others move the cursor or rewrite what is on screen), NUL, or bidirectional
controls that make a line read otherwise than it is. They are shown as escapes (``\\x1b``,
``\\u202e``) instead: visible, and impossible to act on. JSON output keeps every value as given
and escapes the same characters the way JSON does (``\\u001b``, ``\\u202e``): a program reads
them back unchanged, a terminal it is shown on acts on none.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["json_text", "visible"]

# C0 (but tab), DEL, C1, the line and paragraph separators and the bidirectional embeddings,
# overrides and isolates. Left-to-right and right-to-left marks reorder nothing and stay.
_ACTIVE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character written out as its escape."""
    return _ACTIVE.sub(_escape, text)


# What json.dumps leaves as it is when it writes other than ASCII: it escapes C0 already, and only
# ever writes these inside strings, where ``\\uXXXX`` is the same character to whoever reads it.
# A lone surrogate (a carrier's JSON may carry one) could not even be written out as UTF-8.
_ACTIVE_IN_JSON = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def json_text(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON, its text kept readable (no ASCII escapes) and its controls escaped."""
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return _ACTIVE_IN_JSON.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
