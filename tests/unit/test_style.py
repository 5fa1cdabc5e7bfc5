"""The project's own rules, checked (see docs/architecture.md)."""

from __future__ import annotations

import ast
import statistics
import subprocess
import sys
import types
from pathlib import Path

import authload
from authload._config import config_fields

SRC = Path(authload.__file__).parent
PROTOCOL_ALLOWED = {
    "__future__",
    "dataclasses",
    "typing",
    "enum",
    "json",
    "re",
    "base64",
    "urllib.parse",
    "collections.abc",
}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_protocol_core_imports_no_io() -> None:
    for path in (SRC / "protocol").glob("*.py"):
        outside = {name for name in imports(path) if name not in PROTOCOL_ALLOWED}
        assert not outside, f"{path.name} imports {outside}"


# Header names, scopes, JSON fields and paths the wire contract (`protocol/_wire.py`) owns.
WIRE_STRINGS = (
    '"/v3/',
    '"/v3.0/',
    '"apiKey"',
    '"authToken"',
    '"appId"',
    '"onBehalfOf"',
    '"sdk"',
    '"fullAccess"',
    '"authOnly"',
    '"withAuthToken"',
    '"createdAt"',
    '"jwt"',
    '"settings"',
    '"force"',
    '"permanent"',
    '"CHAT_HOST"',
    '"CHAT_WSS_PORT"',
)


def test_wire_strings_live_only_in_protocol() -> None:
    for path in SRC.rglob("*.py"):
        if "protocol" in path.parts:
            continue
        text = path.read_text()
        for needle in WIRE_STRINGS:
            assert needle not in text, f"{path.relative_to(SRC)} spells {needle}"


def test_locust_and_gevent_stay_behind_one_door() -> None:
    code = (
        "import sys, authload, authload.protocol, authload.scenario, authload.mock, authload.client, "
        "authload.report, authload.cli; "
        "assert 'gevent' not in sys.modules and 'locust' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_module_sizes() -> None:
    sizes = {path: len(path.read_text().splitlines()) for path in SRC.rglob("*.py")}
    too_big = {str(path.relative_to(SRC)): n for path, n in sizes.items() if n > 400}
    assert not too_big
    assert statistics.median(sizes.values()) <= 200


def test_public_api_is_sorted_and_documented() -> None:
    assert authload.__all__ == sorted(authload.__all__)
    for name in authload.__all__:
        value = getattr(authload, name)  # lazy names (the mock's ASGI stack) resolve too
        if not isinstance(value, int):
            assert (value.__doc__ or "").strip(), f"{name} has no docstring"
    helpers = {"TYPE_CHECKING", "Any"}
    public = {name for name, value in vars(authload).items() if not name.startswith("_")}
    public -= {name for name in public if isinstance(getattr(authload, name), types.ModuleType)} | helpers
    assert public <= set(authload.__all__), public - set(authload.__all__)


def test_cli_options_are_the_config_fields() -> None:
    from authload.cli import _parser

    run_parser = _parser()._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    options = {action.dest for action in run_parser._actions if action.dest != "help"}
    assert options == set(config_fields())


def test_every_raise_uses_the_taxonomy() -> None:
    from authload import _exceptions

    allowed = {name for name in dir(_exceptions) if name[0].isupper()} | {
        "TypeError",
        "ValueError",
        "SystemExit",
        "AttributeError",  # a module's __getattr__ must raise it (PEP 562)
        "StopTest",  # Locust's published way to refuse a start from test_start (locust/_lifecycle.py)
    }
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                assert name in allowed or name.endswith("error"), f"{path.relative_to(SRC)} raises {name}"


def test_each_error_branch_has_its_exit_code() -> None:
    from authload import _exceptions as e

    assert e.EXIT_CODES == {e.ConfigError: 2, e.BackendError: 3, e.RunError: 3}
    for kind, code in e.EXIT_CODES.items():
        assert kind.exit_code == code
    assert e.MissingSecretError.exit_code == e.EXIT_CONFIG_ERROR
