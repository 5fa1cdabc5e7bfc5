"""End-to-end: `authload` and `locust` as subprocesses, against the embedded mock on loopback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from authload import MockConfig

ROOT = Path(__file__).resolve().parents[2]
# `dev` signs its own user up: each Auth Key login mints a token, and CometChat keeps 100 per
# user, so on pool users they would retire the pre-minted tokens `returning` logs in with.
QUICK = """\
name: quick
identities: {count: 6, uid_prefix: e2e-, include_sample_users: true}
load: {users: 4, spawn_rate: 4, run_time: 2s}
flows:
  returning:
    weight: 3
    steps: [session_check, login_auth_token, session_check, logout]
  signup:
    weight: 1
    steps: [create_user, create_auth_token, login_auth_token, logout, delete_user]
  dev:
    weight: 1
    steps: [create_user, login_auth_key, logout, delete_user]
thresholds:
  login_auth_token.p95: "< 2s"
  total.error_rate: "< 1%"
"""


# What no output of any end-to-end test may contain: the keys every test uses (the mock's
# defaults), and anything shaped like a CometChat auth token ({uid}_{seconds}{30 hex}).
DEFAULT_SECRETS = (MockConfig().rest_api_key, MockConfig().auth_key, MockConfig().app_secret)
TOKEN_SHAPE = re.compile(r"_\d{10}[0-9a-f]{30}")
INPUT_SUFFIXES = {".yaml", ".yml", ".js", ".json5"}  # what tests write for a run to read
_outputs: list[tuple[str, str]] = []  # (what, text) printed by runs of this test


def scan_for_secrets(
    texts: Mapping[str, str], files: Iterable[Path], secrets: Iterable[str] = DEFAULT_SECRETS
) -> list[str]:
    """Where a secret or a token-shaped string occurs: `what: kind` for each hit."""
    secrets = tuple(secrets)
    found: list[str] = []
    sources = [*texts.items(), *((str(f), f.read_text(errors="replace")) for f in files)]
    for what, text in sources:
        found += [f"{what}: key {secret[:6]}..." for secret in secrets if secret in text]
        found += [f"{what}: token-shaped {m.group()[:8]}..." for m in TOKEN_SHAPE.finditer(text)]
    return found


@pytest.fixture(autouse=True)
def no_secret_in_any_output(tmp_path: Path) -> Iterator[None]:
    """Every end-to-end test is a secret scan too: what its runs printed and every file they
    wrote (the inputs the test itself wrote aside) hold no key and no token."""
    _outputs.clear()
    yield
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix not in INPUT_SUFFIXES]
    hits = scan_for_secrets(dict(_outputs), written)
    assert hits == [], f"secrets in the outputs: {hits}"


def run_cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "authload", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    _outputs.extend([(f"{args[0]} stdout", result.stdout), (f"{args[0]} stderr", result.stderr)])
    return result


def descendants(pid: int) -> set[int]:
    """Every process below `pid` now (Linux /proc)."""
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    frontier.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def only_run(report_dir: Path) -> Path:
    """The one run folder a test's report dir holds."""
    (run,) = [path for path in report_dir.iterdir() if path.is_dir()]
    return run


def only_summary(report_dir: Path) -> Any:
    """That run's summary.json, parsed."""
    return json.loads((only_run(report_dir) / "summary.json").read_text())


@pytest.fixture
def quick_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "quick.yaml"
    path.write_text(QUICK)
    return path
