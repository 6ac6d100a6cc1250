"""Plivo's phone numbers API: search, buy, list, get, update and unrent, with auth id and token.

Registered as ``plivo`` under the ``numbers_core.providers`` entry points.
See docs/providers/plivo.md.
"""

from ._provider import PlivoProvider
from ._settings import PlivoSettings

__all__ = ["PlivoProvider", "PlivoSettings"]
