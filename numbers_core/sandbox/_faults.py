"""Deterministic failures, for testing code that must survive a real carrier.

Whether a call fails depends only on the seed, the operation, its number (or
query) and how many times that same call was made before: the same program
meets the same failures in every run, whatever the task scheduling, and a
retried call gets a fresh draw.
"""

from __future__ import annotations

import collections
import hashlib

from ..errors import OutcomeUnknownError, ProviderUnavailableError, RateLimitError

__all__ = ["Faults"]

_SCALE = float(1 << 64)
# Operations that change state can also lose their answer after the change.
_MUTATING = frozenset({"purchase", "configure", "release", "transfer", "reserve"})
# What a rate-limited caller is told to wait, in seconds.
RETRY_AFTER = 1.0


class Faults:
    """The failure plan of one provider instance."""

    def __init__(self, rate: float, seed: int, *, provider: str) -> None:
        self.rate = rate
        self.seed = seed
        self.provider = provider
        self._calls: collections.Counter[tuple[str, str]] = collections.Counter()

    def strike(self, operation: str, key: str) -> bool:
        """Raise the failure drawn for this call, if it fails before doing anything.

        Returns True when the call is to do its work and then lose its answer:
        the caller raises :meth:`lost` after committing.
        """
        if self.rate <= 0:
            return False
        self._calls[operation, key] += 1
        text = f"{self.seed}|{operation}|{key}|{self._calls[operation, key]}"
        digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
        if int.from_bytes(digest[:8], "big") / _SCALE >= self.rate:
            return False
        kinds = 3 if operation in _MUTATING else 2
        kind = int.from_bytes(digest[8:], "big") % kinds
        if kind == 0:
            raise ProviderUnavailableError(
                f"{operation} failed: the sandbox is unavailable (injected)",
                provider=self.provider,
                code="unavailable",
            )
        if kind == 1:
            raise RateLimitError(
                f"{operation} refused: too many requests (injected)",
                provider=self.provider,
                code="rate-limited",
                retry_after=RETRY_AFTER,
            )
        return True

    def lost(self, operation: str, number: str) -> OutcomeUnknownError:
        """The error of a call whose change was made but whose answer was lost."""
        return OutcomeUnknownError(
            f"{self.provider}: {operation} of {number}: the answer was lost (injected); look the number up",
            operation=operation,
            number=number,
            provider=self.provider,
        )
