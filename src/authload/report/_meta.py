"""What ran: versions, the git commit, the load. Goes into summary.json and the HTML report."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

_COMMIT_VARIABLES = ("GITHUB_SHA", "CI_COMMIT_SHA")  # GitHub Actions, GitLab CI


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def git_commit(cwd: Path | None = None) -> str | None:
    """The CI's commit, else the checkout's HEAD, abbreviated to 12 digits (40 hex digits would
    look like a REST API key to the redaction); None outside a git checkout (never an error)."""
    for name in _COMMIT_VARIABLES:
        if os.environ.get(name):
            return os.environ[name][:12]
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit[:12] if done.returncode == 0 and len(commit) == 40 else None


def run_meta(
    load: Mapping[str, Any] | None = None, cwd: Path | None = None, *, tls_verify: bool = True
) -> dict[str, Any]:
    """`run` in summary.json: authload's and Locust's versions, the commit, the load, and whether
    TLS certificates were verified (false only when the environment said `tls: {verify: false}`)."""
    return {
        "authload_version": _version("authload"),
        "locust_version": _version("locust"),
        "git_commit": git_commit(cwd),
        "load": dict(load or {}),
        "tls_verify": tls_verify,
    }
