"""The JS SDK's local session as a state machine, with no I/O.

`CometChat.login()` does not always go to the network; what it sends depends
on who is logged in locally (reference: cometchat-sdk-wire.md §6):

| state      | call                           | network                      | next state  |
|------------|--------------------------------|------------------------------|-------------|
| logged out | login(auth_token)              | PUT /me                      | logged in   |
| logged out | login(uid, auth_key)           | POST auth_tokens, PUT /me    | logged in   |
| logged in  | login(same auth_token)         | none                         | logged in   |
| logged in  | login(same uid, auth_key)      | none                         | logged in   |
| logged in  | login(other token / other uid) | as from logged out           | logged in   |
| logged in  | logout()                       | DELETE /me                   | logged out  |
| logged out | logout()                       | none                         | logged out  |
| any        | a call answered AUTH_ERR_AUTH_TOKEN_NOT_FOUND | -             | logged out  |

Logging in as another user replaces the session without a `DELETE /me` for
the previous one, as the SDK does. Logout clears the local session whatever
the server answers, and treats AUTH_ERR_AUTH_TOKEN_NOT_FOUND as success.
"""

from __future__ import annotations

from ..common._errors import ApiError
from . import _operations as ops
from ._messages import App, Exchange, Session, User
from ._wire import AUTH_ERR_AUTH_TOKEN_NOT_FOUND


class SdkSession:
    """One SDK instance's view of who is logged in. Its methods return flows."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.current: Session | None = None

    def get_logged_in_user(self) -> User | None:
        """`getLoggedinUser()`: local, never a request."""
        return self.current.user if self.current else None

    def login_auth_token(self, auth_token: str) -> Exchange[Session]:
        """`login(authToken)`."""
        if self.current is not None and self.current.auth_token == auth_token:
            return self.current
        self.current = None  # a new login replaces the session, even if it fails
        self.current = yield from ops.login_auth_token(self.app, auth_token)
        return self.current

    def login_auth_key(self, uid: str, auth_key: str) -> Exchange[Session]:
        """`login(uid, authKey)`."""
        if self.current is not None and self.current.user.uid == uid:
            return self.current
        self.current = None
        self.current = yield from ops.login_auth_key(self.app, uid, auth_key)
        return self.current

    def logout(self) -> Exchange[bool]:
        """`logout()`; returns whether a request was sent."""
        if self.current is None:
            return False
        token, self.current = self.current.auth_token, None
        try:
            yield from ops.logout(self.app, token)
        except ApiError as error:
            if error.code != AUTH_ERR_AUTH_TOKEN_NOT_FOUND:
                raise
        return True
