"""Everything an adapter author needs, built-in or third-party.

Subclass :class:`Provider`, give it a :class:`ProviderSettings` subclass as
``settings_model``, talk to the carrier through :class:`HttpCore` (built by
``Provider._make_http``) and register the class under the entry-point group
``numbers_core.providers``. See docs/adapters.md.
"""

from __future__ import annotations

from ._auth import Token, TokenAuth, jwt_expiry
from ._features import (
    ALL_CONFIG_FEATURES,
    Feature,
    config_features,
    extra_settings,
    search_feature,
    shared_application,
    type_feature,
)
from ._http import (
    DEFAULT_LIMITS,
    DEFAULT_TIMEOUT,
    ErrorMapper,
    HttpCore,
    Idempotency,
    Malformed,
    RetryPolicy,
    check_url_policy,
    path_segment,
    phone_segment,
    retry_after_seconds,
)
from ._models import build
from ._paging import PageFetcher, Pager
from ._phone import (
    OnePattern,
    carrier_e164,
    keypad_digits,
    longest_run,
    may_be_type,
    one_pattern,
    parse_e164,
    plan_type,
    region_of,
    sifted,
)
from ._provider import Provider, RateLimit
from ._reading import json_e164, json_flag, json_kind, json_list, json_object, json_text
from ._registry import EMULATOR_GROUP, ENTRY_POINT_GROUP
from ._settings import ProviderSettings
from .errors import error_for_status, excerpt

__all__ = [
    "ALL_CONFIG_FEATURES",
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "EMULATOR_GROUP",
    "ENTRY_POINT_GROUP",
    "ErrorMapper",
    "Feature",
    "HttpCore",
    "Idempotency",
    "Malformed",
    "OnePattern",
    "PageFetcher",
    "Pager",
    "Provider",
    "ProviderSettings",
    "RateLimit",
    "RetryPolicy",
    "Token",
    "TokenAuth",
    "build",
    "carrier_e164",
    "check_url_policy",
    "config_features",
    "error_for_status",
    "excerpt",
    "extra_settings",
    "json_e164",
    "json_flag",
    "json_kind",
    "json_list",
    "json_object",
    "json_text",
    "jwt_expiry",
    "keypad_digits",
    "longest_run",
    "may_be_type",
    "one_pattern",
    "parse_e164",
    "path_segment",
    "phone_segment",
    "plan_type",
    "region_of",
    "retry_after_seconds",
    "search_feature",
    "shared_application",
    "sifted",
    "type_feature",
]
