"""What each emulator may answer: its 2xx answers checked against the carrier's own documents.

Twilio's and SignalWire's OpenAPI documents, Sinch's, Telnyx's, Kazoo's
envelope and number schema, and the Sinch draft's examples; by dialect name. Used for
every emulator a test creates (tests/conftest.py). Every JSON answer, whatever its status, is
also written byte for byte as json writes it (Starlette's ``JSONResponse``): a dialect that
answers with :class:`JSONAnswer` (pydantic_core's writing) must not tell it apart.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
from numbers_core.emulator import Exchange

for _adapter in ("kazoo", "sinch", "twilio", "telnyx", "vonage", "plivo"):
    sys.path.insert(0, str(Path(__file__).parent / _adapter))

import draft_examples  # noqa: E402
import kazoo_spec  # noqa: E402
import plivo_spec  # noqa: E402
import sinch_spec  # noqa: E402
import telnyx_spec  # noqa: E402
import twilio_wire  # noqa: E402
import vonage_spec  # noqa: E402

__all__ = ["check"]


def _twilio(exchange: Exchange) -> None:
    # Twilio's APIs (numbers, addresses, pricing, regulations) and SignalWire's: by the answer's path.
    twilio_wire.check_answer(exchange.method, exchange.path, exchange.status, exchange.body)


def _as_httpx(check: Callable[[httpx.Request, httpx.Response], None]) -> Callable[[Exchange], None]:
    def checked(exchange: Exchange) -> None:
        url = f"http://127.0.0.1{exchange.path}" + (f"?{exchange.query}" if exchange.query else "")
        check(httpx.Request(exchange.method, url), httpx.Response(exchange.status, content=exchange.body))

    return checked


_CHECKS: dict[str, Callable[[Exchange], None]] = {
    "twilio": _twilio,
    "signalwire": _twilio,
    "kazoo": _as_httpx(kazoo_spec.check_answer),
    "sinch": _as_httpx(sinch_spec.check_answer),
    "sinch-draft": _as_httpx(draft_examples.check_answer),
    "telnyx": _as_httpx(telnyx_spec.check_answer),
    "vonage": _as_httpx(vonage_spec.check_answer),
    "plivo": _as_httpx(plivo_spec.check_answer),
}


def _written_as_json_writes_it(exchange: Exchange) -> None:
    try:
        value = json.loads(exchange.body)
    except ValueError:
        return  # no body, a form, or an answer cut off on purpose
    written = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    assert exchange.body == written.encode(), f"{exchange.method} {exchange.path}: {exchange.body[:200]!r}"


def check(dialect: str, exchange: Exchange) -> None:
    """Raise AssertionError if the answer is not one the carrier's documents admit."""
    _written_as_json_writes_it(exchange)
    if not 200 <= exchange.status < 300:
        return  # refusals (to requests no URL parser would even take, some) have their own tests
    _CHECKS[dialect](exchange)
