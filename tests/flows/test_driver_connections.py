"""The load path at scale: host lookups once per process, reconnects counted, no cookie jar."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def test_one_lookup_per_process_and_every_connection_counted(mock_url: str) -> None:
    named = mock_url.replace("127.0.0.1", "localhost")
    command = [sys.executable, str(HERE / "connections_child.py"), named]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["statuses"] == [200]
    assert result["lookups"] == 1  # three drivers, three connections, one lookup
    assert result["kept"] == [1, 1, 1]  # keep-alive: four requests on one connection each
    assert result["refused"] == 414
    assert result["again"] == 200
    assert result["after_close"] == 2  # the reconnect after the server closed is counted
    assert result["cookie_statuses"] == [200, 200]
    assert result["cookie_sent"] is False  # a cookie was set; no jar sends it back
    assert result["accept_encoding"] is True
    if not result["high_fd"]:
        pytest.skip("RLIMIT_NOFILE below 1,200: cannot check descriptors above 1023")
    assert result["high_fd_statuses"] == [200, 200, 200]
    # A kept connection on a descriptor above 1023 is reused, not taken for dead.
    assert result["high_fd_opened"] == 1
