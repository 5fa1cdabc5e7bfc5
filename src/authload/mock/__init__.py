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

from ._app import create_mock_app
from ._config import MockConfig
from ._fault_spec import parse_fault_spec
from ._process import MockProcess
from ._server import serve

__all__ = ["MockConfig", "MockProcess", "create_mock_app", "parse_fault_spec", "serve"]
