"""Who gets which identity: one virtual user per identity while there are enough; then sharing.

`_plan` loads Locust (which monkey-patches), so the checks run in a child interpreter.
"""

from __future__ import annotations

import subprocess
import sys

CHECKS = """
import locust
from authload.locust._plan import RunState
from authload.protocol._steps import Identity

state = RunState()
pool = [Identity(f"u{index}", f"t{index}") for index in range(3)]
state.set_identities(pool)
taken = [state.take_identity() for _ in range(3)]
assert sorted(identity.uid for identity, _ in taken) == ["u0", "u1", "u2"], taken
assert all(owned for _, owned in taken)
# A fourth concurrent user shares one that is in use, and must not give it back.
shared, owned = state.take_identity()
assert shared in pool and not owned
state.give_back(taken[1][0])
again, owned = state.take_identity()
assert again is taken[1][0] and owned, "a freed identity is unique again"
assert RunState().take_identity() == (None, False)
print("ok")
"""


def test_unique_while_enough_then_shared_and_never_handed_out_twice() -> None:
    done = subprocess.run([sys.executable, "-c", CHECKS], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
