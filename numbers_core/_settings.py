"""The settings every provider takes, and the base class adapters extend."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ProviderSettings"]


class ProviderSettings(BaseModel):
    """Settings common to every provider; each adapter subclasses this.

    Secrets are ``pydantic.SecretStr`` so that they never show in a repr.
    Unknown settings are refused (a typo must not silently fall back to a
    default).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    #: total seconds one HTTP request may take (connect: at most 10 s of it)
    timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    #: how many times one request is tried in all, first try included
    max_attempts: Annotated[int, Field(ge=1, le=20)] = 4
    #: total seconds one call may take, every try and every wait (Retry-After included) counted
    deadline: Annotated[float, Field(gt=0, le=3600)] = 60.0
    #: connections open at once to the carrier, all of them kept for reuse: set it to the
    #: concurrency you run at (a smaller idle pool reopens connections in every wave of requests)
    max_connections: Annotated[int, Field(ge=1, le=1000)] = 100
    #: plain http:// to a host that is not loopback; for test rigs only
    allow_insecure_http: bool = False
