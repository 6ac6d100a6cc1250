"""The error tree: shape, attributes, messages, status mapping."""

from __future__ import annotations

import copy
import inspect
import pickle
import re

import numbers_core
import pytest
from numbers_core import Address, ComplianceScope, NumberType, RequirementKind, errors
from numbers_core.adapter import error_for_status, excerpt
from numbers_core.errors import (
    AddressValidationError,
    AuthenticationError,
    ComplianceRequiredError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
    OutcomeUnknownError,
    PaymentRequiredError,
    PermissionDeniedError,
    ProtocolError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    TransportError,
    UnsupportedError,
)

# The tree as the contract draws it: class -> parent.
CONTRACT_TREE = {
    "ConfigurationError": "NumbersError",
    "InvalidInputError": "NumbersError",
    "UnsupportedError": "NumbersError",
    "TransportError": "NumbersError",
    "OutcomeUnknownError": "TransportError",
    "ProtocolError": "NumbersError",
    "ProviderError": "NumbersError",
    "AuthenticationError": "ProviderError",
    "PermissionDeniedError": "ProviderError",
    "NotFoundError": "ProviderError",
    "NumberUnavailableError": "ProviderError",
    "PaymentRequiredError": "ProviderError",
    "ConflictError": "ProviderError",
    "RateLimitError": "ProviderError",
    "ProviderUnavailableError": "ProviderError",
    "ComplianceRequiredError": "ProviderError",
    "AddressValidationError": "ProviderError",
}

# The attributes the contract names in parentheses for each class.
CONTRACT_ATTRIBUTES = {
    "UnsupportedError": {"provider", "feature"},
    "TransportError": {"retryable"},
    "OutcomeUnknownError": {"operation", "number", "numbers"},
    "ProtocolError": {"provider", "status_code", "body", "numbers"},
    "ProviderError": {"provider", "status_code", "code", "message", "request_id"},
    "RateLimitError": {"retry_after"},
    "ComplianceRequiredError": {"requirement", "scope", "country", "number_type"},
    "AddressValidationError": {"suggestions"},
}

_NAME = re.compile(r"[A-Z][A-Za-z]+Error")


def _drawing() -> tuple[dict[str, str], dict[str, set[str]]]:
    """Parents and parenthesised attributes, read from the ``errors`` module docstring."""
    doc = inspect.getdoc(errors)
    assert doc is not None
    lines = [line for line in doc.splitlines() if "NumbersError" in line or "──" in line or "│" in line]
    parents: dict[str, str] = {}
    attributes: dict[str, set[str]] = {}
    stack: list[tuple[int, str]] = []
    current = ""
    for line in lines:
        found = _NAME.search(line)
        # A line whose first name sits in the tree column is a node; others continue the last node.
        if found and not line[: found.start()].strip(" │├└─"):
            column = found.start()
            current = found.group()
            while stack and stack[-1][0] >= column:
                stack.pop()
            if stack:
                parents[current] = stack[-1][1]
            stack.append((column, current))
        attributes.setdefault(current, set()).update(re.findall(r"\.([a-z_]+)", line))
    return parents, {name: attrs for name, attrs in attributes.items() if attrs}


def test_docstring_drawing_matches_the_contract() -> None:
    parents, attributes = _drawing()
    assert parents == CONTRACT_TREE
    assert attributes == CONTRACT_ATTRIBUTES


def test_classes_match_the_drawing() -> None:
    assert errors.NumbersError.__bases__ == (Exception,)
    for name, parent in CONTRACT_TREE.items():
        cls = getattr(errors, name)
        ours = [base for base in cls.__bases__ if issubclass(base, NumbersError)]
        assert [base.__name__ for base in ours] == [parent], name
    drawn = set(CONTRACT_TREE) | {"NumbersError"}
    defined = {
        name
        for name, obj in vars(errors).items()
        if isinstance(obj, type) and issubclass(obj, BaseException) and obj.__module__ == errors.__name__
    }
    assert defined == drawn


def test_invalid_input_is_also_a_value_error() -> None:
    # So that code catching ValueError around argument handling keeps working.
    assert issubclass(InvalidInputError, ValueError)


def test_errors_are_reexported_at_the_top_level() -> None:
    for name in CONTRACT_TREE | {"NumbersError": ""}:
        assert getattr(numbers_core, name) is getattr(errors, name)
        assert name in numbers_core.__all__


def test_provider_error_attributes_and_message() -> None:
    error = NotFoundError(
        "The requested resource was not found",
        provider="twilio",
        status_code=404,
        code="20404",
        request_id="RQ1",
    )
    assert error.message == "The requested resource was not found"  # the carrier's own words
    assert (error.provider, error.status_code, error.code, error.request_id) == (
        "twilio",
        404,
        "20404",
        "RQ1",
    )
    assert str(error) == "twilio: The requested resource was not found (HTTP 404, code 20404, request RQ1)"
    bare = ProviderError("down", provider="kazoo")
    assert str(bare) == "kazoo: down"
    assert bare.status_code is None
    assert bare.code is None
    assert bare.request_id is None


def test_rate_limit_error_keeps_retry_after() -> None:
    error = RateLimitError("slow down", provider="sinch", status_code=429, retry_after=2.5)
    assert error.retry_after == 2.5
    assert "HTTP 429" in str(error)
    assert RateLimitError("x", provider="sinch").retry_after is None


def test_unsupported_error_names_provider_and_feature() -> None:
    error = UnsupportedError("kazoo", numbers_core.Feature.TRANSFER)
    assert (error.provider, error.feature) == ("kazoo", "transfer")
    assert str(error) == "kazoo does not support transfer"
    assert str(UnsupportedError("x", "bulk", "no bulk here")) == "no bulk here"


def test_transport_and_outcome_unknown() -> None:
    assert TransportError("timed out", provider="twilio").retryable is True
    assert TransportError("closed", retryable=False).retryable is False
    lost = OutcomeUnknownError("lost", operation="purchase", number="+14155552671", provider="twilio")
    assert isinstance(lost, TransportError)
    assert (lost.operation, lost.number, lost.provider, lost.retryable) == (
        "purchase",
        "+14155552671",
        "twilio",
        False,
    )
    assert lost.message == "lost"


def test_configuration_and_invalid_input_name_what_is_wrong() -> None:
    config = ConfigurationError("auth_token is missing", setting="auth_token", profile="prod")
    assert (config.setting, config.profile, config.message) == ("auth_token", "prod", "auth_token is missing")
    assert InvalidInputError("bad", field="limit").field == "limit"
    assert InvalidInputError("bad").field is None


def test_protocol_error_cuts_the_body() -> None:
    long_body = "<html>" + "x" * 2000
    error = ProtocolError("not JSON", provider="sinch", status_code=502, body=long_body)
    assert (error.provider, error.status_code) == ("sinch", 502)
    assert error.body is not None
    assert error.body.startswith("<html>xxx")
    assert len(error.body) == 501
    assert error.body.endswith("…")
    assert ProtocolError("x", provider="p", body=b"\xff\xfeok").body == "\ufffd\ufffdok"
    assert ProtocolError("x", provider="p").body is None
    assert excerpt("short") == "short"
    assert excerpt("y" * 500) == "y" * 500


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ProviderError),
        (401, AuthenticationError),
        (402, PaymentRequiredError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (410, NotFoundError),
        (422, ProviderError),
        (429, RateLimitError),
        (500, ProviderUnavailableError),
        (503, ProviderUnavailableError),
        (599, ProviderUnavailableError),
    ],
)
def test_error_for_status(status: int, cls: type[ProviderError]) -> None:
    error = error_for_status(status, provider="p", message="m", code="c", request_id="r", retry_after=7.0)
    assert type(error) is cls
    assert (error.status_code, error.code, error.request_id, error.message) == (status, "c", "r", "m")
    if cls is RateLimitError:
        assert isinstance(error, RateLimitError)
        assert error.retry_after == 7.0


def test_number_unavailable_is_not_mapped_from_a_status() -> None:
    # Only a carrier's own code can say "taken"; adapters choose NumberUnavailableError themselves.
    produced = {type(error_for_status(status, provider="p", message="m")) for status in range(400, 600)}
    assert NumberUnavailableError not in produced


@pytest.mark.parametrize(
    "error",
    [
        RateLimitError("slow", provider="p", status_code=429, code="c", request_id="r", retry_after=1.0),
        NotFoundError("gone", provider="p", status_code=404),
        OutcomeUnknownError("lost", operation="purchase", number="+14155552671", provider="p"),
        ProtocolError("bad", provider="p", status_code=200, body="{"),
        UnsupportedError("p", "transfer"),
        ConfigurationError("missing", setting="auth_token"),
        InvalidInputError("bad", field="limit"),
        ComplianceRequiredError(
            "Bundle required",
            provider="p",
            status_code=400,
            code="21649",
            requirement="bundle",
            scope="account",
            country="GB",
            number_type="local",
        ),
        AddressValidationError(
            "no such street",
            provider="p",
            code="21629",
            suggestions=(Address(street="1 Main St", locality="Austin", region="TX", country="US"),),
        ),
    ],
)
def test_errors_survive_pickle_and_copy(error: NumbersError) -> None:
    # Keyword-only constructors broke Exception's default reduce (process pools, copy).
    for again in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):  # noqa: S301
        assert type(again) is type(error)
        assert str(again) == str(error)
        assert vars(again) == vars(error)


def test_compliance_required_error_says_what_and_for_whom() -> None:
    error = ComplianceRequiredError(
        "No valid address created for: Balbriggan",
        provider="twilio",
        status_code=400,
        code="21615",
        requirement="local_address",
        scope="number",
        country="IE",
        number_type="local",
    )
    assert error.requirement is RequirementKind.LOCAL_ADDRESS
    assert error.requirement == "local_address"
    assert error.scope is ComplianceScope.NUMBER
    assert (error.country, error.number_type) == ("IE", NumberType.LOCAL)
    assert str(error) == "twilio: No valid address created for: Balbriggan (HTTP 400, code 21615)"
    unknown = ComplianceRequiredError("KYC", provider="sinch", requirement="documents", scope="account")
    assert (unknown.country, unknown.number_type) == (None, None)
    with pytest.raises(ValueError, match="'paperwork'"):
        ComplianceRequiredError("x", provider="p", requirement="paperwork", scope="account")


def test_address_validation_error_keeps_the_suggestions() -> None:
    suggestion = Address(street="1 Main St", locality="Austin", region="TX", country="US")
    error = AddressValidationError("near match", provider="p", suggestions=[suggestion])
    assert error.suggestions == (suggestion,)
    assert AddressValidationError("no match", provider="p").suggestions == ()


def test_recast_carries_the_new_classes_own_arguments() -> None:
    answer = ProviderError(
        "Bundle required", provider="twilio", status_code=400, code="21649", request_id="RQ"
    )
    error = answer.recast(
        ComplianceRequiredError,
        "a GB local number needs a bundle",
        requirement=RequirementKind.BUNDLE,
        scope=ComplianceScope.ACCOUNT,
        country="GB",
        number_type=NumberType.LOCAL,
    )
    assert isinstance(error, ComplianceRequiredError)
    assert (error.status_code, error.code, error.request_id) == (400, "21649", "RQ")
    assert (error.requirement, error.scope, error.country) == ("bundle", "account", "GB")
    assert error.__cause__ is answer
    refused = answer.recast(AddressValidationError, "refused", suggestions=())
    assert refused.suggestions == ()
    assert isinstance(answer.recast(NotFoundError, "gone"), NotFoundError)  # plain classes as before
