"""Redaction: every form of a secret goes, and no ordinary word is touched."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from numbers_core._http import HttpCore, Idempotency
from numbers_core._redaction import redact, secret_forms, sent_credentials
from numbers_core.errors import ProtocolError, ProviderError


@pytest.mark.parametrize("secret", ["x", "t", "ok", "Secret", "a1"])
def test_a_short_secret_never_mangles_words(secret: str) -> None:
    text = "max_attempts: Input should be a valid number; cannot connect; okay; Secrets"
    assert redact(text, secret_forms([secret])) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("token=x&page=2", "token=***&page=2"),
        ('{"auth_token": "x"}', '{"auth_token": "***"}'),
        ("x", "***"),
        ("Basic x", "Basic ***"),
    ],
)
def test_a_short_secret_standing_alone_is_redacted(text: str, expected: str) -> None:
    assert redact(text, secret_forms(["x"])) == expected


def test_a_long_secret_is_redacted_even_inside_other_text() -> None:
    secret = "0123456789abcdef0123456789abcdef"
    forms = secret_forms([secret, "short"])
    assert redact(f"prefix{secret}suffix", forms) == "prefix***suffix"
    assert redact(f"token={secret.upper()}", forms) == f"token={secret.upper()}"  # another string


def test_every_spelling_of_a_secret_is_redacted() -> None:
    secret = "Canary/Secret+77=?& long enough"
    forms = secret_forms([secret])
    for spelling in (
        "Canary%2FSecret%2B77%3D%3F%26%20long%20enough",
        "Canary%2FSecret%2B77%3D%3F%26+long+enough",
    ):
        assert redact(f"url?token={spelling}", forms) == "url?token=***"


def test_nothing_to_redact_leaves_the_text_as_it_is() -> None:
    assert redact("anything", secret_forms([])) == "anything"
    assert redact("anything", secret_forms([""])) == "anything"


def test_every_json_spelling_of_a_secret_is_redacted() -> None:
    secret = 'Canary "quoted" / back\\slash é long'
    forms = secret_forms([secret])
    for encoded in (
        json.dumps({"token": secret}),
        json.dumps({"token": secret}, ensure_ascii=False),
        json.dumps({"token": secret}, ensure_ascii=False).replace("/", "\\/"),
    ):
        assert redact(encoded, forms) == '{"token": "***"}'


def test_basic_auth_sends_a_credential_of_its_own() -> None:
    # A proxy echoing the Authorization header shows the base64 of "id:secret", not the secret.
    encoded = base64.b64encode(b"AC123:s3cr3t-t0ken").decode()
    assert sent_credentials(httpx.BasicAuth("AC123", "s3cr3t-t0ken")) == (encoded,)
    assert sent_credentials(None) == ()


BASIC = base64.b64encode(b"key-id:Canary-Secret-0123456789").decode()


def core(handler: httpx.MockTransport, mapper: object = None) -> HttpCore:
    def quoting(response: httpx.Response) -> ProviderError:
        # As adapters do: the carrier's words, cut to a length (here in the middle of the echo).
        return ProviderError(response.text[:40], provider="test", status_code=response.status_code)

    return HttpCore(
        "test",
        base_url="https://api.example.com",
        error_mapper=mapper or quoting,  # type: ignore[arg-type]
        auth=httpx.BasicAuth("key-id", "Canary-Secret-0123456789"),
        secrets=["Canary-Secret-0123456789"],
        http_client=httpx.AsyncClient(transport=handler),
    )


@pytest.mark.anyio
async def test_an_echoed_basic_header_is_redacted_from_errors_without_being_registered() -> None:
    echo = httpx.MockTransport(lambda r: httpx.Response(400, text=r.headers["Authorization"]))
    with pytest.raises(ProviderError) as caught:
        await core(echo).request("GET", "/x", idempotency=Idempotency.SAFE, operation="get")
    assert str(caught.value) == "test: Basic *** (HTTP 400)"


@pytest.mark.anyio
async def test_an_error_mapper_sees_the_answer_redacted_so_a_cut_cannot_leave_part_of_a_secret() -> None:
    # The secret starts at character 30 and the mapper keeps 40: redacting its message afterwards
    # would no longer find the secret, only its first ten characters.
    echo = httpx.MockTransport(lambda r: httpx.Response(400, text=f"{'x' * 24}Basic {BASIC} end"))
    with pytest.raises(ProviderError) as caught:
        await core(echo).request("GET", "/x", idempotency=Idempotency.SAFE, operation="get")
    assert caught.value.message == f"{'x' * 24}Basic *** end"
    assert BASIC[:10] not in str(caught.value)


@pytest.mark.anyio
async def test_an_unparsable_answer_keeps_no_parser_exception_holding_the_body() -> None:
    # A JSONDecodeError keeps the whole document (.doc): as the error's cause or context, a
    # caller could read the secret an answer echoed.
    echo = httpx.MockTransport(lambda r: httpx.Response(200, text=f"<html>{r.headers['Authorization']}"))
    carrier = core(echo)
    response = await carrier.request("GET", "/x", idempotency=Idempotency.SAFE, operation="get")
    with pytest.raises(ProtocolError) as caught:
        carrier.decode_json(response)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    assert caught.value.body == "<html>Basic ***"


def test_scrubbing_an_error_keeps_its_enum_attributes() -> None:
    from numbers_core import ComplianceRequiredError, RequirementKind
    from numbers_core._http import HttpCore

    core = HttpCore(
        "test", base_url="https://carrier.example", error_mapper=lambda _: None, secrets=("s3cr3t-token",)
    )
    error = ComplianceRequiredError(
        "needs a bundle (token s3cr3t-token)", provider="test", requirement="bundle", scope="account"
    )
    scrubbed = core._scrub(error)
    assert "s3cr3t-token" not in str(scrubbed)
    assert "s3cr3t-token" not in scrubbed.message
    assert type(scrubbed.requirement) is RequirementKind
