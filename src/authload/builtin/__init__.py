"""What the wheel carries for a first run anywhere: the shipped scenarios, environments and
schemas. A file of the current folder always wins over a built-in of the same name."""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).parent
SCENARIOS, CONFIG, SCHEMAS = FOLDER / "scenarios", FOLDER / "config", FOLDER / "schemas"


def scenario(name: str) -> Path | None:
    """The built-in scenario called `name` (`smoke`, `production_flow`, ...), if there is one."""
    path = SCENARIOS / f"{name}.yaml"
    return path if path.is_file() else None


def environment(name: str) -> Path | None:
    """The built-in environment called `name` (`mock`, `staging`, ...), if there is one."""
    path = CONFIG / f"{name}.yaml"
    return path if path.is_file() else None


def scenario_names() -> list[str]:
    return sorted(path.stem for path in SCENARIOS.glob("*.yaml"))


def environment_names() -> list[str]:
    return sorted(path.stem for path in CONFIG.glob("*.yaml"))
