"""Scenario steps as flows over one virtual user's state. No I/O.

A virtual user is one SDK instance (its `SdkSession` lasts across cycles, as
an app's SDK does) plus the identity of the current cycle. Each public method
named after a scenario step returns a flow; a driver runs it. Adding a step
means adding a method here and its name to `authload.scenario.STEPS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..common._errors import CorrectnessError
from . import _operations as ops
from ._http_step import NEW_UID, TOKEN, UID, VAR, HttpSpec, http_exchange
from ._messages import App, Exchange, User
from ._realtime import RealtimePlan, plan_realtime
from ._sdk_session import SdkSession

WRONG_USER = "SESSION_WRONG_USER"  # verify_session: GET /me answered for another uid


@dataclass(frozen=True, slots=True)
class Credentials:
    """The keys a run uses. `repr` hides them."""

    rest_api_key: str = field(repr=False)
    auth_key: str = field(repr=False, default="")


@dataclass(slots=True)
class Identity:
    """A user the cycle acts as, with a token when one was minted for it."""

    uid: str
    token: str | None = field(default=None, repr=False)


class VirtualUser:
    """One simulated client app: an SDK session plus the current identity."""

    def __init__(
        self,
        app: App,
        credentials: Credentials,
        new_uid: Callable[[], str],
        *,
        created: set[str] | None = None,
        app_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.credentials = credentials
        self.sdk = SdkSession(app)
        self.identity = Identity(uid="")
        # Users created and not deleted yet; pass a shared set to collect them across users.
        self.created: set[str] = set() if created is None else created
        self._new_uid = new_uid
        self.realtime_secure = True  # wss://, as the SDK; the load path says ws:// for a plain-HTTP backend
        self.device_id = f"authload-{id(self):x}"
        self.app_headers: Mapping[str, str] = app_headers or {}  # every http step's (the app's session)
        self.captured: dict[str, str] = {}  # this cycle's `{var.NAME}`s, as "var.NAME" -> value

    def begin_cycle(self, identity: Identity | None) -> None:
        """Start a cycle as `identity` (a provisioned user) or as nobody yet."""
        self.identity = Identity(identity.uid, identity.token) if identity else Identity(uid="")
        self.captured = {}

    def http(self, spec: HttpSpec) -> Exchange[None]:
        """A request to the app's own server: placeholders from this cycle, captures into it.
        `{new_uid}` signs a new user up: it becomes the cycle's identity."""
        uses = spec.uses
        if NEW_UID in uses:
            uid = self._new_uid()
            self.identity = Identity(uid)
        if TOKEN in uses and self.identity.token is None:
            raise ValueError(
                f"{spec.name} sends {{token}} without one: the scenario validator should prevent this"
            )
        values = {UID: self.identity.uid, NEW_UID: self.identity.uid, TOKEN: self.identity.token or ""}
        values.update(self.captured)
        captured = yield from http_exchange(spec, values, self.app_headers)
        if NEW_UID in uses:
            self.created.add(self.identity.uid)
        for name, value in captured.items():
            if name == TOKEN:
                self.identity.token = value
            else:
                self.captured[VAR + name] = value

    def create_user(self) -> Exchange[User]:
        """A backend signs a new user up (REST API key)."""
        uid = self._new_uid()
        user = yield from ops.create_user(self.app, self.credentials.rest_api_key, uid, f"Load {uid}")
        self.created.add(uid)
        self.identity = Identity(uid)
        return user

    def create_auth_token(self) -> Exchange[None]:
        """A backend mints a token for the current user (REST API key)."""
        minted = yield from ops.create_auth_token(self.app, self.credentials.rest_api_key, self.identity.uid)
        self.identity.token = minted.token

    def login_auth_key(self) -> Exchange[None]:
        """The client logs in with uid + Auth Key (development only)."""
        session = yield from self.sdk.login_auth_key(self.identity.uid, self.credentials.auth_key)
        self.identity.token = session.auth_token

    def login_auth_token(self) -> Exchange[None]:
        """The client logs in with the token its backend handed it."""
        if self.identity.token is None:
            raise ValueError("login_auth_token without a token: the scenario validator should prevent this")
        yield from self.sdk.login_auth_token(self.identity.token)

    def session_check(self) -> Exchange[User | None]:
        """`getLoggedinUser()`: local, as in the SDK; sends nothing."""
        return self.sdk.get_logged_in_user()
        yield  # pragma: no cover - makes this a generator flow that yields nothing

    def logout(self) -> Exchange[None]:
        """The client logs out; the token stays valid on the server."""
        yield from self.sdk.logout()

    def delete_auth_token(self) -> Exchange[None]:
        """A backend deletes the current token (REST API key); it must not log anyone in again."""
        if self.identity.token is None:
            raise ValueError("delete_auth_token without a token: the scenario validator should prevent this")
        yield from ops.delete_auth_token(
            self.app, self.credentials.rest_api_key, self.identity.uid, self.identity.token
        )

    def verify_session(self) -> Exchange[None]:
        """`GET /me` with the session's token must answer for the user who logged in.
        Not logged in, the check sends nothing (the step counts as skipped)."""
        current = self.sdk.current
        if current is None:
            return
        session = yield from ops.get_me(self.app, current.auth_token)
        if session.user.uid != current.user.uid:
            raise CorrectnessError(WRONG_USER, "GET /me answered for another user than the one logged in")

    def connect_realtime(self) -> Exchange[RealtimePlan | None]:
        """Where the SDK opens its socket after a login: the login reply's settings, else
        `GET /settings`. Not logged in, the SDK opens none (the step counts as skipped)."""
        current = self.sdk.current
        if current is None:
            return None
        return (yield from plan_realtime(self.app, current, self.device_id, secure=self.realtime_secure))

    def delete_user(self) -> Exchange[None]:
        """A backend deletes the current user (permanently, so the uid can be reused)."""
        uid = self.identity.uid
        yield from ops.delete_user(self.app, self.credentials.rest_api_key, uid)
        self.created.discard(uid)
        if self.sdk.current is not None and self.sdk.current.user.uid == uid:
            self.sdk.current = None  # the server has ended that session: its tokens are gone

    def step(self, name: str) -> Exchange[object]:
        """The flow of the step called `name`."""
        method: Callable[[], Exchange[object]] = getattr(self, name)
        return method()
