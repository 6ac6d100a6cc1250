"""Text from a carrier or a journal, made safe to print on a terminal.

A friendly name, a job label or a carrier's error message can hold escape sequences (``ESC ]0;…``
retitles the window, others move the cursor or rewrite what is on screen), NUL, or bidirectional
controls that make a line read otherwise than it is. They are shown as escapes (``\\x1b``,
``\\u202e``) instead: visible, and impossible to act on.
"""

from __future__ import annotations

import re

__all__ = ["visible"]

# C0 (but tab), DEL, C1, the line and paragraph separators and the bidirectional embeddings,
# overrides and isolates. Left-to-right and right-to-left marks reorder nothing and stay.
_ACTIVE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character written out as its escape."""
    return _ACTIVE.sub(_escape, text)
