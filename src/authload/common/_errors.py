"""The one error taxonomy of authload.

```
AuthloadError
├── ConfigError            our input is wrong (scenario, environment): file:line: field
│   └── MissingSecretError a `${VAR}` the environment file needs is not set
├── BackendError           something went wrong talking to the backend
│   ├── ApiError           the server said no: a CometChat error envelope, with its code
│   ├── ProtocolError      the server broke the contract: not JSON, no `data`, wrong shape
│   ├── TransportError     no usable HTTP answer: timeout, reset, refused, TLS not verified
│   ├── RealtimeError      the real-time socket failed: refused, auth rejected, timeout, reset
│   └── CorrectnessError   the backend answered, but wrongly (a deleted token accepted, ...)
└── RunError               the run itself could not complete
```

Each top-level branch maps to one exit code of the CLI (see `EXIT_CODES`).
Messages never contain a secret: API keys, Auth Keys and auth tokens are
redacted before an error is built (see `authload.common._redact`).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_THRESHOLDS_FAILED = 1
EXIT_CONFIG_ERROR = 2
EXIT_RUN_ERROR = 3


class AuthloadError(Exception):
    """Base class of every error authload raises on purpose."""

    exit_code = EXIT_RUN_ERROR


class ConfigError(AuthloadError):
    """A scenario or environment file is wrong; the message names file, line and field."""

    exit_code = EXIT_CONFIG_ERROR

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.reason = message
        where = source or ""
        if source and line is not None:
            where = f"{source}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


class MissingSecretError(ConfigError):
    """An environment file refers to `${VAR}` and VAR is not set."""


class BackendError(AuthloadError):
    """The backend did not do what the step needed. `kind` classifies it for reports."""

    kind = "backend"

    @property
    def code(self) -> str:
        """A short, stable label for reports: the API error code or the failure kind."""
        return self.kind.upper()


class ApiError(BackendError):
    """The server answered with CometChat's error envelope `{"error": {"code", ...}}`."""

    kind = "api"

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        status: int = 0,
        details: dict[str, object] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.error_code = code
        self.message = message
        self.status = status
        self.details = details or {}
        self.retry_after = retry_after
        # The server's message can quote the token or key that failed, so the
        # string form (what Locust groups failures by) is the code and status only.
        super().__init__(f"{code} (HTTP {status})")

    @property
    def code(self) -> str:
        return self.error_code


class ProtocolError(BackendError):
    """The server's answer does not follow the wire contract."""

    kind = "protocol"

    def __init__(self, reason: str, *, status: int = 0, code: str | None = None) -> None:
        self.status = status
        self._code = code  # an http step's own: HTTP_<status>, CAPTURE_MISSING, PROTOCOL_NOT_JSON, ...
        super().__init__(f"{reason} (HTTP {status})" if status else reason)

    @property
    def code(self) -> str:
        if self._code is not None:
            return self._code
        return f"PROTOCOL_HTTP_{self.status}" if self.status else "PROTOCOL"


class TransportError(BackendError):
    """No HTTP answer could be read: `cause` is `timeout`, `reset`, `connect` (refused, no
    route, no such host) or `tls` (the certificate did not verify, or the handshake failed)."""

    kind = "transport"

    def __init__(self, reason: str, *, cause: str = "transport") -> None:
        self.cause = cause
        super().__init__(reason)

    @property
    def code(self) -> str:
        return f"TRANSPORT_{self.cause.upper()}"


class RealtimeError(BackendError):
    """The real-time WebSocket did not connect or authenticate: `cause` is `refused`,
    `auth_rejected`, `timeout` or `reset`."""

    kind = "realtime"

    def __init__(self, reason: str, *, cause: str) -> None:
        self.cause = cause
        super().__init__(reason)

    @property
    def code(self) -> str:
        return f"REALTIME_{self.cause.upper()}"


class CorrectnessError(BackendError):
    """The backend answered without error, but not what a correct backend answers.
    Counted apart from errors (a run's `correctness_failures`)."""

    kind = "correctness"

    def __init__(self, code: str, reason: str = "") -> None:
        self.correctness_code = code
        super().__init__(reason or code)

    @property
    def code(self) -> str:
        return self.correctness_code


class RunError(AuthloadError):
    """The run could not complete: the backend is unreachable, Locust failed, ..."""

    exit_code = EXIT_RUN_ERROR


EXIT_CODES: dict[type[AuthloadError], int] = {
    ConfigError: EXIT_CONFIG_ERROR,
    BackendError: EXIT_RUN_ERROR,
    RunError: EXIT_RUN_ERROR,
}
