"""The mock's keys in an environment file are header values too: a stray CR/LF is exit 2,
named by file, line and field, and the value is never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from authload.commands.cli import main

SECRET = "abcdefSECRETkey"


@pytest.mark.parametrize("field", ["rest_api_key", "auth_key"])
@pytest.mark.parametrize("bad", ["\\r\\n", "\\n", " ", "\\u00e9"])
def test_a_mock_key_that_is_no_header_value_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, bad: str
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(f'name: m\nbackend: mock\nmock:\n  {field}: "{SECRET}{bad}"\n')
    code = main(["validate", str(path)])
    message = capsys.readouterr().err
    assert code == 2
    assert f"{path}:4: mock.{field}: cannot be sent as an HTTP header" in message
    assert SECRET not in message
