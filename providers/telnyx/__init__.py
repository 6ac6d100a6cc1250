"""Telnyx API v2: number search with prices, number orders, reservations, owned numbers and signed events.

Registered as ``telnyx`` under the ``numbers_core.providers`` entry points.
See docs/providers/telnyx.md.
"""

from ._events import OrderEvent, parse_event
from ._provider import TelnyxProvider
from ._settings import TelnyxSettings

__all__ = ["OrderEvent", "TelnyxProvider", "TelnyxSettings", "parse_event"]
