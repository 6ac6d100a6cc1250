"""The core's shortcuts (JSON through pydantic's parser, resolved URLs kept) change no result."""

from __future__ import annotations

import codecs
import json

import httpx
import pytest
from numbers_core._http import _URL_CACHE_SIZE, HttpCore
from numbers_core.errors import ProtocolError, error_for_status


def make_core() -> HttpCore:
    return HttpCore(
        "test",
        base_url="https://api.example.com",
        error_mapper=lambda r: error_for_status(r.status_code, provider="test", message="error"),
    )


@pytest.mark.parametrize(
    "content",
    [
        b'{"n": 123456789012345678901234567890, "f": 1e400, "x": [NaN, -0.0], "a": 1, "a": 2}',
        '{"name": "Zoë", "emoji": "\\ud83d\\ude00"}'.encode(),
        b'"\\ud800"',  # a lone surrogate: json takes it, pydantic's parser does not
        codecs.BOM_UTF8 + b'{"bom": true}',
        '{"utf16": true}'.encode("utf-16"),
    ],
    ids=["numbers", "unicode", "lone-surrogate", "bom", "utf-16"],
)
def test_json_reads_as_the_json_module_reads_it(content: bytes) -> None:
    decoded = make_core().decode_json(httpx.Response(200, content=content))
    assert repr(decoded) == repr(json.loads(content))


def test_bad_json_is_still_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="does not parse"):
        make_core().decode_json(httpx.Response(200, content=b'{"a": 1,}'))


def test_resolved_urls_are_reused_and_the_cache_is_bounded() -> None:
    core = make_core()
    first = core.url("2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json")
    assert core.url("2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json") is first
    assert str(first) == "https://api.example.com/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json"
    # Next-page links (with a query) are not kept, and neither is anything past the bound.
    link = "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json?PageToken=PA1"
    assert core.url(link) is not core.url(link)
    for i in range(_URL_CACHE_SIZE + 10):
        core.url(f"Numbers/{i}")
    assert len(core._urls) == _URL_CACHE_SIZE


def test_a_refused_link_is_refused_every_time() -> None:
    core = make_core()
    for _ in range(2):
        with pytest.raises(ProtocolError, match="another origin"):
            core.url("https://elsewhere.example.com/x")
