"""JSON Schemas for scenario authors: generated from the models, shipped in the package's
builtin/schemas/ (and written by `authload init`), referenced
by every shipped file, and true to what the loader accepts."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from authload import builtin
from authload.commands._schema import environment_schema, scenario_schema, schema_text, summary_schema
from authload.commands.cli import main
from authload.scenario import load_scenario

SHIPPED = {"scenarios": "scenario", "config": "environment"}


@pytest.mark.parametrize("name", ["scenario", "environment", "summary"])
def test_schemas_are_valid_and_the_repository_copies_are_current(name: str) -> None:
    schema = json.loads(schema_text(name))
    jsonschema.Draft202012Validator.check_schema(schema)
    if name != "summary":  # as data: pydantic versions spell 0 and 0.0 differently
        shipped = json.loads((builtin.SCHEMAS / f"{name}.schema.json").read_text())
        assert shipped == schema, (
            "regenerate: authload schema NAME > src/authload/builtin/schemas/NAME.schema.json"
        )


@pytest.mark.parametrize("folder", sorted(SHIPPED))
def test_every_shipped_file_names_its_schema_and_passes_it(folder: str) -> None:
    kind = SHIPPED[folder]
    validator = jsonschema.Draft202012Validator(
        scenario_schema() if kind == "scenario" else environment_schema()
    )
    files = sorted((builtin.FOLDER / folder).glob("*.yaml"))
    assert files
    for path in files:
        text = path.read_text()
        assert text.splitlines()[0] == f"# yaml-language-server: $schema=../schemas/{kind}.schema.json"
        assert list(validator.iter_errors(yaml.safe_load(text))) == [], path


def test_the_schema_catches_what_the_loader_refuses(tmp_path: Path) -> None:
    validator = jsonschema.Draft202012Validator(scenario_schema())
    good = {
        "name": "x",
        "load": {"users": "${USERS:-3}", "run_time": "1m30s"},
        "flows": {"f": {"steps": ["login_auth_token", {"pause": "1s-3s"}, "logout"]}},
        "thresholds": {"login_auth_token.p95": "< +10% baseline", "total.error_rate": "< 1%"},
    }
    assert list(validator.iter_errors(good)) == []
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({**good, "load": {"users": 3, "run_time": "1m30s"}}))
    assert load_scenario(path).load.run_time == 90.0  # what the schema allows, the loader reads
    for bad in (
        {**good, "lode": {}},
        {**good, "flows": {"f": {"steps": ["logut"]}}},
        {**good, "load": {"run_time": "soon"}},
        {**good, "thresholds": {"login_auth_token.p96": "< 1s"}},
    ):
        assert list(validator.iter_errors(bad)) != [], bad


def test_cli_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "authload scenario"
    assert main(["schema", "summary"]) == 0
    assert json.loads(capsys.readouterr().out) == summary_schema()
