"""Handing the pool out: one virtual user per identity while there are enough, then sharing."""

from __future__ import annotations

import random
from collections import deque

from ..protocol._steps import Identity


class IdentityPool:
    """The identities this process logs in as (its share of the run's pool)."""

    def __init__(self) -> None:
        self.all: list[Identity] | None = None  # None: not provisioned (or received) yet
        self.free: deque[Identity] = deque()

    def set(self, identities: list[Identity]) -> None:
        self.all = identities
        self.free = deque(identities)

    def clear(self) -> None:
        self.all, self.free = None, deque()

    def take(self) -> tuple[Identity | None, bool]:
        """An identity for one cycle, and whether it must be given back.

        Each identity serves one virtual user at a time while there are enough; with more
        users than identities, the extra users share them (and give nothing back).
        """
        if self.free:
            return self.free.popleft(), True
        return (random.choice(self.all) if self.all else None), False

    def give_back(self, identity: Identity) -> None:
        self.free.append(identity)

    def share(self, index: int, count: int) -> list[Identity]:
        """Worker `index` of `count`'s disjoint share (all of them when there are fewer than workers)."""
        identities = self.all or []
        return identities[index::count] or identities
