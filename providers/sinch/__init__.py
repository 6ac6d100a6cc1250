"""Sinch Numbers API v1: rented numbers, OAuth2, scheduled provisioning and its signed events.

Registered as ``sinch`` under the ``numbers_core.providers`` entry points.
See docs/providers/sinch.md.
"""

from ._events import ProvisioningEvent, parse_event
from ._provider import SinchProvider
from ._settings import SinchSettings

__all__ = ["ProvisioningEvent", "SinchProvider", "SinchSettings", "parse_event"]
