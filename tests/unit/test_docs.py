"""The docs hold true: every relative link resolves, every YAML example loads, every command
parses, the command-line page is the parser's own, and the README stays a front page."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from authload.commands._reference import reference
from authload.commands.cli import _parser
from authload.scenario import check_file

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def _blocks(kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for kind, body in BLOCK.findall(page.read_text(encoding="utf-8")):
            if kind in kinds:
                found.append((page.relative_to(ROOT).as_posix(), body))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue  # another site, or a place on this page
        path = (page.parent / target.split("#", 1)[0]).resolve()
        if not path.exists():
            broken.append(target)
    assert not broken, f"{page.name}: {broken}"


def _kind(data: object) -> str:
    if not isinstance(data, dict):
        return "other"
    if "flows" in data and "name" in data:
        return "scenario"
    if "backend" in data and "name" in data:
        return "environment"
    if (
        "jobs" in data
        or "on" in data
        or True in data
        or any(isinstance(v, dict) and "script" in v for v in data.values())
    ):
        return "workflow"
    return "other"


def test_every_yaml_example_is_a_file_that_loads(tmp_path: Path) -> None:
    """A complete scenario or environment loads as written (unset `${VAR}`s stand in, as for
    `authload validate`); CI workflows are shown whole; anything else says it is a fragment."""
    problems = []
    checked = 0
    for index, (page, body) in enumerate(_blocks(("yaml", "yml"))):
        if body.lstrip().startswith("# fragment"):
            continue
        data = yaml.safe_load(body)
        kind = _kind(data)
        if kind in ("scenario", "environment"):
            path = tmp_path / f"example{index}.yaml"
            path.write_text(body)
            try:
                check_file(path)
                checked += 1
            except Exception as error:  # the message says what is wrong with the example
                problems.append(f"{page}: {error}")
        elif kind != "workflow":
            problems.append(
                f"{page}: a yaml block that is no scenario, environment or workflow: {body[:60]!r}"
            )
    assert not problems, "\n".join(problems)
    assert checked >= 5


def _commands() -> list[tuple[str, str]]:
    found = []
    for page, body in _blocks(("bash", "sh", "shell", "console")):
        text = body.replace("\\\n", " ")
        for line in text.splitlines():
            line = line.strip().removeprefix("$ ")
            for part in re.split(r"&&|\|\||;|\|", line):
                part = part.split(" #", 1)[0].strip()
                words = part.split()
                while words and "=" in words[0] and not words[0].startswith("-"):
                    words = words[1:]  # VAR=value before the command
                if words and words[0] == "authload":
                    found.append((page, " ".join(words)))
    return found


def test_every_command_in_the_docs_parses() -> None:
    problems = []
    commands = _commands()
    for page, command in commands:
        try:
            _parser().parse_args(shlex.split(command)[1:])
        except SystemExit as exit_:
            if exit_.code not in (0, None):
                problems.append(f"{page}: {command}")
    assert not problems, "\n".join(problems)
    assert len(commands) >= 10


def test_the_command_line_page_is_the_parser() -> None:
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == reference(), (
        "regenerate: python -m authload.commands._reference > docs/cli.md"
    )


def test_the_readme_is_a_front_page() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, len(lines)
