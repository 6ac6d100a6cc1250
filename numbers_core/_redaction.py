"""Secrets out of text: every message, log record and error body passes here first."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["redact", "secret_forms", "sent_credentials"]

# A secret shorter than this could be part of an ordinary word ("t" in "cannot"): it is redacted
# only where it stands alone, not inside a run of letters and digits, so that no message is mangled.
_SHORT = 16


def sent_credentials(auth: Any) -> tuple[str, ...]:
    """What ``auth`` puts on the wire that is a secret of its own: HTTP Basic's base64 of ``id:secret``.

    A carrier or a proxy that echoes the Authorization header shows that
    encoding, in which the secret itself cannot be found.
    """
    import httpx

    if not isinstance(auth, httpx.BasicAuth):
        return ()
    # httpx computes the header through its public auth flow; the credential follows "Basic ".
    header = next(auth.sync_auth_flow(httpx.Request("GET", "http://localhost/"))).headers["Authorization"]
    return (header.partition(" ")[2],)


def secret_forms(secrets: Iterable[str]) -> tuple[str, ...]:
    """Every spelling in which a secret may reach a text: raw, percent-encoded, JSON- and repr-escaped."""
    given = [secret for secret in secrets if secret]
    if not given:
        return ()
    # Loaded here, not with the module: the sandbox has no secrets and never needs httpx.
    import httpx

    forms: set[str] = set()
    for secret in given:
        forms.update(
            (
                secret,
                quote(secret, safe=""),
                quote_plus(secret, safe=""),
                str(httpx.QueryParams({"": secret}))[1:],
                repr(secret)[1:-1],
                json.dumps(secret)[1:-1],
                json.dumps(secret, ensure_ascii=False)[1:-1],
                # as JSON encoders that escape "/" write it (PHP's, among others)
                json.dumps(secret, ensure_ascii=False)[1:-1].replace("/", "\\/"),
            )
        )
    # Longest first, so that no shorter form leaves a tail of a longer one behind.
    return tuple(sorted(forms, key=len, reverse=True))


@functools.lru_cache(maxsize=64)
def _pattern(forms: tuple[str, ...]) -> re.Pattern[str] | None:
    alternatives = [re.escape(form) for form in forms if len(form) >= _SHORT]
    short = [re.escape(form) for form in forms if len(form) < _SHORT]
    if short:
        alternatives.append(rf"(?<![0-9A-Za-z])(?:{'|'.join(short)})(?![0-9A-Za-z])")
    return re.compile("|".join(alternatives)) if alternatives else None


def redact(text: str, forms: tuple[str, ...]) -> str:
    """``text`` with each of ``forms`` (from :func:`secret_forms`) replaced by ``***``."""
    pattern = _pattern(forms)
    return text if pattern is None else pattern.sub("***", text)
