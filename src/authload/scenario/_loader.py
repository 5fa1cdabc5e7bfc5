"""Load and validate scenario and environment files into models, or raise one
`ConfigError` that names the file, the line and the field of each problem."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .. import builtin
from ..common._errors import ConfigError
from ..common._problems import reason
from ._credentials import check_pair
from ._environment import Environment
from ._identities import csv_path, read_identities
from ._model import HTTP, Scenario
from ._yaml import VARIABLE, SourceMap, load_yaml, substitute_variables

M = TypeVar("M", bound=BaseModel)


def load_scenario(path: str | Path, environ: Mapping[str, str] | None = None) -> Scenario:
    """Read and validate a scenario file (or a name: see `scenario_path`); `${VAR}`s in its http
    steps come from `environ` (default: the process environment) and are kept as secrets
    (`Scenario.secrets`)."""
    path = scenario_path(path)
    data, smap = load_yaml(path)
    secrets: list[str] = []
    if isinstance(data, dict):
        data = _substitute_http(data, smap, os.environ if environ is None else environ, secrets)
    scenario = _validate(Scenario, data, smap)
    problems = scenario.problems()
    if problems:
        raise _combined_error([smap.error(where, message) for where, message in problems])
    if scenario.identities.csv is not None:  # checked now: a bad file is exit 2 before anything starts
        found = csv_path(scenario.identities.csv, path)
        read_identities(found)
        identities = scenario.identities.model_copy(update={"csv": str(found)})
        scenario = scenario.model_copy(update={"identities": identities})
    return scenario.with_secrets(secrets)


def _substitute_http(
    data: dict[Any, Any], smap: SourceMap, environ: Mapping[str, str], secrets: list[str]
) -> dict[Any, Any]:
    """`${VAR}` in http steps (headers, bodies, URLs: an app session, say), from `environ`."""
    flows = data.get("flows")
    if not isinstance(flows, dict):
        return data
    for flow_name, flow in flows.items():
        steps = flow.get("steps") if isinstance(flow, dict) else None
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            if isinstance(step, dict) and isinstance(step.get(HTTP), dict):
                path = ("flows", flow_name, "steps", index, HTTP)
                step[HTTP] = substitute_variables(step[HTTP], path, smap, environ, secrets)
    return data


def load_environment(
    name_or_path: str | Path, config_dir: str | Path = "config", environ: Mapping[str, str] | None = None
) -> Environment:
    """Read `config/NAME.yaml` (or a path), resolving `${VAR}` from the environment."""
    path = environment_path(name_or_path, config_dir)
    data, smap = load_yaml(path, substitute=True, environ=environ)
    return _with_files(_validate(Environment, data, smap), path, smap)


def _with_files(env: Environment, path: Path, smap: SourceMap) -> Environment:
    """Files an environment names, relative to it, made absolute and checked now (exit 2)."""
    folder = path.parent
    if env.tls.ca_file is not None:
        found = _existing(folder, env.tls.ca_file, ("tls", "ca_file"), smap)
        try:
            text = found.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            raise smap.error(("tls", "ca_file"), f"cannot read {found} as PEM text") from None
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise smap.error(("tls", "ca_file"), f"{found} holds no PEM certificate")
        env = env.model_copy(update={"tls": env.tls.model_copy(update={"ca_file": str(found)})})
    mock = env.mock
    if mock is not None and mock.tls_cert and mock.tls_key:
        cert = _existing(folder, mock.tls_cert, ("mock", "tls_cert"), smap)
        key = _existing(folder, mock.tls_key, ("mock", "tls_key"), smap)
        env = env.model_copy(
            update={"mock": mock.model_copy(update={"tls_cert": str(cert), "tls_key": str(key)})}
        )
    return env


def _existing(folder: Path, name: str, where: tuple[str, ...], smap: SourceMap) -> Path:
    found = (folder / name).resolve()
    if not found.is_file():
        raise smap.error(where, f"no file {found}")
    return found


def load_run_files(
    scenario_path: str | Path,
    environment: str | Path,
    config_dir: str | Path = "config",
    *,
    allow_auth_key: bool = False,
) -> tuple[Scenario, Environment]:
    """Both files of a run, checked together: a production environment refuses Auth Key logins
    (CometChat reserves Auth Keys for development) unless the run allows them."""
    scenario = load_scenario(scenario_path)
    env = load_environment(environment, config_dir)
    env_path = environment_path(environment, config_dir)
    check_pair(scenario, env, env_path)
    if env.production and scenario.uses_auth_key() and not (env.allow_auth_key or allow_auth_key):
        raise ConfigError(
            f"scenario {scenario.name!r} logs in with the Auth Key, which CometChat reserves for "
            f"development; environment {env.name!r} is production. Pass --allow-auth-key to run it anyway.",
            source=str(scenario_path),
        )
    return scenario, env


def check_file(path: str | Path) -> Scenario | Environment:
    """What `authload validate` does with one file: an environment (it has `backend`) or a
    scenario, fully checked. An environment's unset `${VAR}` without a default gets a
    stand-in value, so a template validates without its secrets; set ones are checked."""
    path = Path(path) if Path(path).is_file() else scenario_path(path)  # `authload validate smoke`
    data, _ = load_yaml(path)
    if isinstance(data, dict) and "backend" in data:
        return load_environment(path, environ={**_stand_ins(data), **os.environ})
    return load_scenario(path, environ={**_stand_ins(data), **os.environ})


def _stand_ins(data: Any, key: Any = None) -> dict[str, str]:
    """A valid-looking value for each `${VAR}` without a default anywhere in `data` (one with a
    default, even empty, takes it: `${COMETCHAT_AUTH_KEY:-}` means "none unless set")."""
    stand_ins: dict[str, str] = {}
    if isinstance(data, dict):
        for name, value in data.items():
            stand_ins.update(_stand_ins(value, name))
    elif isinstance(data, list):
        for value in data:
            stand_ins.update(_stand_ins(value, key))
    elif isinstance(data, str):
        for match in VARIABLE.finditer(data):
            if match.group(2) is None:
                name = match.group(1)
                url = isinstance(key, str) and key.endswith(("_base_url", "url"))
                stand_ins[name] = "http://unset.invalid" if url else f"unset-{name.replace('_', '-').lower()}"
    return stand_ins


def scenario_path(name_or_path: str | Path) -> Path:
    """Where a scenario named on the command line lives: a file as given; a name (`smoke`,
    `smoke.yaml`) in ./scenarios/ first, else the built-in scenario of that name."""
    text = str(name_or_path)
    path = Path(text)
    if path.is_file() or "/" in text or "\\" in text:
        return path  # a path: as given (a missing file says so when it is read)
    stem = text.removesuffix(".yaml").removesuffix(".yml")
    for found in (Path("scenarios") / f"{stem}.yaml", builtin.scenario(stem)):
        if found is not None and found.is_file():
            return found
    known = ", ".join(builtin.scenario_names())
    raise ConfigError(
        f"no scenario {text!r}: no such file, nor in scenarios/, nor built in (built in: {known})"
    )


def is_builtin(path: Path) -> bool:
    """Whether `path` is one of the files the package ships."""
    return builtin.FOLDER in path.resolve().parents


def environment_path(name_or_path: str | Path, config_dir: str | Path = "config") -> Path:
    """Where an environment named on the command line lives: a path as given; a name in
    `config_dir` first, else the built-in environment of that name (`mock`, `staging`, ...)."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or "/" in text:
        return Path(text)
    path = Path(config_dir) / f"{text}.yaml"
    if path.exists():
        return path
    found = builtin.environment(text)
    if found is not None:
        return found
    known = sorted({p.stem for p in Path(config_dir).glob("*.yaml")} | set(builtin.environment_names()))
    raise ConfigError(f"unknown environment {text!r} (known: {', '.join(known)})", source=str(path))


def _validate(model: type[M], data: Any, smap: SourceMap) -> M:
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of fields at the top of the file", source=smap.source, line=1)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _combined_error([_error(item, data, smap) for item in error.errors()]) from None


def _error(item: Any, data: Any, smap: SourceMap) -> ConfigError:
    return smap.error(tuple(item["loc"]), reason(item))


def _combined_error(errors: list[ConfigError]) -> ConfigError:
    """One error whose first line is the first problem and whose next lines are the rest."""
    first, rest = errors[0], errors[1:]
    message = "\n".join([first.reason, *(str(error) for error in rest)])
    return ConfigError(message, source=first.source, line=first.line)
