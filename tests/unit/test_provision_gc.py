"""Provisioning runs without cyclic garbage collection and restores it after (in a Locust-patched
child: the provisioning module imports Locust, which monkey-patches the interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = """
import locust  # monkey-patches first, as in a Locust process
import gc, json
from authload.locust import _provision
from authload.scenario import Identities, Target

seen = []
def create(driver, app, target, uid):
    seen.append(gc.isenabled())
    return True
_provision._create_or_reuse = create  # no backend needed: record GC's state inside the run
target = Target(app_id="a", rest_base_url="http://127.0.0.1:9", client_base_url="http://127.0.0.1:9",
                rest_api_key="k", auth_key="")
spec = Identities(count=3, uid_prefix="g-", tokens="in_flow", concurrency=2)
made = len(_provision.provision(spec, target).identities)
after_enabled = gc.isenabled()
gc.disable()
_provision.provision(spec, target)
print(json.dumps({"during": seen, "after": after_enabled, "stays_off": not gc.isenabled(), "made": made}))
"""


def test_provisioning_pauses_cyclic_gc_and_restores_it() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["made"] == 3
    assert result["during"] == [False] * 6  # off for every user of both runs
    assert result["after"] is True  # back on once the pool is made
    assert result["stays_off"] is True  # a caller that had it off keeps it off
