"""Every example in Sinch's OpenAPI document is read, and mapped as the adapter maps errors."""

from __future__ import annotations

import httpx
import numbers_core as nc
import pytest
from numbers_core.providers.sinch import SinchProvider
from numbers_core.providers.sinch import _codec as codec
from sinch_fake import KEY_ID, KEY_SECRET, PROJECT
from sinch_spec import resolve, spec, validator


def examples() -> list[tuple[str, int, object]]:
    found = []
    for name, response in spec()["components"]["responses"].items():
        content = response.get("content", {}).get("application/json", {})
        if "example" in content:
            found.append((name, content["example"]["error"]["code"], content["example"]))
    return found


EXPECTED = {400: nc.ProviderError, 403: nc.PermissionDeniedError, 404: nc.NotFoundError}


@pytest.mark.parametrize(("name", "status", "example"), examples(), ids=[e[0] for e in examples()])
def test_every_error_example_is_valid_and_mapped(name: str, status: int, example: object) -> None:
    validator(
        resolve(spec()["components"]["responses"][name])["content"]["application/json"]["schema"]
    ).validate(example)
    carrier = nc.connect("sinch", project_id=PROJECT, key_id=KEY_ID, key_secret=KEY_SECRET)
    assert isinstance(carrier, SinchProvider)
    error = carrier._error(httpx.Response(status, json=example))
    assert type(error) is EXPECTED[status]
    assert error.message  # never empty, even where Sinch's message is
    status_name, _ = codec.error_details(example)
    assert error.code == status_name


def test_the_examples_were_found() -> None:
    assert {status for _, status, _ in examples()} == {400, 403, 404}
    params = [
        p for item in spec()["paths"].values() for op in item.values() for p in op.get("parameters", [])
    ]
    assert [p["example"] for p in params if "example" in p] == ["US", "LOCAL", "US", "LOCAL"]
