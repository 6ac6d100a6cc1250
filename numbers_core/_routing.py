"""Several carriers behind one Provider: a routing provider.

``connect(["telnyx", "twilio"])``, or a profile with ``providers = [...]``,
makes one over those members (each a provider of its own, named by the
provider or profile name it was given as):

- ``search`` asks every member at once, each within ``member_timeout``; a
  member that fails, times out or is set aside is left out (its error in the
  results' ``errors``) unless every one is. The offers are merged, each
  number kept once, ordered by the policy and cut to the query's limit; each
  offer's ``provider`` names its member.
- ``purchase`` and ``reserve`` go to the member that offered the number;
  ``purchase_any`` asks the members in the policy's order, moving on when one
  has nothing left, is down or rate-limited, never after an unknown outcome.
- ``get``, ``configure``, ``release``, ``transfer`` go to the member that
  holds the number (remembered; looked for at every member when not known).
- ``list`` lists every member's numbers, one member after another, page by
  page; ``prices``, ``coverage`` and ``requirements`` merge the members' rows,
  each naming its member.

A member whose calls fail with an outage (a 5xx, a network failure, a
timeout) ``set_aside_after`` times in a row is set aside for
``set_aside_for`` seconds: calls that can go to another member skip it. Then
one call is let through to it: an answer brings it back, a failure sets it
aside again. Calls only that member can serve (its numbers) are always sent.

Errors from a member keep their class and everything on them; they gain
``member`` (the member's name), and their message starts with it.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import anyio
from pydantic import BaseModel, Field, ValidationError, field_validator

from ._deadline import part_deadline
from ._features import Feature
from ._models import (
    ActiveNumber,
    AvailableNumber,
    Coverage,
    Money,
    NumberCompliance,
    NumberConfig,
    NumberPrice,
    NumberType,
    Requirement,
    SearchQuery,
    build,
)
from ._problems import problems
from ._provider import _LIST_FILTERS, Provider, _one_deadline
from ._settings import ProviderSettings
from .errors import (
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
    OutcomeUnknownError,
    ProviderUnavailableError,
    RateLimitError,
    TransportError,
    UnsupportedError,
)

if TYPE_CHECKING:
    from ._http import Pacer

__all__ = ["MergedResults", "RoutingProvider", "RoutingSettings"]

log = logging.getLogger("numbers_core.routing")

# The clock a member's time set aside is measured on; a module attribute so that tests can move it.
_now = anyio.current_time

_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseModel)
_E = TypeVar("_E", bound=NumbersError)
_Row = TypeVar("_Row", NumberPrice, Coverage, Requirement)

#: A policy: "order" (the members as listed), "price" (cheapest first where prices are known), or
#: a callable given the query and the member names, returning the names to use, in order.
Policy = Literal["order", "price"] | Callable[[SearchQuery, Sequence[str]], Iterable[str]]

# Settings that are each member's own: on the routing provider they would mean nothing.
_MEMBERS_OWN = ("timeout", "max_attempts", "max_connections", "allow_insecure_http", "prices")

# Operations that work with one carrier at a time: a routing provider does not offer them.
_NOT_ROUTED = frozenset(
    {
        Feature.PURCHASE_ANY_NATIVE,  # its own purchase_any is the members' in turn
        Feature.BULK,
        Feature.PURCHASE_MANY,
        Feature.CONFIGURE_MANY,
        Feature.RELEASE_MANY,
        Feature.ADDRESSES,  # an address book is one carrier account's
        Feature.EMERGENCY_VALIDATE,
    }
)

# What makes purchase_any move on to the next member: nothing left to buy there, or the member is
# down or busy. Each says that nothing was bought (an unknown outcome is an OutcomeUnknownError).
_RUN_DRY = (NumberUnavailableError, ProviderUnavailableError, RateLimitError, TransportError)
# A number nobody says who sells: asked of each member in turn, a "not found" moves on too.
_NOT_SOLD_HERE = (*_RUN_DRY, NotFoundError)

# The most numbers remembered, each with its member: where each was offered, and who holds it.
_REMEMBERED = 100_000


class RoutingSettings(ProviderSettings):
    """A routing provider's own settings; each member keeps its own (credentials, timeouts, prices).

    ``deadline``, unless set, is the sum of the members' (so that each can use its own in turn).
    """

    #: how members and offers are ordered: ``"order"`` (as listed), ``"price"`` (cheapest first
    #: where prices are known), or a callable ``policy(query, member_names) -> member_names``
    policy: Policy = "order"
    #: seconds each member has to answer a search or a look-up; one that takes longer is left out
    member_timeout: Annotated[float, Field(gt=0, le=600)] = 10.0
    #: outages in a row (5xx, network failures, timeouts) after which a member is set aside
    set_aside_after: Annotated[int, Field(ge=1, le=1000)] = 3
    #: seconds a member stays set aside before one call tries it again
    set_aside_for: Annotated[float, Field(gt=0, le=86_400)] = 30.0

    @field_validator("policy", mode="plain")
    @classmethod
    def _policy(cls, value: Any) -> Policy:
        # Checked whole: pydantic would report each arm of the union as a problem of its own.
        if value in ("order", "price") or callable(value):
            return value  # type: ignore[no-any-return]
        raise ValueError('expected "order", "price" or a function(query, member names) -> member names')


def routing_settings(values: Mapping[str, Any], *, profile: str | None = None) -> RoutingSettings:
    """``values`` checked as a routing provider's settings; ConfigurationError naming the setting."""
    for name in _MEMBERS_OWN:
        if name in values:
            raise ConfigurationError(
                f"routing: {name} is a setting of each member, not of the routing provider",
                setting=name,
                profile=profile,
            )
    try:
        return RoutingSettings.model_validate(dict(values))
    except ValidationError as exc:
        found = problems(exc, show_input=False)
    setting, text, kind = found[0]
    setting = setting or "settings"
    if kind == "extra_forbidden":
        message = f"{setting} is not a setting of a routing provider (a member's settings go under its name)"
    else:
        message = f"{setting}: {text}"
    raise ConfigurationError(f"routing: {message}", setting=setting, profile=profile)


class MergedResults(builtins.list[AvailableNumber]):
    """A routing provider's search results: the offers (each naming its member in ``provider``),
    and in ``errors`` the members left out of them (failed, timed out, set aside), with why."""

    def __init__(
        self, offers: Iterable[AvailableNumber] = (), errors: Mapping[str, NumbersError] | None = None
    ) -> None:
        super().__init__(offers)
        #: each member left out of these results, and the error that kept it out
        self.errors: dict[str, NumbersError] = dict(errors or {})


class _Breaker:
    """Whether a member is set aside: after ``after`` outages in a row, for ``cooldown`` seconds.

    Once that time is up, one call is let through (the probe): an answer brings the member back,
    a failure sets it aside again. Calls only this member can serve are sent whatever the state;
    how they go counts the same.
    """

    def __init__(self, member: str, *, after: int, cooldown: float) -> None:
        self._member = member
        self._after = after
        self._cooldown = cooldown
        self._failures = 0
        self._until: float | None = None  # set aside until then
        self._probing = False

    def admit(self) -> bool:
        """Whether a call that could go elsewhere goes to this member (taking the probe if due)."""
        if self._until is None:
            return True
        if self._probing or _now() < self._until:
            return False
        self._probing = True
        log.info("%s: set aside until now; trying it again", self._member)
        return True

    def answered(self) -> None:
        if self._until is not None:
            log.info("%s: answers again; back in use", self._member)
        self._failures, self._until, self._probing = 0, None, False

    def failed(self) -> None:
        self._failures += 1
        now = _now()
        if self._until is None:
            if self._failures < self._after:
                return
            log.warning(
                "%s: set aside for %g s after %d failures in a row; the other members carry on",
                self._member,
                self._cooldown,
                self._failures,
            )
        elif now >= self._until:
            log.warning("%s: still failing; set aside for another %g s", self._member, self._cooldown)
        self._until, self._probing = now + self._cooldown, False

    def gave_up(self) -> None:
        """A call that ended without an answer either way (cancelled): it proved nothing."""
        self._probing = False

    def set_aside(self) -> ProviderUnavailableError:
        """The error that stands for this member in a call that skipped it."""
        left = max(0.0, (self._until or 0.0) - _now())
        return _tagged(
            ProviderUnavailableError(
                f"set aside after {self._failures} failures in a row; asked again in {left:.0f} s",
                provider=self._member,
            ),
            self._member,
        )


@dataclass(frozen=True, eq=False)
class _Member:
    name: str
    provider: Provider
    breaker: _Breaker


def _tagged(error: _E, member: str) -> _E:
    """``error``, naming the member it came from (``member``, and its message's first words)."""
    if error.member is not None:
        return error
    error.member = member
    text = str(error)
    if not text.startswith(f"{member}:"):
        if error.message == text:
            error.message = f"{member}: {text}"
        error.args = (f"{member}: {text}",)
    return error


def _outage(error: NumbersError) -> bool:
    return isinstance(error, ProviderUnavailableError | TransportError)


@contextlib.contextmanager
def _asking(member: _Member) -> Iterator[None]:
    """A call to ``member``: within its own deadline (and the routed call's), its errors naming it,
    and its breaker told how it went."""
    try:
        with part_deadline(member.provider.settings.deadline):
            yield
    except NumbersError as error:
        if _outage(error):
            member.breaker.failed()
        else:  # the carrier answered: it is up
            member.breaker.answered()
        _tagged(error, member.name)
        raise
    except BaseException:
        member.breaker.gave_up()
        raise
    else:
        member.breaker.answered()


def _as_member(model: _M, member: str) -> _M:
    """A model a member handed out, naming the member in ``provider``."""
    if getattr(model, "provider", member) == member:
        return model
    return model.model_copy(update={"provider": member})


def _remember(memory: dict[str, str], e164: str, member: str) -> None:
    memory.pop(e164, None)  # the newest last: the oldest go first
    memory[e164] = member
    if len(memory) > _REMEMBERED:
        del memory[next(iter(memory))]


def _account_bound(config: NumberConfig | None) -> builtins.list[str]:
    """The fields of ``config`` that refer to things of one carrier account."""
    if config is None:
        return []
    bound = [
        f"{kind}.application_id"
        for kind in ("voice", "sms")
        if (route := getattr(config, kind)) is not None and route.application_id is not None
    ]
    if config.emergency_address_id is not None:
        bound.append("emergency_address_id")
    if config.compliance is not None:
        bound.append("compliance")
    if config.extra:
        bound.append("extra")
    return bound


def _price_key(price: Money | None, currency: str | None) -> tuple[int, Decimal]:
    # Prices in another currency than the reference one are not compared: no rate is assumed.
    if price is None or price.currency != currency:
        return (1, Decimal(0))
    return (0, price.amount)


def _first_currency(prices: Iterable[Money | None]) -> str | None:
    return next((price.currency for price in prices if price is not None), None)


def _position(cursor: str | None) -> tuple[int, str | None]:
    """(member index, the member's own cursor) of a listing cursor this provider handed out."""
    if cursor is None:
        return 0, None
    index, _, own = cursor.partition(" ")
    return int(index), own or None


class RoutingProvider(Provider):
    """Several carriers behind one Provider (``nc.connect(["telnyx", "twilio"])``).

    ``members`` maps each member's name (the provider or profile name it was
    given as) to its provider; offers and numbers name their member in
    ``provider``, and errors from a member name it in ``member``.
    ``features`` are those every member has (``supports(feature,
    member=NAME)`` asks one member). Closing it closes every member. See
    docs/several-carriers.md.
    """

    name = "routing"
    settings_model = RoutingSettings
    settings: RoutingSettings
    # Every list filter goes to the members (each uses those it can); the rest are applied here.
    native_list_filters = frozenset(_LIST_FILTERS)
    # Two members could list one number (two accounts sharing it): it is listed once.
    list_repeats = True

    def __init__(self, members: Mapping[str, Provider], /, **settings: Any) -> None:
        chosen = routing_settings(settings)
        providers = _checked_members(members)
        if "deadline" not in chosen.model_fields_set:
            total = sum(provider.settings.deadline for provider in providers.values())
            chosen = chosen.model_copy(update={"deadline": min(total, 3600.0)})
        super().__init__(chosen)
        self._members = {
            name: _Member(
                name,
                provider,
                _Breaker(name, after=chosen.set_aside_after, cooldown=chosen.set_aside_for),
            )
            for name, provider in providers.items()
        }
        self._listed = builtins.list(self._members.values())
        self._providers = MappingProxyType(providers)
        self.features = frozenset.intersection(*(p.features for p in providers.values())) - _NOT_ROUTED
        # Where each number was last offered, and which member holds it.
        self._offers: dict[str, str] = {}
        self._holders: dict[str, str] = {}

    @property
    def members(self) -> Mapping[str, Provider]:
        """Each member by name, in the order given: ``carrier.members["twilio"].prices("US")``."""
        return self._providers

    def supports(self, feature: Feature | str, member: str | None = None) -> bool:
        """Whether every member can do ``feature``; with ``member``, whether that one can."""
        if member is None:
            return super().supports(feature)
        if member not in self._members:
            raise InvalidInputError(
                f"member: {member!r} is not a member ({', '.join(self._members)})", field="member"
            )
        return self._members[member].provider.supports(feature)

    def __repr__(self) -> str:
        return f"<RoutingProvider over {', '.join(self._members)}>"

    def pace(self, pacer: Pacer | None) -> bool:
        """Send every member's requests through ``pacer`` (one pacer for all of them; a caller
        that paces each carrier account by its own paces ``members[NAME]``, as bulk jobs do).
        False when a member has no requests to pace (the sandbox): its calls are the caller's
        to pace."""
        paced = [member.provider.pace(pacer) for member in self._listed]
        return all(paced)

    @contextlib.contextmanager
    def asking(self, name: str) -> Iterator[Provider]:
        """The member ``name``, for calls made to it directly by a caller that chose it (a bulk
        job sends each item to the member its number came from): within the member's deadline,
        their errors naming it, as the routing provider's own do. They do not count towards
        setting it aside: where they go is the caller's choice, not this provider's."""
        member = self._members.get(name)
        if member is None:
            raise InvalidInputError(
                f"member: {name!r} is not a member ({', '.join(self._members)})", field="member"
            )
        try:
            with part_deadline(member.provider.settings.deadline):
                yield member.provider
        except NumbersError as error:
            _tagged(error, name)
            raise

    async def ranked(self, query: SearchQuery | None = None, /, **criteria: Any) -> builtins.list[str]:
        """The names of the members the policy uses for the query, in its order: those
        :meth:`purchase_any` tries, in turn (a bulk job buys at each in turn as they run dry)."""
        query = build(SearchQuery, query, criteria)
        return [member.name for member in await self._by_policy(query, self._chosen(query))]

    async def aclose(self) -> None:
        """Close every member (each one, whatever another's closing raises)."""
        async with contextlib.AsyncExitStack() as stack:
            for member in self._members.values():
                stack.push_async_callback(member.provider.aclose)

    # -- searching and buying ------------------------------------------------------------------

    @_one_deadline
    async def search(self, query: SearchQuery | None = None, /, **criteria: Any) -> MergedResults:
        """Every member's offers, merged: see the class. ``errors`` on the result names the members
        left out (failed, timed out, set aside); when every one is, the first one's error is raised."""
        query = build(SearchQuery, query, criteria)
        self._check_search(query)
        return await self._search(query)

    async def _search(self, query: SearchQuery) -> MergedResults:
        chosen = self._chosen(query)
        errors: dict[str, NumbersError] = {}
        asked = []
        for member in chosen:
            if member.breaker.admit():
                asked.append(member)
            else:
                errors[member.name] = member.breaker.set_aside()
        answers = await self._each(asked, lambda provider: provider.search(query))
        offers: builtins.list[AvailableNumber] = []
        for member in asked:
            answer = answers[member.name]
            if isinstance(answer, NumbersError):
                log.warning("%s is left out of this search: %s", member.name, answer)
                errors[member.name] = answer
            else:
                offers.extend(_as_member(offer, member.name) for offer in answer)
        if chosen and len(errors) == len(chosen):
            raise _first_of(errors.values())
        if self.settings.policy == "price":
            currency = _first_currency(offer.monthly_price for offer in offers)
            offers.sort(key=lambda offer: _price_key(offer.monthly_price, currency))
        merged: dict[str, AvailableNumber] = {}
        for offer in offers:
            merged.setdefault(offer.phone_number, offer)
        found = builtins.list(merged.values())[: query.limit]
        for offer in found:
            _remember(self._offers, offer.phone_number, offer.provider)
        return MergedResults(found, errors)

    async def purchase(self, number: Any, /, *, config: NumberConfig | None = None) -> ActiveNumber:
        """Buy ``number`` from the member that offered it (an offer's ``provider``, else the
        member whose search showed it last); one nobody offered here is asked of each member in
        turn."""
        self._note_offer(number)
        return await super().purchase(number, config=config)

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        return await self._sell(e164, lambda provider: provider.purchase(e164, config=config))

    async def reserve(self, number: Any, /) -> ActiveNumber:
        """Hold ``number`` at the member that offered it (as :meth:`purchase` finds it)."""
        self._note_offer(number)
        return await super().reserve(number)

    async def _reserve(self, e164: str) -> ActiveNumber:
        return await self._sell(e164, lambda provider: provider.reserve(e164))

    @_one_deadline
    async def purchase_any(
        self, query: SearchQuery | None = None, /, *, config: NumberConfig | None = None, **criteria: Any
    ) -> ActiveNumber:
        """Buy one number matching the query from the first member, in the policy's order, that
        has one: a member with none left, down (5xx, network) or rate-limited is passed over for
        the next. An unknown outcome is raised at once (that member's to settle: nothing is
        bought elsewhere meanwhile). ``config`` may not refer to one carrier account's things
        (application ids, address ids, compliance, ``extra``) when several members may sell."""
        query = build(SearchQuery, query, criteria)
        self._check_search(query)
        self._require(Feature.PURCHASE)
        self._check_config(config, purchase=True)
        chosen = self._chosen(query)
        if len(chosen) > 1:
            self._check_any_member(config, "purchase_any", "carrier.members[NAME].purchase_any")
        return await self._first_to_sell(
            await self._by_policy(query, chosen),
            lambda provider: provider.purchase_any(query, config=config),
            moves_on=_RUN_DRY,
            none="no member had a number matching the query to sell",
        )

    def _check_any_member(self, config: NumberConfig | None, buyer: str, instead: str) -> None:
        """Refuse a ``config`` that refers to one carrier account's things (application ids, address
        ids, compliance, ``extra``) for ``buyer``, which may buy at any member; ``instead``: how
        to buy at one."""
        bound = _account_bound(config)
        if bound:
            raise InvalidInputError(
                f"config.{bound[0]}: refers to one carrier account, and {buyer} may buy at any "
                f"member; buy at one ({instead}), or configure once bought",
                field=f"config.{bound[0]}",
            )

    async def _sell(self, e164: str, call: Callable[[Provider], Awaitable[ActiveNumber]]) -> ActiveNumber:
        """``call`` (a purchase or reservation of ``e164``) at the member that offered it, or that
        holds it (which then says so); else at each member in turn until one sells it."""
        name = self._offers.get(e164) or self._holders.get(e164)
        if name is None:
            return await self._first_to_sell(
                self._listed, call, moves_on=_NOT_SOLD_HERE, none=f"no member sells {e164}"
            )
        member = self._members[name]
        with _asking(member):
            sold = await call(member.provider)
        self._offers.pop(e164, None)
        return self._held(sold, member)

    async def _first_to_sell(
        self,
        members: Iterable[_Member],
        call: Callable[[Provider], Awaitable[ActiveNumber]],
        *,
        moves_on: tuple[type[NumbersError], ...],
        none: str,
    ) -> ActiveNumber:
        """``call`` at each of ``members`` in turn (those set aside skipped) until one sells; an
        error in ``moves_on`` moves on, any other (an unknown outcome first) is raised."""
        errors: dict[str, NumbersError] = {}
        for member in members:
            if not member.breaker.admit():
                errors[member.name] = member.breaker.set_aside()
                continue
            try:
                with _asking(member):
                    sold = await call(member.provider)
            except OutcomeUnknownError:
                raise
            except moves_on as error:
                log.info("%s; trying the next member", error)
                errors[member.name] = error
                continue
            self._offers.pop(sold.phone_number, None)
            return self._held(sold, member)
        busy = next((error for error in errors.values() if _outage_or_busy(error)), None)
        if busy is not None:
            # One was down or busy: that, not "none left", is what to act on.
            raise _first_of([busy, *errors.values()])
        reasons = "; ".join(str(error) for error in errors.values()) or "the policy chose no member"
        raise NumberUnavailableError(f"{none} ({reasons})", provider=self.name)

    async def _by_policy(self, query: SearchQuery, chosen: builtins.list[_Member]) -> builtins.list[_Member]:
        """``chosen`` (the members the policy uses for ``query``) in the order to try them."""
        if self.settings.policy == "price":
            return await self._cheapest_first(query, chosen)
        return chosen

    async def _cheapest_first(
        self, query: SearchQuery, members: builtins.list[_Member]
    ) -> builtins.list[_Member]:
        """``members`` by what they charge for ``query``'s numbers, where they say; the others after."""
        priced = [member for member in members if member.provider.supports(Feature.PRICES)]
        answers = await self._each(priced, lambda provider: provider.prices(query.country, query.number_type))
        cheapest: dict[str, Money | None] = {}
        for member in members:
            answer = answers.get(member.name)
            if isinstance(answer, NumbersError):
                log.info("%s: no prices (%s); it comes after those with prices", member.name, answer)
            elif answer:
                monthly = [row.monthly for row in answer if row.monthly is not None]
                cheapest[member.name] = min(monthly, key=lambda money: money.amount, default=None)
        currency = _first_currency(cheapest.get(member.name) for member in members)
        return sorted(members, key=lambda member: _price_key(cheapest.get(member.name), currency))

    def _note_offer(self, number: Any) -> None:
        # An offer, or a number, handed out by a member says which one it came from.
        if isinstance(number, AvailableNumber | ActiveNumber) and number.provider in self._members:
            _remember(self._offers, number.phone_number, number.provider)

    # -- owned numbers ---------------------------------------------------------------------------

    async def _get(self, e164: str) -> ActiveNumber:
        return await self._holding(e164, lambda provider: provider.get(e164), found=lambda number: number)

    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber:
        return await self._holding(e164, lambda provider: provider.configure(e164, config))

    async def _release(self, e164: str) -> None:
        await self._holding(e164, lambda provider: provider.release(e164))
        self._holders.pop(e164, None)

    async def _transfer(self, e164: str, to_account: str) -> ActiveNumber:
        moved = await self._holding(e164, lambda provider: provider.transfer(e164, to_account))
        self._holders.pop(e164, None)
        return moved

    async def _transfer_with(self, e164: str, to_account: str, compliance: NumberCompliance) -> ActiveNumber:
        moved = await self._holding(
            e164, lambda provider: provider.transfer(e164, to_account, compliance=compliance)
        )
        self._holders.pop(e164, None)
        return moved

    async def _holding(
        self,
        e164: str,
        call: Callable[[Provider], Awaitable[_T]],
        *,
        found: Callable[[ActiveNumber], _T] | None = None,
    ) -> _T:
        """``call`` at the member that holds ``e164``: the one known, else the one found (asking
        every member); ``found`` makes the answer of the number as found (``call`` is a look-up)."""
        name = self._holders.get(e164)
        if name is not None:
            member = self._members[name]
            try:
                with _asking(member):
                    return self._held(await call(member.provider), member)
            except NotFoundError:
                # Released or moved behind our back: whoever holds it now is looked for.
                self._holders.pop(e164, None)
        member, number = await self._find(e164, known_not=name)
        if found is not None:
            return found(number)
        with _asking(member):
            return self._held(await call(member.provider), member)

    async def _find(self, e164: str, *, known_not: str | None) -> tuple[_Member, ActiveNumber]:
        """The member that holds ``e164``, and the number as it has it, asking every member at once
        (but ``known_not``, which said it does not hold it)."""
        asked = [member for member in self._listed if member.name != known_not]
        answers = await self._each(
            asked, lambda provider: provider.get(e164), until=lambda answer: isinstance(answer, ActiveNumber)
        )
        for member in asked:
            answer = answers.get(member.name)
            if isinstance(answer, ActiveNumber):
                return member, self._held(answer, member)
        failures = {
            name: answer
            for name, answer in answers.items()
            if isinstance(answer, NumbersError) and not isinstance(answer, NotFoundError)
        }
        if failures:
            # Not found where asked, but a member that could not say may hold it.
            raise _first_of(failures.values())
        raise NotFoundError(
            f"{e164} is not held by any member ({', '.join(self._members)})", provider=self.name
        )

    def _held(self, number: _T, member: _Member) -> _T:
        """``number`` as ``member`` answered it (None for a release), remembered as its."""
        if isinstance(number, ActiveNumber):
            _remember(self._holders, number.phone_number, member.name)
            return _as_member(number, member.name)
        return number

    async def _list_page(
        self, filters: dict[str, Any], cursor: str | None
    ) -> tuple[builtins.list[ActiveNumber], str | None]:
        # One member's page at a time, the members in the order given; the cursor says whose.
        index, own = _position(cursor)
        member = self._listed[index]
        native = {key: value for key, value in filters.items() if key in member.provider.native_list_filters}
        with _asking(member), member.provider._guard("list"):
            page, following = await member.provider._list_page(native, own)
        numbers = [self._held(number, member) for number in page]
        if following:
            return numbers, f"{index} {following}"
        return numbers, (f"{index + 1} " if index + 1 < len(self._listed) else None)

    # -- prices, coverage, requirements: every member's rows --------------------------------------

    async def _prices(self, country: str) -> builtins.list[NumberPrice]:
        return await self._merged(lambda provider: provider.prices(country))

    async def _coverage(self) -> builtins.list[Coverage]:
        return await self._merged(lambda provider: provider.coverage())

    async def _requirements(self, country: str, number_type: NumberType | None) -> builtins.list[Requirement]:
        return await self._merged(lambda provider: provider.requirements(country, number_type))

    async def _merged(
        self, call: Callable[[Provider], Awaitable[builtins.list[_Row]]]
    ) -> builtins.list[_Row]:
        answers = await self._each(self._listed, call)
        rows: builtins.list[_Row] = []
        for member in self._listed:
            answer = answers[member.name]
            if isinstance(answer, NumbersError):
                raise answer
            rows.extend(_as_member(row, member.name) for row in answer)
        return rows

    # -- mechanics -------------------------------------------------------------------------------

    def _require(self, feature: Feature) -> None:
        if feature in self.features:
            return
        if feature in _NOT_ROUTED:
            raise UnsupportedError(
                self.name,
                feature,
                f"{self.name}: {feature} is not routed across carriers: call it on one member "
                "(carrier.members[NAME])",
            )
        lacking = [member.name for member in self._listed if not member.provider.supports(feature)]
        raise UnsupportedError(
            lacking[0],
            feature,
            f"{', '.join(lacking)} {'does' if len(lacking) == 1 else 'do'} not support {feature} "
            "(a routing provider does what every member does)",
        )

    def _chosen(self, query: SearchQuery) -> builtins.list[_Member]:
        """The members the policy uses for ``query``, in its order (before any price is known)."""
        policy = self.settings.policy
        if not callable(policy):
            return self._listed
        names = tuple(self._members)
        picked = policy(query, names)
        if isinstance(picked, str) or not isinstance(picked, Iterable):
            raise ConfigurationError(
                f"policy: returned {type(picked).__name__}, not member names", setting="policy"
            )
        chosen: dict[str, _Member] = {}
        for name in picked:
            member = self._members.get(name) if isinstance(name, str) else None
            if member is None:
                raise ConfigurationError(
                    f"policy: returned {name!r:.40}, which is not a member ({', '.join(names)})",
                    setting="policy",
                )
            chosen.setdefault(name, member)
        return builtins.list(chosen.values())

    async def _each(
        self,
        members: Sequence[_Member],
        call: Callable[[Provider], Awaitable[_T]],
        *,
        until: Callable[[_T | NumbersError], bool] | None = None,
    ) -> dict[str, _T | NumbersError]:
        """``call`` at every one of ``members`` at once, each within ``member_timeout``: what each
        answered, or the error it ended with. Once ``until`` holds for an answer, the calls still
        under way are cancelled (and missing from the answers)."""
        answers: dict[str, _T | NumbersError] = {}

        async def ask(member: _Member) -> None:
            answers[member.name] = answer = await self._within(member, call)
            if until is not None and until(answer):
                tasks.cancel_scope.cancel()

        async with anyio.create_task_group() as tasks:
            for member in members:
                tasks.start_soon(ask, member)
        return answers

    async def _within(self, member: _Member, call: Callable[[Provider], Awaitable[_T]]) -> _T | NumbersError:
        """``call`` at ``member`` within ``member_timeout``: its answer, or the error it ended with."""
        timeout = self.settings.member_timeout
        with anyio.move_on_after(timeout):
            try:
                with _asking(member):
                    return await call(member.provider)
            except NumbersError as error:
                return error
        member.breaker.failed()
        return _tagged(TransportError(f"no answer within {timeout:g} s", provider=member.name), member.name)


def _outage_or_busy(error: NumbersError) -> bool:
    return _outage(error) or isinstance(error, RateLimitError)


def _first_of(errors: Iterable[NumbersError]) -> NumbersError:
    """The first of ``errors`` (each a member's), with the others in its notes."""
    first, *others = errors
    for other in others:
        if other is not first:
            first.add_note(f"also {other}")
    return first


def _checked_members(members: Any) -> dict[str, Provider]:
    if not isinstance(members, Mapping) or not members:
        raise ConfigurationError("providers: expected one provider or more, by name", setting="providers")
    checked: dict[str, Provider] = {}
    for name, provider in members.items():
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            raise ConfigurationError(f"providers: {name!r:.40} is not a member name", setting="providers")
        if not isinstance(provider, Provider) or isinstance(provider, RoutingProvider):
            what = "a routing provider" if isinstance(provider, RoutingProvider) else type(provider).__name__
            raise ConfigurationError(
                f"providers: member {name!r} must be a provider of one carrier, not {what}",
                setting="providers",
            )
        if any(provider is other for other in checked.values()):
            raise ConfigurationError(
                f"providers: member {name!r} is the same provider as another member", setting="providers"
            )
        checked[name] = provider
    return checked
