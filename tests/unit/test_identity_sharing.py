"""Who gets which identity: one virtual user per identity while there are enough; then sharing."""

from __future__ import annotations

from authload.pool import IdentityPool
from authload.protocol._steps import Identity


def test_identities_are_unique_while_there_are_enough_then_shared() -> None:
    identities = IdentityPool()
    pool = [Identity(f"u{index}", f"t{index}") for index in range(3)]
    identities.set(pool)
    taken = [identities.take() for _ in range(3)]
    assert sorted(identity.uid for identity, _ in taken if identity) == ["u0", "u1", "u2"], taken
    assert all(owned for _, owned in taken)
    # A fourth concurrent user shares one that is in use, and must not give it back.
    shared, owned = identities.take()
    assert shared in pool and not owned
    assert taken[1][0] is not None
    identities.give_back(taken[1][0])
    again, owned = identities.take()
    assert again is taken[1][0] and owned, "a freed identity is unique again"
    assert IdentityPool().take() == (None, False)


def test_workers_get_disjoint_shares() -> None:
    identities = IdentityPool()
    identities.set([Identity(f"u{index}") for index in range(5)])
    shares = [identities.share(index, 2) for index in range(2)]
    assert [[i.uid for i in share] for share in shares] == [["u0", "u2", "u4"], ["u1", "u3"]]
    few = IdentityPool()
    few.set([Identity("only")])
    assert [i.uid for i in few.share(1, 3)] == ["only"]  # fewer than workers: they share
