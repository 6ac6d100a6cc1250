"""Kazoo (2600hz) Crossbar v2: phone numbers, sessions, charges and collections.

Registered as ``kazoo`` under the ``numbers_core.providers`` entry points.
See docs/providers/kazoo.md.
"""

from ._provider import KazooProvider
from ._settings import KazooSettings

__all__ = ["KazooProvider", "KazooSettings"]
