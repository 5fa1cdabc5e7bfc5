"""REST v3 users: create, list, get, update, delete, deactivate, reactivate.

Soft delete and deactivate are the same state here (the reference: "Delete:
deactivate or permanently delete"): the uid stays taken, get and token
create answer ERR_UID_NOT_FOUND, the user's tokens stop working on `/me`.
"""

from __future__ import annotations

from ..protocol import wire
from ._context import Call, Route, ok
from ._store import UserRecord
from ._user_json import user_json
from ._validation import UNSETTABLE, boolean, page_args, paginate, user_fields


def active_user(call: Call, uid: str) -> UserRecord:
    """The path's user, or ERR_UID_NOT_FOUND (also for deactivated users)."""
    user = call.state.store.active_user(uid.lower())
    if user is None:
        raise call.state.error(wire.ERR_UID_NOT_FOUND, uid=uid)
    return user


def create_user(call: Call) -> bytes:
    """POST /users; `withAuthToken` adds a fresh token."""
    body = call.json()
    uid, fields = user_fields(call, body, creating=True)
    store = call.state.store
    if uid in store.users:
        raise call.state.error(wire.ERR_UID_ALREADY_EXISTS, uid=uid)
    user = store.create_user(uid, fields)
    if boolean(body.get(wire.F_WITH_AUTH_TOKEN, False)):
        data = {**user.fields, wire.F_AUTH_TOKEN: store.mint_token(user, {}, reuse=False)}
        return ok(data)
    return _DATA_HEAD + user_json(user.fields) + _DATA_TAIL


_DATA_HEAD, _DATA_TAIL = wire.data_envelope()  # `{"data":` and `}`


def list_users(call: Call) -> bytes:
    """GET /users with the filters an auth harness uses, and `meta.pagination`."""
    query = call.query()
    per_page, page = page_args(call, query)
    only_inactive = boolean(query.get("onlyDeactivated", ""))
    with_inactive = only_inactive or boolean(query.get("withDeactivated", ""))
    search = query.get("searchKey", "").lower()
    search_in = query.get("searchIn", "uid,name").split(",")
    role = query.get("role")
    users = []
    for user in call.state.store.users.values():
        if (only_inactive and user.active) or (not with_inactive and not user.active):
            continue
        if role and user.fields.get("role") != role:
            continue
        if search and not any(search in str(user.fields.get(f, "")).lower() for f in search_in):
            continue
        users.append(user.fields)
    chunk, meta = paginate(users, per_page, page)
    return ok(chunk, meta)


def get_user(call: Call) -> bytes:
    """GET /users/{uid}."""
    return ok(active_user(call, call.params[wire.F_UID]).fields)


def update_user(call: Call) -> bytes:
    """PUT /users/{uid}; `unset` removes avatar, link or metadata."""
    user = active_user(call, call.params[wire.F_UID])
    body = call.json()
    _, changes = user_fields(call, body, creating=False)
    unset = body.get("unset") or []
    if not isinstance(unset, list) or any(name not in UNSETTABLE for name in unset):
        raise call.state.error(wire.ERR_BAD_REQUEST, {"unset": ["The selected unset is invalid."]})
    call.state.store.update_user(user, changes, unset)
    return ok(user.fields)


def delete_user(call: Call) -> bytes:
    """DELETE /users/{uid}; body `permanent` (bool or "true"/"false")."""
    uid = call.params[wire.F_UID].lower()
    permanent = boolean(call.json().get(wire.F_PERMANENT, False))
    store = call.state.store
    user = store.users.get(uid) if permanent else store.active_user(uid)
    if user is None:
        raise call.state.error(wire.ERR_UID_NOT_FOUND, uid=uid)
    store.delete_user(user, permanent=permanent)
    return ok({"success": True, "message": f"User with {uid} has been deleted successfully."})


def _uid_list(call: Call, field: str) -> list[str]:
    uids = call.json().get(field)
    if not isinstance(uids, list) or not uids or not all(isinstance(uid, str) for uid in uids):
        raise call.state.error(wire.ERR_BAD_REQUEST, {field: [f"The {field} field is required."]})
    return [uid.lower() for uid in uids]


def _set_active(call: Call, field: str, *, active: bool) -> list[str]:
    done = []
    for uid in _uid_list(call, field):
        user = call.state.store.users.get(uid)
        if user is not None:
            call.state.store.set_active(user, active=active)
            done.append(uid)
    return done


def deactivate_users(call: Call) -> bytes:
    """DELETE /users `{"uidsToDeactivate": [...]}`."""
    return ok({"deactivatedUids": _set_active(call, "uidsToDeactivate", active=False)})


def reactivate_users(call: Call) -> bytes:
    """PUT /users `{"uidsToActivate": [...]}`; the documented reply key is `nonDeactivatedUids`."""
    return ok({"nonDeactivatedUids": _set_active(call, "uidsToActivate", active=True)})


ROUTES: tuple[Route, ...] = (
    Route("users.create", "POST", wire.USERS, "core", "key", create_user, auth_key_ok=True),
    Route("users.list", "GET", wire.USERS, "standard", "key", list_users),
    Route("users.deactivate", "DELETE", wire.USERS, "standard", "key", deactivate_users),
    Route("users.reactivate", "PUT", wire.USERS, "standard", "key", reactivate_users),
    Route("users.get", "GET", wire.USER, "standard", "key", get_user),
    Route("users.update", "PUT", wire.USER, "standard", "key", update_user, auth_key_ok=True),
    Route("users.delete", "DELETE", wire.USER, "core", "key", delete_user),
)

__all__ = ["ROUTES", "active_user"]
