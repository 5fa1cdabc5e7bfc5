"""The mock CometChat backend: fast, faithful, controllable.

Serves the REST v3 users and auth-token APIs, the SDK's client surface
(`/me` login and logout, settings, telemetry, analytics) and the real-time
WebSocket, from the wire contract in `authload.protocol.wire`. Unsure
behaviours, rate limits and fault injection are set in `MockConfig`;
`/_mock/stats` counts everything it received, answered and injected.

- `create_mock_app(config)`: the ASGI app (tests drive it in-process).
- `serve(config, host, port, on_ready)`: run it under uvicorn, blocking.
- `MockProcess(config)`: run it as a child process (`python -m authload.mock`).
"""

from typing import TYPE_CHECKING, Any

from ._config import MockConfig
from ._fault_spec import parse_fault_spec
from ._process import MockProcess

if TYPE_CHECKING:
    from ._app import create_mock_app
    from ._server import serve


def __getattr__(name: str) -> Any:
    """The ASGI stack loads on first use: a Locust process needs only `MockProcess`."""
    if name == "create_mock_app":
        from ._app import create_mock_app

        return create_mock_app
    if name == "serve":
        from ._server import serve

        return serve
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["MockConfig", "MockProcess", "create_mock_app", "parse_fault_spec", "serve"]
