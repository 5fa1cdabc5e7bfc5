"""An SDK-like chat session over httpx, with CometChat's login listeners."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar

import httpx

from .. import protocol as p
from ..common._errors import BackendError, RealtimeError
from ..protocol._realtime import plan_realtime
from ..protocol._sdk_session import SdkSession
from ._driver import run_flow
from ._realtime import RealtimeSocket, open_realtime

T = TypeVar("T")


@dataclass
class LoginListener:
    """`CometChat.LoginListener`: any callback may be left out."""

    login_success: Callable[[p.User], None] | None = None
    login_failure: Callable[[BackendError], None] | None = None
    logout_success: Callable[[], None] | None = None
    logout_failure: Callable[[BackendError], None] | None = None


class ChatSession:
    """Behaves as one instance of the CometChat JS SDK does for auth.

    `get_logged_in_user()` is local; logging in as the user already logged in
    sends nothing; logging in as another user replaces the session; `logout()`
    clears the session whatever the server answers. The transitions are the
    table in `authload.protocol._sdk_session`.
    """

    def __init__(
        self,
        rest_base_url: str,
        client_base_url: str | None = None,
        *,
        app_id: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._app = p.App(app_id)
        self._state = SdkSession(self._app)
        self._timeout = timeout
        self.realtime: RealtimeSocket | None = None
        self._base_urls: dict[p.Host, str] = {
            "rest": rest_base_url.rstrip("/"),
            "client": (client_base_url or rest_base_url).rstrip("/"),
        }
        # verify: certificates are checked (httpx's default), or with a context (`authload.common._tls`)
        self._client = httpx.Client(timeout=timeout, transport=transport, verify=verify)
        self._listeners: dict[str, LoginListener] = {}

    def add_login_listener(self, listener_id: str, listener: LoginListener) -> None:
        """`CometChat.addLoginListener(id, listener)`."""
        self._listeners[listener_id] = listener

    def remove_login_listener(self, listener_id: str) -> None:
        """`CometChat.removeLoginListener(id)`."""
        self._listeners.pop(listener_id, None)

    def get_logged_in_user(self) -> p.User | None:
        """`CometChat.getLoggedinUser()`: no request, ever."""
        return self._state.get_logged_in_user()

    @property
    def auth_token(self) -> str | None:
        """The current session's token, if logged in."""
        return self._state.current.auth_token if self._state.current else None

    def login(self, uid_or_token: str, auth_key: str | None = None) -> p.User:
        """`login(authToken)` or `login(uid, authKey)`; fires loginSuccess or loginFailure."""
        if auth_key is None:
            flow = self._state.login_auth_token(uid_or_token)
        else:
            flow = self._state.login_auth_key(uid_or_token, auth_key)
        try:
            user = self._run(flow).user
        except BackendError as error:
            self._notify("login_failure", error)
            raise
        self._notify("login_success", user)
        return user

    def connect_realtime(self) -> RealtimeSocket:
        """Open and authenticate the real-time socket as the SDK does after a login: host and
        port from the login's settings (else `GET /settings`). Raises `RealtimeError`."""
        self.close_realtime()
        current = self._state.current
        if current is None:  # the SDK opens no socket before a login
            raise RealtimeError("connect_realtime needs a login first", cause="refused")
        secure = self._base_urls["client"].startswith("https:")
        plan = self._run(plan_realtime(self._app, current, f"authload-{id(self):x}", secure=secure))
        self.realtime = open_realtime(plan, self._timeout)
        return self.realtime

    def close_realtime(self) -> None:
        """Close the socket with code 1000 "User logged out", as `logout()` does."""
        realtime, self.realtime = self.realtime, None
        if realtime is not None:
            realtime.close()

    def logout(self) -> None:
        """`logout()`: the local session ends even if the server call fails; the socket closes."""
        try:
            self._run(self._state.logout())
        except BackendError as error:
            self._notify("logout_failure", error)
            raise
        finally:
            self.close_realtime()
        self._notify("logout_success")

    def close(self) -> None:
        """Close the connection pool and the socket (the session state is kept)."""
        self.close_realtime()
        self._client.close()

    def __enter__(self) -> ChatSession:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _run(self, flow: p.Exchange[T]) -> T:
        return run_flow(flow, self._client, self._base_urls)

    def _notify(self, event: str, *args: object) -> None:
        for listener in list(self._listeners.values()):
            callback = getattr(listener, event)
            if callback is not None:
                callback(*args)
