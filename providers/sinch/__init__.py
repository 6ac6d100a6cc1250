"""Sinch Numbers API v1: rented numbers, OAuth2, scheduled provisioning and its signed events.

Registered as ``sinch`` under the ``numbers_core.providers`` entry points,
and the seed document's draft of the API as ``sinch-draft``.
See docs/providers/sinch.md and docs/providers/sinch-draft.md.
"""

from ._draft import SinchDraftProvider
from ._events import ProvisioningEvent, parse_event
from ._provider import SinchProvider
from ._settings import SinchDraftSettings, SinchSettings

__all__ = [
    "ProvisioningEvent",
    "SinchDraftProvider",
    "SinchDraftSettings",
    "SinchProvider",
    "SinchSettings",
    "parse_event",
]
