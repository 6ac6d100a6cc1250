"""Routing a number on Kazoo: the callflow whose ``numbers`` hold it answers its calls.

Kazoo routes by callflows, not by numbers: a number has no webhook, and a
number may be in one callflow only (saving a second gives 400 ``unique``).
So routing a number to callflow X means taking it out of the callflow that
held it, then adding it to X's ``numbers``, both with PATCH (merge), which
leaves the rest of each callflow as it was.
"""

from __future__ import annotations

import logging
from typing import Any

from numbers_core.adapter import HttpCore, Idempotency, Malformed, path_segment
from numbers_core.errors import NotFoundError

__all__ = ["CallflowRouter"]

log = logging.getLogger("numbers_core.kazoo")

# Callflows per listing page while looking for the one that holds a number.
_PAGE_SIZE = 500


def _numbers_of(doc: object, what: str) -> list[str]:
    if type(doc) is not dict:
        raise Malformed(f"{what}: expected an object")
    numbers = doc.get("numbers", [])
    if type(numbers) is not list or not all(type(n) is str for n in numbers):
        raise Malformed(f"{what}.numbers: expected a list of strings")
    return numbers


def _data(body: object, what: str) -> Any:
    if type(body) is not dict or "data" not in body:
        raise Malformed(f"{what}: expected an envelope with data")
    return body["data"]


class CallflowRouter:
    """Moves numbers between an account's callflows."""

    def __init__(self, api: HttpCore, account_path: str, provider: str) -> None:
        self._api = api
        self._callflows = f"{account_path}/callflows"
        self._provider = provider

    def _one(self, callflow_id: str) -> str:
        return f"{self._callflows}/{path_segment(callflow_id, field='voice.application_id')}"

    async def route(self, e164: str, callflow_id: str | None) -> None:
        """Make ``callflow_id`` the one callflow holding ``e164`` (None: no callflow holds it)."""
        target: list[str] | None = None
        if callflow_id is not None:
            try:
                response = await self._api.request(
                    "GET", self._one(callflow_id), idempotency=Idempotency.SAFE, operation="configure"
                )
            except NotFoundError as exc:
                message = f"callflow {callflow_id} is not a callflow of this account"
                raise exc.recast(NotFoundError, message) from exc
            target = self._api.read(
                response, lambda body: _numbers_of(_data(body, "callflow"), "callflow"), "configure"
            )
        for holder, numbers in await self._holders(e164):
            if holder != callflow_id:
                log.info("%s: %s leaves callflow %s", self._provider, e164, holder)
                await self._save(holder, [n for n in numbers if n != e164])
        if callflow_id is not None and target is not None and e164 not in target:
            await self._save(callflow_id, [*target, e164])

    async def _holders(self, e164: str) -> list[tuple[str, list[str]]]:
        """The callflows whose numbers hold ``e164``, with their numbers."""
        holders = []
        pages = self._api.paginate(self._page)
        async for callflow_id, numbers in pages:
            if e164 in numbers:
                holders.append((callflow_id, numbers))
        return holders

    async def _page(self, cursor: str | None) -> tuple[list[tuple[str, list[str]]], str | None]:
        params = {"page_size": str(_PAGE_SIZE)}
        if cursor is not None:
            params["start_key"] = cursor
        response = await self._api.request(
            "GET", self._callflows, params=params, idempotency=Idempotency.SAFE, operation="configure"
        )
        return self._api.read(response, _listing, "configure")

    async def _save(self, callflow_id: str, numbers: list[str]) -> None:
        # The whole list each time: sending it again leaves the same callflow.
        await self._api.request(
            "PATCH",
            self._one(callflow_id),
            json={"data": {"numbers": numbers}},
            idempotency=Idempotency.IDEMPOTENT,
            operation="configure",
        )


def _listing(body: object) -> tuple[list[tuple[str, list[str]]], str | None]:
    rows = _data(body, "callflows")
    if type(rows) is not list:
        raise Malformed("callflows: expected a list")
    found = []
    for index, row in enumerate(rows):
        callflow_id = row.get("id") if type(row) is dict else None
        if type(callflow_id) is not str or not callflow_id:
            raise Malformed(f"callflows[{index}].id: expected an id")
        found.append((callflow_id, _numbers_of(row, f"callflows[{index}]")))
    following = body.get("next_start_key") if type(body) is dict else None
    if following is not None and not isinstance(following, str | int):
        raise Malformed("next_start_key: expected an opaque key")
    return found, None if following in (None, "") else str(following)
