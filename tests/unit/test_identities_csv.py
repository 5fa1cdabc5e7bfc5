"""`identities: {csv: FILE}`: existing users read from a CSV, checked with file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from authload.common._errors import ConfigError
from authload.scenario import load_scenario
from authload.scenario._identities import read_identities

SCENARIO = """\
name: csv
identities: {csv: users.csv, tokens: pre_minted}
flows:
  f:
    steps: [login_auth_token, logout]
"""


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "users.csv"
    path.write_text(text)
    return path


def test_rows_with_and_without_tokens(tmp_path: Path) -> None:
    rows = read_identities(_csv(tmp_path, "uid,auth_token\nAlice,tok_1\nbob,\n\ncarol_2,tok_3\n"))
    assert [(row.uid, row.auth_token) for row in rows] == [
        ("alice", "tok_1"),
        ("bob", None),
        ("carol_2", "tok_3"),
    ]
    assert [row.uid for row in read_identities(_csv(tmp_path, "uid\na\nb\n"))] == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("uid\nalice\nbob\nALICE\n", 4, "duplicate uid (first on line 2"),
        ("uid,auth_token\nok\n", 2, "expected 2 values"),
        ("uid\ngood\nno spaces\n", 3, "bad uid"),
        ("uid\n" + "a" * 101 + "\n", 2, "bad uid"),
        ("uid,auth_token\n,tok\n", 2, "the uid is empty"),
        ("name\nalice\n", 1, "the first row must name the columns"),
        ("uid,password\nalice,x\n", 1, "unknown column 'password'"),
        ("uid\n", 1, "no rows"),
    ],
)
def test_problems_name_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = _csv(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        read_identities(path)
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert words in str(caught.value)


def test_every_problem_is_listed_and_no_value_is_quoted(tmp_path: Path) -> None:
    path = _csv(tmp_path, "uid\nsecret-looking value\nx\nx\n")
    with pytest.raises(ConfigError) as caught:
        read_identities(path)
    text = str(caught.value)
    assert f"{path}:2: bad uid" in text and f"{path}:4: duplicate uid" in text
    assert "secret-looking" not in text


def test_the_scenario_loader_checks_the_file_and_resolves_its_path(tmp_path: Path) -> None:
    _csv(tmp_path, "uid\nalice\n")
    scenario_file = tmp_path / "s.yaml"
    scenario_file.write_text(SCENARIO)
    scenario = load_scenario(scenario_file)
    assert scenario.identities.csv == str(tmp_path / "users.csv")
    assert scenario.identities.count == 0  # a CSV names the pool: no generated users
    _csv(tmp_path, "uid\nalice\nAlice\n")
    with pytest.raises(ConfigError, match=r"users\.csv:3: duplicate uid"):
        load_scenario(scenario_file)
