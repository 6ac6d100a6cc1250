"""The canned Twilio responses the bench server sends to every client.

The objects are the examples of the Twilio 2010-04-01 OpenAPI document
(``shared/specs/twilio_api_v2010_numbers.json``), varied per number so that
no client can profit from caching: distinct valid US numbers, sids and
geography, with the casing live Twilio uses (``SMS``/``MMS`` in search
results, lowercase in owned numbers) and its ``""``/``null`` mix. Generated
deterministically, so every run serves the same bytes.
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import json
import random
from typing import Any

import phonenumbers

ACCOUNT_SID = "AC" + "a" * 32
# The account that owns 100,000 numbers: listed whole, page after page.
LARGE_ACCOUNT_SID = "AC" + "b" * 32
LARGE_PAGES = 100
AUTH_TOKEN = "be0c4" + "0" * 27
SEARCH_SIZE = 30
PAGE_SIZE = 1000

_ACCOUNT = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
_EPOCH = datetime.datetime(2015, 7, 30, 23, 19, 4, tzinfo=datetime.UTC)
# Real US/CA geographic area codes with their rate centre, region, LATA and a coordinate.
_PLACES = [
    ("808", "HILO", "Hilo", "HI", "834", "96720", 19.72, -155.09),
    ("415", "SNFC CNTRL", "San Francisco", "CA", "722", "94103", 37.77, -122.41),
    ("212", "NWYRCYZN01", "New York", "NY", "132", "10001", 40.75, -73.99),
    ("312", "CHICAGO", "Chicago", "IL", "358", "60601", 41.88, -87.62),
    ("206", "SEATTLE", "Seattle", "WA", "674", "98101", 47.61, -122.33),
    ("512", "AUSTIN", "Austin", "TX", "558", "78701", 30.27, -97.74),
    ("617", "BOSTON", "Boston", "MA", "128", "02108", 42.36, -71.06),
    ("303", "DENVER", "Denver", "CO", "656", "80202", 39.74, -104.99),
]


def _number(rng: random.Random, area: str, taken: set[str] | None = None) -> str:
    # Only numbers phonenumbers calls valid, so every client accepts every one of them.
    while True:
        e164 = f"+1{area}{rng.randint(200, 989)}{rng.randint(1000, 9999)}"
        if taken is not None and e164 in taken:
            continue
        if phonenumbers.is_valid_number(phonenumbers.parse(e164)):
            if taken is not None:
                taken.add(e164)
            return e164


def _friendly(e164: str) -> str:
    return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"


def _sid(prefix: str, rng: random.Random) -> str:
    return prefix + "".join(rng.choice("0123456789abcdef") for _ in range(32))


def available(rng: random.Random, count: int) -> list[dict[str, Any]]:
    numbers = []
    for i in range(count):
        area, rate_center, locality, region, lata, postal, lat, lon = _PLACES[i % len(_PLACES)]
        e164 = _number(rng, area)
        numbers.append(
            {
                "friendly_name": _friendly(e164),
                "phone_number": e164,
                "lata": lata,
                "locality": locality,
                "rate_center": rate_center,
                # The spec's example sends coordinates as strings.
                "latitude": f"{lat:.6f}",
                "longitude": f"{lon:.6f}",
                "region": region,
                "postal_code": postal,
                "iso_country": "US",
                "address_requirements": "none",
                "beta": False,
                "capabilities": {"voice": True, "SMS": True, "MMS": i % 3 != 0},
            }
        )
    return numbers


def _date(rng: random.Random) -> str:
    # Every number bought at its own moment, as in a real account (no two dates alike to cache).
    moment = _EPOCH + datetime.timedelta(seconds=rng.randrange(10 * 365 * 86400))
    return email.utils.format_datetime(moment)


def owned(rng: random.Random, e164: str, account: str = _ACCOUNT) -> dict[str, Any]:
    sid = _sid("PN", rng)
    created = _date(rng)
    configured = rng.random() < 0.5
    url = "https://example.com/voice" if configured else None
    return {
        "account_sid": account.rsplit("/", 1)[1],
        "address_requirements": "none",
        "address_sid": _sid("AD", rng),
        "api_version": "2010-04-01",
        "beta": None,
        "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
        "date_created": created,
        "date_updated": created,
        "emergency_status": "Active",
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "friendly_name": _friendly(e164),
        "identity_sid": None,
        "origin": "twilio",
        "phone_number": e164,
        "sid": sid,
        "sms_application_sid": "",
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": "POST",
        "sms_url": "https://example.com/sms" if configured else "",
        "status_callback": "",
        "status_callback_method": "POST",
        "trunk_sid": None,
        "uri": f"{account}/IncomingPhoneNumbers/{sid}.json",
        "voice_application_sid": "",
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None,
        "voice_method": "POST",
        "voice_url": url,
        "bundle_sid": None,
        "voice_receive_mode": "voice",
        "status": "in-use",
        "type": "local",
        "subresource_uris": {
            "assigned_add_ons": f"{account}/IncomingPhoneNumbers/{sid}/AssignedAddOns.json",
        },
    }


def search_page(numbers: list[dict[str, Any]]) -> bytes:
    return json.dumps(
        {"uri": f"{_ACCOUNT}/AvailablePhoneNumbers/US/Local.json", "available_phone_numbers": numbers}
    ).encode()


def owned_page(
    rng: random.Random,
    size: int,
    *,
    account: str = _ACCOUNT,
    page: int = 0,
    pages: int = 1,
    taken: set[str] | None = None,
) -> bytes:
    """Page ``page`` of ``pages`` of an account's numbers, linked to the next as Twilio links them."""
    base = f"{account}/IncomingPhoneNumbers.json?PageSize={size}"
    uri = f"{base}&Page={page}"
    records = [owned(rng, _number(rng, _PLACES[i % len(_PLACES)][0], taken), account) for i in range(size)]
    following = (
        f"{base}&Page={page + 1}&PageToken=PA{rng.getrandbits(128):032x}" if page + 1 < pages else None
    )
    return json.dumps(
        {
            "first_page_uri": f"{base}&Page=0",
            "end": (page + 1) * size - 1,
            "previous_page_uri": None,
            "incoming_phone_numbers": records,
            "uri": uri,
            "page_size": size,
            "start": page * size,
            "next_page_uri": following,
            "page": page,
        }
    ).encode()


def for_sale(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct valid numbers for the clients to buy, none bought twice in a run.

    Buying the same few numbers over and over would let any cache keyed on
    the number (in a client or its parsing) answer instead of the code.
    """
    rng = random.Random(seed)
    numbers: dict[str, None] = {}
    while len(numbers) < count:
        numbers[_number(rng, _PLACES[len(numbers) % len(_PLACES)][0])] = None
    return list(numbers)


class Payloads:
    """Every canned body, built once per server.

    ``pages`` are distinct 1,000-number pages, served in turn: listing the
    same page again and again would measure caches (of dates, say) rather
    than parsing; there are more numbers and dates across the pages than a
    client would sensibly cache.
    """

    def __init__(self, seed: int = 2010, pages: int = 8) -> None:
        rng = random.Random(seed)
        self.available = available(rng, SEARCH_SIZE)
        self.search = search_page(self.available)
        self.pages = [owned_page(rng, PAGE_SIZE) for _ in range(pages)]
        # Every number, sid and date of the large account distinct: no cache can answer for the code.
        taken: set[str] = set()
        large = f"/2010-04-01/Accounts/{LARGE_ACCOUNT_SID}"
        self.large_pages = [
            owned_page(rng, PAGE_SIZE, account=large, page=page, pages=LARGE_PAGES, taken=taken)
            for page in range(LARGE_PAGES)
        ]
        # A purchase answers with the number that was asked for, under a sid of its own (as every
        # number has: a client may tell a purchase from a repeat by it); the rest is one fixed record.
        template = owned(rng, "+18089255327")
        template["phone_number"] = template["friendly_name"] = "{number}"
        template["date_created"] = template["date_updated"] = "{now}"
        self.purchase_template = json.dumps(template).replace(template["sid"], "{sid}")
        self.empty_page = json.dumps(
            {
                "first_page_uri": f"{_ACCOUNT}/IncomingPhoneNumbers.json?PageSize=50&Page=0",
                "end": 0,
                "previous_page_uri": None,
                "incoming_phone_numbers": [],
                "uri": f"{_ACCOUNT}/IncomingPhoneNumbers.json?PageSize=50&Page=0",
                "page_size": 50,
                "start": 0,
                "next_page_uri": None,
                "page": 0,
            }
        ).encode()

    def purchase(self, e164: str, now: str) -> bytes:
        """A number just bought: the one asked for, created ``now`` (an RFC 2822 date)."""
        sid = "PN" + hashlib.md5(e164.encode(), usedforsecurity=False).hexdigest()
        filled = self.purchase_template.replace("{number}", e164).replace("{now}", now)
        return filled.replace("{sid}", sid).encode()
