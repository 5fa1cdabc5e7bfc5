"""The sample app server: what an app's own backend does in CometChat's production flow.

Apart from CometChat's routes, under `/app/` (authload's own API, not CometChat's):

    POST /app/login   Authorization: Bearer <app_secret>   {"uid": "..."}
    -> 200 {"cometchat": {"uid": "...", "authToken": "...", "created": true|false}}

The app checks its own session (the bearer secret, in `_auth`; else 401
APP_UNAUTHORIZED),
creates the CometChat user if it does not exist (a sign-up), mints an auth token
for it and hands it to its client, which then calls `login(authToken)`. A real
app server does the creating and minting over CometChat's REST API; this one
uses the mock's store directly, so the mock counts one request (`app.login`),
which takes faults, latency and rate limits like any other route.
"""

from __future__ import annotations

from ..protocol import wire
from ._context import Call, Route
from ._validation import user_fields


def app_login(call: Call) -> bytes:
    """The app's login: the user (created if missing) and a fresh token for its client."""
    body = call.json()
    store = call.state.store
    uid = str(body.get(wire.F_UID, "")).lower()
    user = store.active_user(uid)
    created = user is None
    if user is None:
        if uid in store.users:  # deactivated: the app cannot sign it up again
            raise call.state.error(wire.ERR_UID_NOT_FOUND, uid=uid)
        name = body.get(wire.F_NAME) or uid
        uid, fields = user_fields(call, {wire.F_UID: uid, wire.F_NAME: name}, creating=True)
        user = store.create_user(uid, fields)
    token = store.mint_token(user, {}, reuse=False)
    # The app's own shape, not CometChat's `data` envelope.
    reply = {wire.F_UID: user.uid, wire.F_AUTH_TOKEN: token, wire.F_CREATED: created}
    return wire.encode_json({wire.F_COMETCHAT: reply})


ROUTES: tuple[Route, ...] = (
    Route("app.login", "POST", wire.APP_PREFIX + wire.APP_LOGIN, "core", "app", app_login, versions=("",)),
)
