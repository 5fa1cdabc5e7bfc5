"""Run ids: they sort by time and name the report folder, e.g. `20261128T081530Z-3f9a`."""

from __future__ import annotations

import time
import uuid


def new_run_id() -> str:
    """A new id: UTC time to the second, then 4 random hex digits (two runs in one second differ)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:4]
