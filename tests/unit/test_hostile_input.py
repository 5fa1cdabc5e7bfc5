"""Hostile scenario and environment files: `authload validate` answers each with exit 2 and one
`file:line:` message, quickly, and never a traceback or a secret value."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from authload.commands.cli import main

SCENARIO = """\
name: hostile
identities: {count: 3, uid_prefix: h-}
flows:
  returning:
    weight: 3
    steps: [login_auth_token, {pause: 10ms-20ms}, logout]
  other:
    weight: 1
    steps: [login_auth_key, logout]
"""
ENVIRONMENT = """\
name: stage
backend: cometchat
app_id: abc123
region: eu
rest_api_key: ${HOSTILE_REST_KEY}
"""
BOMB = "\n".join(
    [f"a: &a [{', '.join(['lol'] * 9)}]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
)


def _scenario(old: str, new: str) -> bytes:
    assert old in SCENARIO
    return SCENARIO.replace(old, new, 1).encode()


def _environment(old: str, new: str) -> bytes:
    assert old in ENVIRONMENT
    return ENVIRONMENT.replace(old, new, 1).encode()


# name: (file content, line the message must name, words it must hold)
CORPUS: dict[str, tuple[bytes, int, str]] = {
    "alias bomb": (BOMB.encode(), 2, "aliases (*name) are not supported"),
    "recursive alias": (b"name: &a [*a]\n", 1, "aliases (*name) are not supported"),
    "deep flow nesting": (b"name: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", 1, "nested deeper than 64"),
    "deep block nesting": (
        "".join(f"{'  ' * i}k{i}:\n" for i in range(200)).encode(),
        65,
        "nested deeper than 64",
    ),
    "NUL byte": (b"name: t\nflows: \x00\n", 2, "NUL byte"),
    "merge key": (b"name: t\n<<: {description: x}\n", 2, "merge keys (<<) are not supported"),
    "custom tag": (b"name: t\nflows: !evil {a: 1}\n", 2, "tags such as '!evil' are not supported"),
    "python tag": (b"name: !!python/object:os.system t\n", 1, "are not supported"),
    "bad int tag": (b"name: t\nload: {users: !!int x}\n", 2, "are not supported"),
    "value key": (b"name: t\ndescription: =\n", 2, "invalid YAML"),
    "UTF-16": (SCENARIO.encode("utf-16"), 1, "UTF-16 text"),
    "UTF-16 without BOM": (SCENARIO.encode("utf-16-le"), 1, "NUL byte"),
    "UTF-32": (SCENARIO.encode("utf-32"), 1, "UTF-32 text"),
    "binary": (bytes(range(256)), 1, "NUL byte"),
    "Latin-1": (b"name: t\ndescription: caf\xe9\n", 2, "not UTF-8"),
    "control character": (b"name: t\ndescription: a\x07b\n", 2, "control character U+0007"),
    "two documents": (b"name: t\n---\nname: u\n", 2, "invalid YAML"),
    "huge weights": (
        _scenario("weight: 3", "weight: 1e308").replace(b"weight: 1\n", b"weight: 1e308\n"),
        5,
        "flows.returning.weight: Input should be less than or equal to 1000000",
    ),
    "only pauses": (
        _scenario("[login_auth_key, logout]", "[{pause: 1s}, {pause: 2s}]"),
        9,
        "a flow needs at least one auth step",
    ),
    "negative pause in dump form": (
        _scenario("{pause: 10ms-20ms}", "{name: pause, pause: [-5, -1]}"),
        6,
        "flows.returning.steps[1]: pause must run from short to long, between 0 and 3600s",
    ),
    "step with a pause in dump form": (
        _scenario("{pause: 10ms-20ms}", "{name: logout, pause: [1, 2]}"),
        6,
        "step 'logout' takes no pause",
    ),
    "endless pause": (
        _scenario("{pause: 10ms-20ms}", "{pause: 99999999999999999999999s}"),
        6,
        "at most a week",
    ),
    "pause over an hour": (_scenario("{pause: 10ms-20ms}", "{pause: 2h}"), 6, "at most 3600s"),
    "endless run time": (
        _scenario("flows:", "load: {run_time: 9999999999999999999999999999}\nflows:"),
        3,
        "load.run_time: a duration can be at most a week",
    ),
    "error rate over 100%": (
        _scenario("flows:", 'thresholds: {total.error_rate: "< 200%"}\nflows:'),
        3,
        "error_rate takes a percentage up to 100%",
    ),
    "threshold number overflows": (
        _scenario("flows:", f'thresholds: {{total.requests: "> {"9" * 400}"}}\nflows:'),
        3,
        "too large",
    ),
    "uid prefix with a trailing newline": (
        _scenario("uid_prefix: h-", 'uid_prefix: "ab\\n"'),
        2,
        "identities.uid_prefix: must be 1-60 characters",
    ),
    "flow name with a trailing newline": (
        _scenario("  other:", '  "other\\n":'),
        3,
        "flows: flow name 'other\\n' must be lowercase",
    ),
    "scenario name with control characters": (
        _scenario("name: hostile", 'name: "a\\x01b\\x1b[31m"'),
        1,
        "name: must not contain control characters",
    ),
    "scenario name with a line break": (_scenario("name: hostile", 'name: "a\\nb"'), 1, "or line breaks"),
    "huge integer": (_scenario("count: 3", f"count: {'9' * 1000}"), 2, "identities.count: Input should be"),
    "integer too long to read": (_scenario("count: 3", f"count: {'9' * 5000}"), 2, "cannot read this value"),
    "app id that changes the host": (
        _environment("app_id: abc123", 'app_id: "evil.com/x#"'),
        3,
        "app_id: must be letters, digits and inner hyphens",
    ),
    "unknown region": (_environment("region: eu", "region: moon"), 4, "region: Input should be"),
    "base URL that is text": (
        _environment("region: eu", "rest_base_url: not a url"),
        4,
        "rest_base_url: must be http(s)://host[:port][/path]",
    ),
    "file URL": (_environment("region: eu", "client_base_url: file:///etc/passwd"), 4, "scheme"),
    "URL with user info": (
        _environment("region: eu", "rest_base_url: https://good.io@evil.com/"),
        4,
        "no user or password",
    ),
    "URL with a fragment": (_environment("region: eu", "rest_base_url: 'https://a.io/v3#'"), 4, "fragment"),
    "URL with port 0": (_environment("region: eu", "rest_base_url: http://127.0.0.1:0"), 4, "port 0"),
    "URL with a port too large": (_environment("region: eu", "rest_base_url: http://a.io:70000"), 4, "port"),
    "key with a line break": (
        _environment("rest_api_key: ${HOSTILE_REST_KEY}", 'rest_api_key: "k\\r\\nX-Evil: 1"'),
        5,
        "rest_api_key: cannot be sent as an HTTP header",
    ),
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", list(CORPUS))
def test_hostile_file_is_exit_2_with_file_and_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    content, line, words = CORPUS[name]
    monkeypatch.setenv("HOSTILE_REST_KEY", "fine-key-0123")
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content)
    started = time.monotonic()
    code = main(["validate", str(path)])
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert code == 2, out
    assert err.startswith(f"authload: {path}:{line}: "), err
    assert words in err, err
    assert "Traceback" not in err and "X-Evil" not in err
    assert elapsed < 5


@pytest.mark.timeout(20)
def test_oversized_file_is_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"name: t\ndescription: " + b"x" * (2 * 1024 * 1024) + b"\n")
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err == f"authload: {path}: the file is larger than 1024 KiB\n"


def test_utf8_bom_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + SCENARIO.encode())
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rest_api_key", "s3cr3t-rest-value\r"),  # a CRLF .env file
        ("rest_api_key", "s3cr3t-rest-value\n"),
        ("rest_api_key", " s3cr3t-rest-value"),
        ("rest_api_key", "s3cr3t-r\x00est-value"[:8] + "\x7fvalue"),
        ("auth_key", "s3cr3t-auth-välue"),
        ("app_id", "s3cr3tapp\r"),
    ],
)
def test_secret_that_cannot_be_a_header_names_the_variable_not_the_value(
    field: str,
    value: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "stage.yaml"
    path.write_text(
        ENVIRONMENT.replace("app_id: abc123", "app_id: ${HOSTILE_APP_ID}") + "auth_key: ${HOSTILE_AUTH}\n"
    )
    variables = {"rest_api_key": "HOSTILE_REST_KEY", "auth_key": "HOSTILE_AUTH", "app_id": "HOSTILE_APP_ID"}
    monkeypatch.setenv("HOSTILE_REST_KEY", "fine-key-0123")
    monkeypatch.setenv("HOSTILE_AUTH", "fine-auth-0123")
    monkeypatch.setenv("HOSTILE_APP_ID", "abc123")
    monkeypatch.setenv(variables[field], value)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    line = {"app_id": 3, "rest_api_key": 5, "auth_key": 6}[field]
    assert err.startswith(f"authload: {path}:{line}: {field} (from ${{{variables[field]}}}): "), err
    assert "s3cr3t" not in err


def test_template_with_unset_variables_still_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "stage.yaml"
    path.write_text(ENVIRONMENT + "rest_base_url: ${HOSTILE_URL}\nauth_key: ${HOSTILE_AUTH:-}\n")
    for name in ("HOSTILE_REST_KEY", "HOSTILE_URL", "HOSTILE_AUTH"):
        monkeypatch.delenv(name, raising=False)
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    assert "environment 'stage' (cometchat)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8765", "https://abc.api-eu.cometchat.io/v3", "http://[::1]:9000/x/", "http://mock"],
)
def test_plain_base_urls_are_accepted(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "env.yaml"
    path.write_text(f"name: m\nbackend: mock\nrest_base_url: {url}\n")
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["alias bomb", "deep flow nesting"])
def test_validate_and_run_as_processes(name: str, tmp_path: Path) -> None:
    """The installed command too: `run` reads the same files before it starts anything."""
    path = tmp_path / "hostile.yaml"
    path.write_bytes(CORPUS[name][0])
    for command in (["validate", str(path)], ["run", str(path), "--report-dir", str(tmp_path / "r")]):
        result = subprocess.run(
            [sys.executable, "-m", "authload", *command], capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 2, result.stderr
        assert f"{path}:" in result.stderr and "Traceback" not in result.stderr
