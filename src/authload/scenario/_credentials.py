"""What a scenario needs of its environment, checked before any traffic: keys and hosts.

A step whose credential the environment lacks would fail every time on the
wire (`AUTH_ERR_EMPTY_APIKEY` at 100%); it is a configuration error instead
(exit 2), naming the step, the credential and the variable to set.
"""

from __future__ import annotations

from pathlib import Path

from ..common._errors import ConfigError
from ._environment import Environment
from ._model import PAUSE, Scenario
from ._yaml import VARIABLE, load_yaml

REST_KEY, AUTH_KEY = "rest_api_key", "auth_key"
CREDENTIAL_NAMES = {REST_KEY: "the REST API key", AUTH_KEY: "the Auth Key"}
NEEDS = {
    "create_user": REST_KEY,
    "create_auth_token": REST_KEY,
    "delete_auth_token": REST_KEY,
    "delete_user": REST_KEY,
    "login_auth_key": AUTH_KEY,
}
PROVISIONING = "identities (provisioning the pool)"


def needed_credentials(scenario: Scenario) -> list[tuple[str, str, str]]:
    """`(flow, step, credential field)` for each step that needs a key, first use per key."""
    needed: dict[str, tuple[str, str, str]] = {}
    if scenario.uses_pool() and scenario.identities.count > 0:
        needed[REST_KEY] = ("", PROVISIONING, REST_KEY)
    for flow_name, flow in scenario.flows.items():
        for step in flow.steps:
            field = NEEDS.get(step.name) if step.name != PAUSE else None
            if field is not None and field not in needed:
                needed[field] = (flow_name, step.name, field)
    return list(needed.values())


def check_credentials(scenario: Scenario, env: Environment, env_path: Path | None = None) -> None:
    """Raise `ConfigError` (exit 2) if the scenario needs a key `env` does not have.
    An embedded or standalone mock always has both (its own)."""
    if env.backend == "mock":
        return
    missing = []
    for flow, step, field in needed_credentials(scenario):
        secret = getattr(env, field)
        if secret is None or not secret.get_secret_value():
            where = f"step {step!r} of flow {flow!r}" if flow else step
            missing.append(
                f"{where} needs {CREDENTIAL_NAMES[field]}, but environment {env.name!r} has none: "
                f"{_how_to_set(field, env_path)}"
            )
    if missing:
        raise ConfigError("\n".join(missing), source=str(env_path) if env_path else None)


def _how_to_set(field: str, env_path: Path | None) -> str:
    """`set COMETCHAT_AUTH_KEY (auth_key: ${COMETCHAT_AUTH_KEY:-})`, from the file's own text."""
    raw = None
    if env_path is not None:
        data, _ = load_yaml(env_path)
        raw = data.get(field) if isinstance(data, dict) else None
    names = VARIABLE.findall(raw) if isinstance(raw, str) else []
    if names:
        return f"set {', '.join(name for name, _ in names)} ({field}: {raw})"
    return f"set {field} in the environment file"


def check_http_hosts(scenario: Scenario, env: Environment, env_path: Path | None = None) -> None:
    """Raise `ConfigError` (exit 2) for an http step the environment cannot take: a path with no
    `app_base_url` to go under, or an absolute URL on a host that is not the environment's own
    (rest, client, app) or in its `extra_hosts`, where the app's headers must not go."""
    problems = []
    allowed = env.allowed_hosts()
    for step in scenario.http_steps():
        host = step.absolute_host()
        if host is None and env.backend != "mock" and not env.app_base_url:
            problems.append(
                f"http step {step.name!r} goes to {step.url!r} under app_base_url, but environment "
                f"{env.name!r} has none: set app_base_url (your app server's URL)"
            )
        elif host is not None and host not in allowed:
            problems.append(
                f"http step {step.name!r} goes to host {host!r}, which is not one of environment "
                f"{env.name!r}'s ({', '.join(sorted(allowed))}): add it to extra_hosts to allow it"
            )
    if problems:
        raise ConfigError("\n".join(problems), source=str(env_path) if env_path else None)


def check_pair(scenario: Scenario, env: Environment, env_path: Path | None = None) -> None:
    """Everything a scenario needs of an environment: its keys and its hosts (exit 2 if not)."""
    check_credentials(scenario, env, env_path)
    check_http_hosts(scenario, env, env_path)
