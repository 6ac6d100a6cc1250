"""Requests and answers checked against Vonage's OpenAPI document (shared/specs/vonage_numbers.json).

The Numbers API's operations are in the document: their query parameters,
form bodies (never JSON) and answers are checked against it. Transfers go to
the Subaccounts API, which it does not cover: their JSON body is checked for
the four fields Vonage's SDK sends. Every request carries Basic credentials,
never ``api_key``/``api_secret`` in the URL.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from openapi import Document

SPEC = Document(Path("/work/shared/specs/vonage_numbers.json"))


def check_request(request: httpx.Request) -> None:
    assert request.headers.get("authorization", "").startswith("Basic "), "Basic credentials on every request"
    assert "api_secret" not in request.url.query.decode(), "the secret never goes in a URL"
    if request.url.path.startswith("/accounts/"):
        assert request.method == "POST"
        assert request.url.path.endswith("/transfer-number")
        assert request.headers["content-type"] == "application/json"
        body = json.loads(request.content)
        assert set(body) == {"from", "to", "number", "country"}, body
        assert body["number"].isdigit(), body
        assert len(body["country"]) == 2, body
        return
    SPEC.check_request(request)


def check_answer(request: httpx.Request, response: httpx.Response) -> None:
    if request.url.path.startswith("/accounts/"):
        return
    SPEC.check_answer(request.method, request.url.raw_path.decode(), response.status_code, response.content)
