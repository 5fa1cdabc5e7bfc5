"""Every uvicorn internal the mock's protocol uses, in one place (checked on uvicorn 0.50 and 0.55).

uvicorn documents `http=` protocol classes, not the parts of its own: the mock's
protocol (`_protocol`, `_connection`) takes its ASGI cycle, flow control, status
lines and address helpers from here, so an upgrade that moves one fails in one
import, and `tests/mock/test_uvicorn_internals.py` checks the signatures used.
"""

from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT, FlowControl
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, RequestResponseCycle
from uvicorn.protocols.utils import get_local_addr, get_remote_addr, is_ssl
from uvicorn.server import ServerState

__all__ = [
    "HIGH_WATER_LIMIT",
    "STATUS_LINE",
    "Config",
    "FlowControl",
    "RequestResponseCycle",
    "ServerState",
    "get_local_addr",
    "get_remote_addr",
    "is_ssl",
]
