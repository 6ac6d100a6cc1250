"""Faults on demand: what an emulator does to a request before (or instead of) answering it.

Every draw follows from the seed and the request's sequence number, so a
run with the same seed and the same requests in the same order fails the
same requests. The rate limit is a token bucket per account.
"""

from __future__ import annotations

import enum
import json
import math
import random
import time
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["Decision", "Faults", "Kind", "TokenBucket", "problems"]

# Each field's description says what it takes, in the words a refusal of a bad value uses.
Share = Annotated[float, Field(ge=0.0, le=1.0, description="a share of requests, from 0 to 1")]
Seconds = Annotated[float, Field(ge=0.0, le=600.0, description="seconds, from 0 to 600")]


class Faults(BaseModel):
    """What goes wrong, and how often (shares of requests, 0 to 1). All off by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the same seed fails the same requests in every run
    seed: Annotated[int, Field(description="a whole number")] = 0
    #: added to every answer, plus up to ``jitter`` more (uniformly)
    latency: Seconds = 0.0
    jitter: Seconds = 0.0
    #: answered 429 with ``Retry-After: retry_after``
    throttled: Share = 0.0
    #: answered 429 without ``Retry-After``
    throttled_bare: Share = 0.0
    retry_after: Annotated[int, Field(ge=0, le=3600, description="whole seconds, from 0 to 3600")] = 1
    #: answered 503
    unavailable: Share = 0.0
    #: the connection closes before the server reads the request, with no answer: nothing happens
    dropped: Share = 0.0
    #: of the changes (POST, PUT, PATCH, DELETE) that succeed: done, and the answer cut off
    lost: Share = 0.0
    #: of the changes that succeed: done, and the connection closed with no answer at all
    unanswered: Share = 0.0
    #: requests per second per account (a token bucket holding ``burst``); None: no limit
    rate_limit: Annotated[
        Annotated[float, Field(gt=0.0)] | None,
        Field(description="requests per second, more than 0 (or null: no limit)"),
    ] = None
    burst: Annotated[int, Field(ge=1, description="a whole number of requests, 1 or more")] = 10

    @property
    def _random(self) -> bool:
        """Whether a draw rolls anything: a jitter, or a share of some fault."""
        shares = (
            self.throttled,
            self.throttled_bare,
            self.unavailable,
            self.dropped,
            self.lost,
            self.unanswered,
        )
        return bool(self.jitter or any(shares))

    def draw(self, sequence: int, *, change: bool) -> Decision:
        """What happens to request number ``sequence``."""
        if not self._random:
            # Every roll would land past shares of 0: the answer after the latency, without seeding a
            # generator for it (a hash of the seed, on every request of an emulator with --latency).
            return Decision(Kind.ANSWER, self.latency) if self.latency else _CLEAN
        rng = random.Random(f"{self.seed}/{sequence}")  # noqa: S311 - reproducible, not secret
        delay = self.latency + (rng.uniform(0.0, self.jitter) if self.jitter else 0.0)
        roll = rng.random()
        kind = Kind.ANSWER
        for share, outcome in (
            (self.dropped, Kind.DROPPED),
            (self.throttled, Kind.THROTTLED),
            (self.throttled_bare, Kind.THROTTLED_BARE),
            (self.unavailable, Kind.UNAVAILABLE),
        ):
            if roll < share:
                kind = outcome
                break
            roll -= share
        if kind is Kind.ANSWER and change:
            roll = rng.random()
            if roll < self.lost:
                kind = Kind.LOST
            elif roll < self.lost + self.unanswered:
                kind = Kind.UNANSWERED
        return Decision(kind, delay)


def problems(error: ValidationError) -> str:
    """What is wrong with faults asked for, in plain words: each one named, with what it takes."""
    said = []
    for problem in error.errors(include_url=False):
        name = str(problem["loc"][0]) if problem["loc"] else ""
        field = Faults.model_fields.get(name)
        if field is None:
            said.append(
                f"there is no fault {json.dumps(name)} (the faults: {', '.join(Faults.model_fields)})"
            )
        else:
            said.append(f"{name} takes {field.description}, not {json.dumps(problem['input'], default=str)}")
    return "; ".join(dict.fromkeys(said))


class Kind(enum.Enum):
    ANSWER = "answer"
    DROPPED = "dropped"
    THROTTLED = "throttled"
    THROTTLED_BARE = "throttled_bare"
    UNAVAILABLE = "unavailable"
    LOST = "lost"
    UNANSWERED = "unanswered"


@dataclass(frozen=True, slots=True)
class Decision:
    kind: Kind
    delay: float


_CLEAN = Decision(Kind.ANSWER, 0.0)


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` kept; one per request."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._tokens = float(burst)
        self._at = time.monotonic()

    def take(self) -> int | None:
        """None when the request may go; otherwise the whole seconds until a token is there."""
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - self._tokens) / self.rate))
