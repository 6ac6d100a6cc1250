"""What kind of number, where it is in its life, what buying it takes: the models' enumerations.

Kept apart from the models so the command line can name them without loading pydantic.
"""

from __future__ import annotations

import enum

__all__ = [
    "AddressRequirement",
    "ComplianceScope",
    "EmergencyStatus",
    "NumberStatus",
    "NumberType",
    "PriceBasis",
    "RequirementKind",
]


class NumberType(enum.StrEnum):
    """What kind of number this is."""

    LOCAL = "local"  # geographic fixed line
    MOBILE = "mobile"
    TOLL_FREE = "toll_free"
    NATIONAL = "national"  # non-geographic, national rate
    VOIP = "voip"
    SHARED_COST = "shared_cost"
    PREMIUM_RATE = "premium_rate"
    MACHINE_TO_MACHINE = "machine_to_machine"
    PERSONAL = "personal"
    UNKNOWN = "unknown"


class NumberStatus(enum.StrEnum):
    """Where an owned number is in its life."""

    ACTIVE = "active"
    PENDING = "pending"
    RESERVED = "reserved"
    SUSPENDED = "suspended"
    RELEASING = "releasing"
    RELEASED = "released"
    UNKNOWN = "unknown"


class AddressRequirement(enum.StrEnum):
    """Whether an address must be on file before the number can be bought."""

    NONE = "none"
    ANY = "any"
    LOCAL = "local"
    FOREIGN = "foreign"


class PriceBasis(enum.StrEnum):
    """Where a price comes from, from the most to the least precise."""

    #: this very number's price, as the carrier's search stated it (Sinch)
    OFFER = "offer"
    #: the carrier's price list per country and number type (Twilio Pricing, the sandbox)
    CATALOG = "catalog"
    #: the user's own table (the ``prices`` setting)
    TABLE = "table"
    #: the carrier's quote for this very request (Kazoo's 402)
    QUOTE = "quote"


class RequirementKind(enum.StrEnum):
    """What a carrier needs on file before it sells a number."""

    #: an address, anywhere
    ADDRESS = "address"
    #: an address in the number's own area (country, and town or region)
    LOCAL_ADDRESS = "local_address"
    #: an approved regulatory bundle (an end user's documents, reviewed by the carrier)
    BUNDLE = "bundle"
    #: a verified identity
    IDENTITY = "identity"
    #: supporting documents, reviewed by the carrier
    DOCUMENTS = "documents"


class ComplianceScope(enum.StrEnum):
    """Whom a compliance refusal concerns."""

    #: every number of that country and type: fix the account first (a bulk job stops)
    ACCOUNT = "account"
    #: this number only: another number may do (purchase_any and bulk jobs move on)
    NUMBER = "number"


class EmergencyStatus(enum.StrEnum):
    """Where a number's emergency (E911) registration stands.

    A carrier's "being removed" states read as ``pending``: the registration is
    changing and not to be relied on; its own word stays on the registration.
    """

    NONE = "none"
    PENDING = "pending"
    ACTIVE = "active"
    FAILED = "failed"
    UNKNOWN = "unknown"
