"""Twilio's REST API 2010-04-01 and SignalWire's compatibility API: one codec, two dialects.

Registered as ``twilio`` and ``signalwire`` under the ``numbers_core.providers``
entry points. See docs/providers/twilio.md and docs/providers/signalwire.md.
"""

from ._provider import SignalWireProvider, TwilioProvider
from ._settings import SignalWireSettings, TwilioSettings

__all__ = ["SignalWireProvider", "SignalWireSettings", "TwilioProvider", "TwilioSettings"]
