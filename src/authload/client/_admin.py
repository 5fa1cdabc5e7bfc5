"""The REST admin client: users and auth tokens with the REST API key."""

from __future__ import annotations

import itertools
import ssl
from types import TracebackType
from typing import TypeVar

import httpx

from .. import protocol as p
from ._driver import run_flow

T = TypeVar("T")


class AdminClient:
    """Server-side calls a backend makes: create users, mint tokens, delete users.

    ```python
    with AdminClient("http://127.0.0.1:8765", app_id="app", api_key=key) as admin:
        admin.create_user("alice", "Alice")
        token = admin.create_auth_token("alice")
    ```
    Pass `transport=httpx.ASGITransport(app)` to talk to an in-process mock.
    """

    def __init__(
        self,
        rest_base_url: str,
        *,
        app_id: str,
        api_key: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._app = p.App(app_id)
        self._api_key = api_key
        self._base_urls: dict[p.Host, str] = {"rest": rest_base_url.rstrip("/"), "client": ""}
        # verify: certificates are checked (httpx's default), or with a context (`authload.common._tls`)
        self._client = httpx.Client(
            timeout=timeout, transport=transport, verify=verify, event_hooks={"request": [self._count]}
        )
        self._sent = itertools.count()
        self.sent = 0  # HTTP requests sent (what the backend received), retries included

    def _count(self, request: httpx.Request) -> None:
        self.sent = next(self._sent) + 1  # itertools.count: atomic across threads

    @property
    def app(self) -> p.App:
        """The app every request names."""
        return self._app

    @property
    def api_key(self) -> str:
        """The REST API key this client sends."""
        return self._api_key

    def run(self, flow: p.Exchange[T]) -> T:
        """Run any protocol flow over this client's connections."""
        return run_flow(flow, self._client, self._base_urls)

    def create_user(self, uid: str, name: str, *, with_auth_token: bool = False) -> p.User:
        """`POST /users`."""
        return self._run(p.create_user(self._app, self._api_key, uid, name, with_auth_token=with_auth_token))

    def get_user(self, uid: str) -> p.User:
        """`GET /users/{uid}`."""
        return self._run(p.get_user(self._app, self._api_key, uid))

    def delete_user(self, uid: str, *, permanent: bool = True) -> None:
        """`DELETE /users/{uid}`."""
        self._run(p.delete_user(self._app, self._api_key, uid, permanent=permanent))

    def create_auth_token(self, uid: str, *, force: bool = True) -> p.AuthToken:
        """`POST /users/{uid}/auth_tokens`."""
        return self._run(p.create_auth_token(self._app, self._api_key, uid, force=force))

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _run(self, flow: p.Exchange[T]) -> T:
        return self.run(flow)
