"""What the carrier's compliance vocabulary means on the command line, in plain words.

A requirement kind is told as what the account must have on file and the
option that gives it (``bundle`` is "an approved regulatory bundle",
``--bundle-id``); an error about compliance or an address reads as such,
whatever class the library raised it as.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from numbers_core import AddressValidationError, ComplianceRequiredError, ComplianceScope, RequirementKind

from ._output import address_text

if TYPE_CHECKING:
    from numbers_core import NumberType
    from numbers_core.errors import NumbersError, ProviderError

__all__ = [
    "COMPLIANCE_OPTIONS",
    "account_needs",
    "carrier_details",
    "error_text",
    "requirement_field",
    "requirement_how",
    "requirement_what",
]

#: The NumberCompliance field each option sets.
COMPLIANCE_OPTIONS = {
    "address_id": "--address-id",
    "bundle_id": "--bundle-id",
    "identity_id": "--identity-id",
}

_WHAT = {
    RequirementKind.ADDRESS: "an address on file",
    RequirementKind.LOCAL_ADDRESS: "an address on file in the number's own area",
    RequirementKind.BUNDLE: "an approved regulatory bundle",
    RequirementKind.IDENTITY: "a verified identity",
    RequirementKind.DOCUMENTS: "documents the carrier reviews",
}
# The NumberCompliance field that gives each kind. Documents are personal data, sent through each
# carrier's own process: numbers-core has no field, nor option, for them.
_FIELD = {
    RequirementKind.ADDRESS: "address_id",
    RequirementKind.LOCAL_ADDRESS: "address_id",
    RequirementKind.BUNDLE: "bundle_id",
    RequirementKind.IDENTITY: "identity_id",
}
_HOW = {kind: COMPLIANCE_OPTIONS[field] for kind, field in _FIELD.items()} | {
    RequirementKind.DOCUMENTS: "at the carrier"
}


def requirement_what(kind: RequirementKind) -> str:
    """What the account must have for ``kind``: "an approved regulatory bundle"."""
    return _WHAT[kind]


def requirement_how(kind: RequirementKind) -> str:
    """How it is given: the option (``--bundle-id``), or where when no option can."""
    return _HOW[kind]


def requirement_field(kind: RequirementKind) -> str | None:
    """The NumberCompliance field that gives it (``bundle_id``); None where none can."""
    return _FIELD.get(kind)


def _market(country: str | None, number_type: NumberType | None) -> str:
    kind = number_type.value.replace("_", " ") if number_type is not None else None
    named = " ".join(part for part in (country, kind) if part)
    return f"{named} numbers" if named else "numbers of this country and type"


def carrier_details(error: ProviderError) -> str:
    # The status, code and request id the library appended to the carrier's words ("(code x)"):
    # kept, as on every other error line, for the carrier's support.
    return str(error).removeprefix(f"{error.provider}: {error.message}")


def account_needs(error: ComplianceRequiredError) -> str:
    """What the account lacks, for a refusal of scope account: "the account needs an approved
    regulatory bundle for GB local numbers"."""
    market = _market(error.country, error.number_type)
    return f"the account needs {requirement_what(error.requirement)} for {market}"


def _compliance_text(error: ComplianceRequiredError) -> str:
    needs = f"{requirement_what(error.requirement)} ({requirement_how(error.requirement)})"
    if error.scope is ComplianceScope.ACCOUNT:
        text = (
            f"{_market(error.country, error.number_type)} need {needs}: "
            "the whole country and type, not just this number"
        )
    else:
        text = f"this number needs {needs}; another number may do"
    # The carrier's own words say which reference it refused, and why.
    return f"{error.provider}: {text} (the carrier says: {error.message}){carrier_details(error)}"


def _address_text(error: AddressValidationError) -> str:
    text = f"{error.provider}: address refused: {error.message}{carrier_details(error)}"
    if error.suggestions:
        text += "; the carrier suggests " + "; or ".join(address_text(each) for each in error.suggestions)
    return text


def error_text(error: NumbersError) -> str:
    """The error's line, compliance and address refusals in the command line's words."""
    if isinstance(error, ComplianceRequiredError):
        return _compliance_text(error)
    if isinstance(error, AddressValidationError):
        return _address_text(error)
    return str(error)
