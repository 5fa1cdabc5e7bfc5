"""The real-time connection a virtual user keeps open after `connect_realtime`.

The connection is opened inside the step (so its time is the step's time) and
then served by a greenlet of its own (answers pings, sends the SDK's ping when
idle) until the user logs out (closed with 1000 "User logged out", as the SDK
does), connects again, or the cycle ends. A connection the server breaks while
kept open is counted by the mock; the harness's step had already succeeded.
"""

from __future__ import annotations

import ssl

import gevent

from ...client._realtime import RealtimeSocket, open_realtime
from ...common._errors import RealtimeError
from ...protocol._realtime import RealtimePlan
from ...protocol._wire import WS_PING_EVERY_S

CONNECT_REALTIME = "connect_realtime"


class RealtimeLink:
    """At most one open connection of one virtual user."""

    def __init__(self, timeout: float, context: ssl.SSLContext | None = None) -> None:
        self.timeout = timeout
        self.context = context
        self._socket: RealtimeSocket | None = None
        self._keeper: gevent.Greenlet[[], None] | None = None

    @property
    def is_open(self) -> bool:
        return self._socket is not None

    def open(self, plan: RealtimePlan) -> None:
        """Connect and authenticate (raises `RealtimeError`), then keep it open in the background."""
        self.close()  # as the SDK: one socket per session
        connection = open_realtime(plan, self.timeout, self.context)
        self._socket = connection
        self._keeper = gevent.spawn(self._keep, connection)

    @staticmethod
    def _keep(connection: RealtimeSocket) -> None:
        try:
            connection.keep_alive(WS_PING_EVERY_S)
        except RealtimeError:  # the server went away; the SDK would reconnect, a load test moves on
            connection.close()

    def close(self) -> None:
        """Stop serving it and close with code 1000, as `logout()` does."""
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            keeper.kill(block=True)
        connection, self._socket = self._socket, None
        if connection is not None:
            connection.close()
