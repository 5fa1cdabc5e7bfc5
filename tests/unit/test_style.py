"""The project's own rules, checked (see docs/architecture.md)."""

from __future__ import annotations

import ast
import re
import statistics
import subprocess
import sys
import types
from pathlib import Path

import authload
from authload.commands._config import config_fields

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


WIRE = SRC / "protocol" / "_wire.py"
# Words the wire shares with authload's own formats (ledger lines, identities CSV, scenario and
# report fields, web UI forms): there they name authload's data, not a CometChat field.
OWN_FORMATS = {
    "uid": {"pool/_ledger.py", "scenario/_identities.py"},
    "cometchat": {"scenario/_environment.py"},  # the backend kind `backend: cometchat`
    "name": {
        "scenario/_http.py",
        "commands/_runner.py",
        "report/_summary.py",
        "report/_writer.py",
        "report/_capacity.py",  # summary.json's own `scenario.name`
        "commands/_capacity.py",
        "commands/_capacity_setup.py",  # an environment file's `name`
        "scenario/_model.py",
        "locust/webui/_routes.py",
        "locust/webui/_cockpit.py",
    },
}


def _wire_constants() -> dict[str, str]:
    """Every string `_wire.py` defines at module level (in tuples too), by value -> constant name.
    Messages (dicts) and patterns (compiled) are left out: they are not spelt elsewhere by value."""
    found: dict[str, str] = {}

    def strings(node: ast.expr) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.Tuple):
            return [text for item in node.elts for text in strings(item)]
        return []

    for node in ast.parse(WIRE.read_text()).body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name):
                for text in strings(node.value):
                    found.setdefault(text, target.id)
    return found


def _literals(path: Path) -> list[tuple[int, str]]:
    """String and bytes literals (f-string parts included), bytes as latin-1 text."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
            value = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
            found.append((node.lineno, value))
    return found


def test_wire_constants_are_spelt_only_in_protocol() -> None:
    """Every header name, path, version, scope, error code, JSON field and settings key `_wire.py`
    defines appears nowhere else under src/authload as a literal: the others import it."""
    constants = _wire_constants()
    assert {"apiKey", "ERR_UID_NOT_FOUND", "/me", "v3.0", "createdAt", "fullAccess"} <= set(constants)
    headers = {value.lower() for value, name in constants.items() if name.startswith(("H_", "RATE_LIMIT"))}
    prefixes = tuple(f"/{version}/" for version in ("v3", "v3.0"))
    paths = tuple(value + "/" for value in constants if value.startswith("/"))
    problems = []
    for path in SRC.rglob("*.py"):
        where = path.relative_to(SRC).as_posix()
        if where.startswith("protocol/"):
            continue
        for line, text in _literals(path):
            if text in constants and where not in OWN_FORMATS.get(text, ()):
                problems.append(f"{where}:{line} spells {text!r} ({constants[text]})")
            elif text.lower() in headers:
                problems.append(f"{where}:{line} spells the header {text!r}")
            elif " " not in text and (any(prefix in text for prefix in prefixes) or text.startswith(paths)):
                problems.append(f"{where}:{line} spells a wire path in {text!r}")
    assert not problems, "\n".join(problems)


def test_every_wire_constant_is_used_outside_it() -> None:
    """A constant nobody imports is dead contract: drop it (or use it)."""
    names = [
        target.id
        for node in ast.parse(WIRE.read_text()).body
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.FunctionDef)
        for target in (
            [ast.Name(node.name)]
            if isinstance(node, ast.FunctionDef)
            else node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
        )
        if isinstance(target, ast.Name) and not target.id.startswith("_")
    ]
    tree = ast.parse(WIRE.read_text())  # a use inside it counts too (`rest_path`'s default version)
    used_inside = {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    others = "\n".join(
        path.read_text() for path in SRC.rglob("*.py") if path != WIRE and path.name != "__init__.py"
    )
    dead = [name for name in names if name not in used_inside and not re.search(rf"\b{name}\b", others)]
    assert not dead, f"unused in src/authload: {dead}"


def test_locust_and_gevent_stay_behind_one_door() -> None:
    code = (
        "import sys, authload, authload.protocol, authload.scenario, authload.mock, authload.client, "
        "authload.report, authload.commands.cli; "
        "assert 'gevent' not in sys.modules and 'locust' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_protocol_loads_no_third_party_package() -> None:
    """`import authload.protocol` (no I/O) loads nothing else: the package's names load lazily."""
    code = (
        "import sys, authload.protocol; "
        "heavy = ('httpx', 'pydantic', 'yaml', 'gevent', 'locust', 'starlette'); "
        "loaded = [m for m in heavy if m in sys.modules]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


THIRD_PARTY_DOORS = ("locust", "gevent", "geventhttpclient", "flask")


def test_only_the_locust_folder_imports_locust_or_gevent() -> None:
    outside = []
    for path in SRC.rglob("*.py"):
        where = path.relative_to(SRC).as_posix()
        if where.startswith("locust/"):
            continue
        for name in imports(path):
            if name.split(".")[0] in THIRD_PARTY_DOORS:
                outside.append(f"{where} imports {name}")
    assert not outside, outside


def test_only_compat_touches_third_party_internals() -> None:
    """Under locust/, a private name (`x._y`) is touched on our own objects only (`self`,
    `cls`); everything private of Locust or geventhttpclient goes through `_compat.py`, and no
    module imports one of their private modules."""
    found = []
    for path in (SRC / "locust").rglob("*.py"):
        where = path.relative_to(SRC).as_posix()
        if where == "locust/_compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                    found.append(f"{where}:{node.lineno} {ast.unparse(node)}")
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                top, *rest = node.module.split(".")
                if top in THIRD_PARTY_DOORS and any(part.startswith("_") for part in rest):
                    found.append(f"{where}:{node.lineno} imports {node.module}")
    assert not found, found


# Module-level state under locust/ that is not a run's: the secret a `--processes` family draws
# before Locust forks its workers, which they inherit (`_runkey`).
PROCESS_STATE = {"locust/distributed/_runkey.py": {"_family_key"}}
MUTABLE = (ast.Dict, ast.Set, ast.List, ast.DictComp, ast.SetComp, ast.ListComp)
MUTABLE_CALLS = {
    "dict",
    "set",
    "list",
    "WeakKeyDictionary",
    "WeakValueDictionary",
    "defaultdict",
    "Counter",
    "deque",
}


def test_no_run_state_in_modules() -> None:
    """One object owns one run (`Run`): under locust/, no module-level mutable container (but
    UPPER_CASE constants), no `global`, nothing looked up by `id(environment)`."""
    found = []
    for path in (SRC / "locust").rglob("*.py"):
        where = path.relative_to(SRC).as_posix()
        text = path.read_text()
        if "id(environment)" in text:
            found.append(f"{where}: id(environment)")
        tree = ast.parse(text)
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                value = node.value
                call = isinstance(value, ast.Call) and getattr(
                    value.func, "id", getattr(value.func, "attr", "")
                )
                if isinstance(value, MUTABLE) or call in MUTABLE_CALLS:
                    found += [
                        f"{where}:{node.lineno} {name}"
                        for name in names
                        if not name.isupper() and name != "__all__"
                    ]
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                found += [
                    f"{where}:{node.lineno} global {n}"
                    for n in node.names
                    if n not in PROCESS_STATE.get(where, ())
                ]
    assert not found, found


def test_each_folder_says_its_job() -> None:
    """Folders name jobs: every subpackage's `__init__` says its one job in its first line."""
    missing = []
    for init in SRC.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        if not doc or not doc.splitlines()[0].strip():
            missing.append(init.parent.relative_to(SRC).as_posix())
    assert not missing, missing


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
    helpers = {"TYPE_CHECKING", "Any", "annotations"}
    public = {name for name, value in vars(authload).items() if not name.startswith("_")}
    public -= {name for name in public if isinstance(getattr(authload, name), types.ModuleType)} | helpers
    assert public <= set(authload.__all__), public - set(authload.__all__)


def test_cli_options_are_the_config_fields() -> None:
    from authload.commands.cli import _parser

    run_parser = _parser()._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    options = {action.dest for action in run_parser._actions if action.dest != "help"}
    assert options == set(config_fields()) - {"locust_args"}  # Locust's own, after `--`


def test_every_raise_uses_the_taxonomy() -> None:
    from authload.common import _errors as _exceptions

    allowed = {name for name in dir(_exceptions) if name[0].isupper()} | {
        "TypeError",
        "ValueError",
        "SystemExit",
        "AttributeError",  # a module's __getattr__ must raise it (PEP 562)
        "StopTest",  # Locust's published way to refuse a start from test_start (locust/_lifecycle.py)
        # the lean client's wire failures (ConnectionErrors): its driver classifies them at once
        "ConnectionClosedError",
        "BadAnswerError",
        "BodyTooLargeError",
    }
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                assert name in allowed or name.endswith("error"), f"{path.relative_to(SRC)} raises {name}"


def test_each_error_branch_has_its_exit_code() -> None:
    from authload.common import _errors as e

    assert e.EXIT_CODES == {e.ConfigError: 2, e.BackendError: 3, e.RunError: 3}
    for kind, code in e.EXIT_CODES.items():
        assert kind.exit_code == code
    assert e.MissingSecretError.exit_code == e.EXIT_CONFIG_ERROR
