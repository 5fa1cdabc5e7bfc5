"""authload: load-test the CometChat authentication flow.

The public API. Everything else lives in private modules or in the parts
(`authload.protocol`, `authload.client`, `authload.scenario`, `authload.mock`,
`authload.pool`, `authload.report`, `authload.locust`), which import Locust and gevent only
in `authload.locust`. Names load on first use, so `import authload.protocol` (no I/O, no
third-party package) loads nothing else.
"""

from __future__ import annotations

from importlib import import_module as _import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import AdminClient, ChatSession, LoginListener
    from .commands._config import Config
    from .commands._runner import RunResult, run, ui
    from .common import (
        EXIT_CONFIG_ERROR,
        EXIT_OK,
        EXIT_RUN_ERROR,
        EXIT_THRESHOLDS_FAILED,
        ApiError,
        AuthloadError,
        BackendError,
        ConfigError,
        MissingSecretError,
        ProtocolError,
        RunError,
        TransportError,
    )
    from .mock import MockConfig, MockProcess, create_mock_app
    from .mock import serve as serve_mock
    from .scenario import Environment, Scenario, load_environment, load_scenario

_WHERE = {
    "AdminClient": ".client",
    "ChatSession": ".client",
    "LoginListener": ".client",
    "Config": ".commands._config",
    "RunResult": ".commands._runner",
    "run": ".commands._runner",
    "ui": ".commands._runner",
    "MockConfig": ".mock",
    "MockProcess": ".mock",
    "create_mock_app": ".mock",
    "serve_mock": ".mock",
    "Environment": ".scenario",
    "Scenario": ".scenario",
    "load_environment": ".scenario",
    "load_scenario": ".scenario",
}
_ERRORS = (
    "EXIT_CONFIG_ERROR",
    "EXIT_OK",
    "EXIT_RUN_ERROR",
    "EXIT_THRESHOLDS_FAILED",
    "ApiError",
    "AuthloadError",
    "BackendError",
    "ConfigError",
    "MissingSecretError",
    "ProtocolError",
    "RunError",
    "TransportError",
)
_WHERE.update(dict.fromkeys(_ERRORS, ".common"))
_RENAMED = {"serve_mock": "serve"}


def __getattr__(name: str) -> Any:
    """Each public name loads its part on first use (PEP 562)."""
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(where, __name__), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AdminClient",
    "ApiError",
    "AuthloadError",
    "BackendError",
    "ChatSession",
    "Config",
    "ConfigError",
    "EXIT_CONFIG_ERROR",
    "EXIT_OK",
    "EXIT_RUN_ERROR",
    "EXIT_THRESHOLDS_FAILED",
    "Environment",
    "LoginListener",
    "MissingSecretError",
    "MockConfig",
    "MockProcess",
    "ProtocolError",
    "RunError",
    "RunResult",
    "Scenario",
    "TransportError",
    "create_mock_app",
    "load_environment",
    "load_scenario",
    "run",
    "serve_mock",
    "ui",
]
