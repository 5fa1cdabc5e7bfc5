"""The Locust internals authload uses (`authload.locust._compat`) all exist
in the installed versions: an upgrade that removes one fails here, loudly, not inside a run.
In a child process: importing Locust monkey-patches the interpreter."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import json
from authload.locust import _compat
print(json.dumps(_compat.missing()))
"""


def test_every_internal_compat_uses_exists() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
