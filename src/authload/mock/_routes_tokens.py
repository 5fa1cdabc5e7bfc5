"""REST v3 auth tokens: create, list, get, update, delete one, flush all.

Create also serves the SDK's `login(uid, authKey)` step 1, so it accepts the
SDK body (`platform`, `deviceId`, `appInfo`) and an authOnly key. Without
`force`, it mints a new token unless `reuse_token_without_force` is set.
"""

from __future__ import annotations

from typing import Any

from ..protocol import wire
from ._context import Call, Route, ok
from ._routes_users import active_user
from ._store import TokenRecord
from ._validation import boolean, page_args, paginate

_DEVICE_FIELDS = ("platform", "deviceId", "appInfo", "userAgent")


def _device(body: dict[str, Any]) -> dict[str, Any]:
    return {name: body[name] for name in _DEVICE_FIELDS if name in body}


def create_token(call: Call) -> bytes:
    """POST /users/{uid}/auth_tokens -> `{uid, authToken, createdAt}`."""
    user = active_user(call, call.params[wire.F_UID])
    body = call.json()
    reuse = call.state.config.reuse_token_without_force and not boolean(body.get(wire.F_FORCE, False))
    store = call.state.store
    token = store.mint_token(user, _device(body), reuse=reuse)
    # `ok(record.public(token))`, written out: uids and tokens need no JSON escaping ([a-z0-9_-])
    return (_MINTED % (user.uid, token, store.tokens[token].created_at)).encode()


_MINTED = f'{{"data":{{"{wire.F_UID}":"%s","{wire.F_AUTH_TOKEN}":"%s","{wire.F_CREATED_AT}":%d}}}}'


def list_tokens(call: Call) -> bytes:
    """GET /users/{uid}/auth_tokens: the kept tokens, oldest first, with `meta.pagination`."""
    user = active_user(call, call.params[wire.F_UID])
    per_page, page = page_args(call, call.query())
    tokens = call.state.store.tokens
    records = [tokens[token].public(token) for token in user.tokens]
    chunk, meta = paginate(records, per_page, page)
    return ok(chunk, meta)


def _owned(call: Call) -> tuple[str, TokenRecord]:
    user = active_user(call, call.params[wire.F_UID])
    token = call.params["auth_token"]
    record = call.state.store.tokens.get(token)
    if record is None:
        raise call.state.error(wire.ERR_AUTH_TOKEN_NOT_FOUND, uid=user.uid, authToken=token)
    if record.uid != user.uid:
        raise call.state.error(wire.ERR_AUTHTOKEN_NOT_ACCESSIBLE, authToken=token)
    return token, record


def get_token(call: Call) -> bytes:
    """GET /users/{uid}/auth_tokens/{authToken}."""
    token, record = _owned(call)
    return ok(record.public(token))


def update_token(call: Call) -> bytes:
    """PUT /users/{uid}/auth_tokens/{authToken}: records platform, userAgent, appInfo."""
    token, record = _owned(call)
    record.device.update(_device(call.json()))
    return ok(record.public(token))


def delete_token(call: Call) -> bytes:
    """DELETE /users/{uid}/auth_tokens/{authToken}: invalid at once."""
    token, _ = _owned(call)
    if not call.state.config.keep_deleted_tokens_valid:  # the broken backend a correctness test catches
        call.state.store.delete_token(token)
    return ok({"success": True, "message": f"Auth token {token} has been deleted successfully."})


def flush_tokens(call: Call) -> bytes:
    """DELETE /users/{uid}/auth_tokens: every token of the user, invalid at once."""
    user = active_user(call, call.params[wire.F_UID])
    call.state.store.flush_tokens(user)
    return ok({"success": True, "message": f"Cleared Auth Tokens successfully for uid {user.uid}."})


ROUTES: tuple[Route, ...] = (
    Route("tokens.create", "POST", wire.AUTH_TOKENS, "core", "key", create_token, auth_key_ok=True),
    Route("tokens.list", "GET", wire.AUTH_TOKENS, "standard", "key", list_tokens),
    Route("tokens.flush", "DELETE", wire.AUTH_TOKENS, "standard", "key", flush_tokens),
    Route("tokens.get", "GET", wire.AUTH_TOKEN, "standard", "key", get_token),
    Route("tokens.update", "PUT", wire.AUTH_TOKEN, "standard", "key", update_token),
    Route("tokens.delete", "DELETE", wire.AUTH_TOKEN, "standard", "key", delete_token),
)
