"""`authload init`: a project of one's own that validates and runs as it is, never overwritten."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from authload import ConfigError, load_environment
from authload.commands._init import init, scaffold
from authload.scenario import check_file, check_pair

ROOT = Path(__file__).resolve().parents[2]


def test_the_scaffold_validates_as_it_is(tmp_path: Path) -> None:
    said: list[str] = []
    assert init(tmp_path / "x", say=said.append) == 0
    project = tmp_path / "x"
    written = sorted(str(path.relative_to(project)) for path in project.rglob("*") if path.is_file())
    assert written == sorted(scaffold())
    assert {"scenarios/smoke.yaml", "scenarios/login_storm.yaml", "scenarios/production_flow.yaml"} <= set(
        written
    )
    mock = load_environment(project / "config" / "mock.yaml")
    for path in (project / "scenarios").glob("*.yaml"):
        scenario = check_file(path)
        check_pair(scenario, mock, project / "config" / "mock.yaml")  # type: ignore[arg-type]
    staging = check_file(project / "config" / "staging.yaml")  # a template: its ${VAR}s unset
    assert staging.name == "staging"
    assert (project / ".gitignore").read_text().splitlines()[-1] == "reports/"
    assert "authload validate" in said[-1]


def test_the_workflow_is_the_job_docs_ci_gives(tmp_path: Path) -> None:
    init(tmp_path, say=lambda line: None)
    workflow = (tmp_path / ".github" / "workflows" / "authload.yml").read_text()
    docs = (ROOT / "docs" / "ci.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", docs, re.S)
    assert any(block.strip() == workflow.strip() for block in blocks), (
        "docs/ci.md shows the scaffold's workflow"
    )


def test_a_second_init_changes_nothing(tmp_path: Path) -> None:
    init(tmp_path, say=lambda line: None)
    (tmp_path / "scenarios" / "smoke.yaml").write_text("# mine now\n")
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    with pytest.raises(ConfigError) as caught:
        init(tmp_path, say=lambda line: None)
    assert caught.value.exit_code == 2
    assert str(tmp_path / "scenarios" / "smoke.yaml") in str(caught.value) and "--force" in str(caught.value)
    assert {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()} == before
    init(tmp_path, force=True, say=lambda line: None)
    assert (tmp_path / "scenarios" / "smoke.yaml").read_text() != "# mine now\n"


def test_one_file_in_the_way_is_enough_to_stop(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n")
    with pytest.raises(ConfigError, match=r"\.gitignore"):
        init(tmp_path, say=lambda line: None)
    assert [path.name for path in tmp_path.iterdir()] == [".gitignore"]  # nothing else written
