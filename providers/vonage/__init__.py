"""Vonage (Nexmo) Numbers API: search, buy, cancel, update and list, with API key and secret.

Registered as ``vonage`` under the ``numbers_core.providers`` entry points.
See docs/providers/vonage.md.
"""

from ._provider import VonageProvider
from ._settings import VonageSettings

__all__ = ["VonageProvider", "VonageSettings"]
