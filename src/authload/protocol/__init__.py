"""The CometChat auth wire contract, with no I/O.

No I/O here; every transport uses this. Each auth operation is a generator
flow (see `_operations`): it yields a `Request` (method, host kind, path,
headers, body) and receives the `Response` a driver read, then returns a
`User`, an `AuthToken` or a `Session`, or raises `ApiError` / `ProtocolError`.
The paths, header names and error codes live in `_wire` and nowhere else;
the mock serves the same constants the clients send.

Imports allowed in this package: the standard library's pure modules and
`authload.common`. A test checks it.
"""

from . import _wire as wire
from ._messages import App, AuthToken, Exchange, Host, Request, Response, Session, User, run_exchange
from ._operations import (
    create_auth_token,
    create_user,
    delete_auth_token,
    delete_user,
    get_me,
    get_settings,
    get_user,
    login_auth_key,
    login_auth_token,
    logout,
    read_data,
)

__all__ = [
    "App",
    "AuthToken",
    "Exchange",
    "Host",
    "Request",
    "Response",
    "Session",
    "User",
    "create_auth_token",
    "create_user",
    "delete_auth_token",
    "delete_user",
    "get_me",
    "get_settings",
    "get_user",
    "login_auth_key",
    "login_auth_token",
    "logout",
    "read_data",
    "run_exchange",
    "wire",
]
