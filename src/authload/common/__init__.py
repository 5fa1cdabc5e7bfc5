"""What every part uses, at the bottom: the error taxonomy and exit codes, secrets masked in
every output, transport failures by type, TLS contexts and checks, process lifelines, run ids.

Standard library only (no part of authload, no third-party package), so anything may import it.
"""

from ._errors import (
    EXIT_CODES,
    EXIT_CONFIG_ERROR,
    EXIT_OK,
    EXIT_RUN_ERROR,
    EXIT_THRESHOLDS_FAILED,
    ApiError,
    AuthloadError,
    BackendError,
    ConfigError,
    CorrectnessError,
    MissingSecretError,
    ProtocolError,
    RealtimeError,
    RunError,
    TransportError,
)
from ._problems import one_line, reason

__all__ = [
    "EXIT_CODES",
    "EXIT_CONFIG_ERROR",
    "EXIT_OK",
    "EXIT_RUN_ERROR",
    "EXIT_THRESHOLDS_FAILED",
    "ApiError",
    "AuthloadError",
    "BackendError",
    "ConfigError",
    "CorrectnessError",
    "MissingSecretError",
    "ProtocolError",
    "RealtimeError",
    "RunError",
    "TransportError",
    "one_line",
    "reason",
]
