"""CometChat's per-app rate limits: a core and a standard tier, plus an optional cap on both.

A request is let through when every bucket it falls in has room; only then is
it counted (a refused request "isn't processed"). Windows are fixed (counts
reset on the boundary) or sliding (the usual two-window estimate: the previous
window's count weighted by how much of it still overlaps). Memory is O(1).
The clock is injected so tests can move time without sleeping.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ._config import RateLimits

Tier = Literal["core", "standard"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a request may go on, and what the rate-limit headers say."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # unix seconds when the current window ends
    retry_after: int  # seconds; meaningful when not allowed


class _Bucket:
    def __init__(self, limit: int, window: float, sliding: bool) -> None:
        self.limit = limit
        self.window = window
        self.sliding = sliding
        self.index = -1
        self.current = 0
        self.previous = 0

    def _roll(self, now: float) -> None:
        index = math.floor(now / self.window)
        if index != self.index:
            self.previous = self.current if index == self.index + 1 else 0
            self.current = 0
            self.index = index

    def used(self, now: float) -> float:
        self._roll(now)
        if not self.sliding:
            return float(self.current)
        overlap = 1.0 - (now / self.window - self.index)
        return self.previous * overlap + self.current

    def reset_at(self) -> float:
        return (self.index + 1) * self.window


class RateLimiter:
    """Decides and counts; `check` is one call per request."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self._limits = limits
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        """Empty every bucket."""
        limits = self._limits
        sliding = limits.window == "sliding"
        window = limits.window_seconds
        self._tiers = {
            "core": _Bucket(limits.core_per_minute, window, sliding),
            "standard": _Bucket(limits.standard_per_minute, window, sliding),
        }
        combined = limits.combined_per_minute
        self._combined = _Bucket(combined, window, sliding) if combined else None

    def check(self, tier: Tier) -> Verdict:
        """Count the request if every bucket has room; report the tightest bucket."""
        now = self._clock()
        buckets = [self._tiers[tier]]
        if self._combined is not None:
            buckets.append(self._combined)
        used = [bucket.used(now) for bucket in buckets]
        allowed = all(u + 1 <= bucket.limit for u, bucket in zip(used, buckets, strict=True))
        if allowed:
            for bucket in buckets:
                bucket.current += 1
        # The bucket with the least room left is the one the headers describe.
        room, bucket = min(
            ((b.limit - u - (1 if allowed else 0), b) for u, b in zip(used, buckets, strict=True)),
            key=lambda pair: pair[0],
        )
        reset_at = bucket.reset_at()
        return Verdict(
            allowed=allowed,
            limit=bucket.limit,
            remaining=max(0, math.floor(room)),
            reset_at=math.ceil(reset_at),
            retry_after=max(1, math.ceil(reset_at - now)),
        )
