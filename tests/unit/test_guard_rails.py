"""The project's own guard rails: what CI runs, and what git tracks."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quickstart", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines()]


def test_the_readme_quickstart_has_exactly_two_commands() -> None:
    run, tests = _quickstart_commands()
    assert "authload run" in run and "pytest" in tests


def test_ci_runs_the_readme_test_command_the_tooling_gate_and_a_coverage_floor() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    _, tests = _quickstart_commands()
    lines = [line.strip() for line in ci.splitlines() if not line.strip().startswith("#")]
    assert tests in lines, "CI calls the README's test command as is"
    assert "scripts/check" in lines, "ruff and mypy gate every submission"
    floor = re.search(r"--cov-fail-under=\$\{AUTHLOAD_COVERAGE_FLOOR:-(\d+)\}", ci)
    assert floor and int(floor.group(1)) >= 80, "a coverage floor"
    assert lines.index("scripts/check") > lines.index(tests) or "set -e" in ci
    assert "scripts/check-wheel" in lines, "the wheel is tried outside the clone"


def test_no_build_output_is_tracked() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    built = [path for path in tracked if ".egg-info/" in path or "__pycache__" in path]
    assert built == [], "installing must not modify tracked files"
