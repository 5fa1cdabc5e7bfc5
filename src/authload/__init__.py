"""authload: load-test the CometChat authentication flow.

The public API. Everything else lives in private modules or in the parts
(`authload.protocol`, `authload.client`, `authload.scenario`, `authload.mock`,
`authload.report`, `authload.locust`), which import Locust and gevent only in
`authload.locust`.
"""

from typing import TYPE_CHECKING, Any

from .client import AdminClient, ChatSession, LoginListener
from .commands._config import Config
from .commands._runner import RunResult, run, ui
from .common._errors import (
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
from .mock import MockConfig, MockProcess
from .scenario import Environment, Scenario, load_environment, load_scenario

if TYPE_CHECKING:
    from .mock import create_mock_app
    from .mock import serve as serve_mock


def __getattr__(name: str) -> Any:
    """`create_mock_app` and `serve_mock` load the ASGI stack on first use only."""
    if name in ("create_mock_app", "serve_mock"):
        from . import mock

        return getattr(mock, "serve" if name == "serve_mock" else name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
