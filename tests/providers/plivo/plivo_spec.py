"""Requests and answers checked against the Plivo document (shared/specs/plivo_numbers.json).

Plivo publishes no OpenAPI: the document was derived from its docs and SDKs, and keeps unsure
values as ``x-known-values`` (not enforced here). Every request carries Basic credentials whose
user is the path's account, and every path ends with a slash, as Plivo's SDKs send them.
"""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
from openapi import Document

SPEC = Document(Path("/work/shared/specs/plivo_numbers.json"), prefix="/v1")


def check_request(request: httpx.Request) -> None:
    SPEC.check_request(request)
    path = request.url.path
    assert path.endswith("/"), f"{path}: Plivo's paths end with a slash"
    user = base64.b64decode(request.headers["authorization"].removeprefix("Basic ")).decode().split(":")[0]
    assert path.startswith(f"/v1/Account/{user}/"), "the credentials are the path's account"


def check_answer(request: httpx.Request, response: httpx.Response) -> None:
    SPEC.check_answer(request.method, request.url.raw_path.decode(), response.status_code, response.content)
