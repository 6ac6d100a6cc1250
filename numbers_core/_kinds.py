"""What kind of number, where it is in its life, what buying it takes: the models' enumerations.

Kept apart from the models so the command line can name them without loading pydantic.
"""

from __future__ import annotations

import enum

__all__ = ["AddressRequirement", "NumberStatus", "NumberType"]


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
