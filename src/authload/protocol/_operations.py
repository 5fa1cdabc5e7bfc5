"""Each auth operation as a generator flow: `response = yield request`.

A flow yields the requests it needs, one at a time, and returns its result or
raises `ApiError` / `ProtocolError`. Drivers (httpx, Locust's FastHttpSession)
send what is yielded and send back what they read; they know nothing else.
"""

from __future__ import annotations

import json
from typing import Any

from ..common._errors import ApiError, ProtocolError
from . import _wire as w
from ._messages import App, AuthToken, Exchange, Request, Response, Session, User


def read_data(response: Response) -> Any:
    """The `data` of a success envelope, or the `ApiError` of an error envelope.

    CometChat clients decide by the body, not the status (the SDK never reads
    the status), so a 2xx with an error envelope is an error and vice versa.
    """
    try:
        payload = _decode(response.body.decode())  # UTF-8, as CometChat sends; skips json's sniffing
    except ValueError:  # UnicodeDecodeError is one too
        raise ProtocolError("response body is not JSON", status=response.status) from None
    if isinstance(payload, dict):
        if "data" in payload:
            return payload["data"]
        error = payload.get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            raise ApiError(
                error["code"],
                str(error.get("message", "")),
                status=response.status,
                details=error.get("details") if isinstance(error.get("details"), dict) else None,
                retry_after=_retry_after(response),
            )
    raise ProtocolError("response has neither `data` nor an `error` envelope", status=response.status)


def _retry_after(response: Response) -> float | None:
    value = response.headers.get(w.H_RETRY_AFTER.lower())
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _object(data: Any, response: Response, *keys: str) -> dict[str, Any]:
    if not isinstance(data, dict) or any(not isinstance(data.get(key), str) for key in keys):
        raise ProtocolError(f"`data` lacks {', '.join(keys)}", status=response.status)
    return data


def _user(data: Any, response: Response) -> User:
    fields = _object(data, response, w.F_UID)
    return User(uid=fields[w.F_UID], name=str(fields.get(w.F_NAME, "")), raw=fields)


def _json(body: dict[str, Any]) -> bytes:
    return w.encode_json(body)


def create_user(
    app: App, api_key: str, uid: str, name: str, *, with_auth_token: bool = False
) -> Exchange[User]:
    """REST `POST /v3/users`."""
    body: dict[str, Any] = {w.F_UID: uid, w.F_NAME: name}
    if with_auth_token:
        body[w.F_WITH_AUTH_TOKEN] = True
    headers = app.headers(w.H_API_KEY, api_key)
    response = yield Request("POST", "rest", w.rest_path(w.USERS), headers, _json(body), _USERS)
    return _user(read_data(response), response)


def get_user(app: App, api_key: str, uid: str) -> Exchange[User]:
    """REST `GET /v3/users/{uid}`."""
    path, headers = w.rest_path(w.USER, uid=uid), app.headers(w.H_API_KEY, api_key)
    response = yield Request("GET", "rest", path, headers, route=_USER)
    return _user(read_data(response), response)


def delete_user(app: App, api_key: str, uid: str, *, permanent: bool = True) -> Exchange[None]:
    """REST `DELETE /v3/users/{uid}`; permanent by default, so a rerun can reuse the uid."""
    body = _json({w.F_PERMANENT: permanent})
    path, headers = w.rest_path(w.USER, uid=uid), app.headers(w.H_API_KEY, api_key)
    response = yield Request("DELETE", "rest", path, headers, body, _USER)
    read_data(response)


def create_auth_token(app: App, api_key: str, uid: str, *, force: bool = True) -> Exchange[AuthToken]:
    """REST `POST /v3/users/{uid}/auth_tokens`, with the REST API key or the Auth Key."""
    path = w.rest_path(w.AUTH_TOKENS, uid=uid)
    headers = app.headers(w.H_API_KEY, api_key)
    response = yield Request("POST", "rest", path, headers, _json({w.F_FORCE: force}), _AUTH_TOKENS)
    fields = _object(read_data(response), response, w.F_AUTH_TOKEN)
    created = fields.get(w.F_CREATED_AT)
    token = fields[w.F_AUTH_TOKEN]
    return AuthToken(uid=str(fields.get(w.F_UID, uid)), token=token, created_at=int(created or 0))


def delete_auth_token(app: App, api_key: str, uid: str, auth_token: str) -> Exchange[None]:
    """REST `DELETE /v3/users/{uid}/auth_tokens/{authToken}`: the token is invalid from now on."""
    path = w.rest_path(w.AUTH_TOKEN, uid=uid, auth_token=auth_token)
    response = yield Request("DELETE", "rest", path, app.headers(w.H_API_KEY, api_key), route=_AUTH_TOKEN)
    read_data(response)


def login_auth_token(
    app: App, auth_token: str, device_body: bytes | None = None, *, label: str | None = None
) -> Exchange[Session]:
    """The SDK's `login(authToken)`: `PUT /v3.0/me` with the token."""
    headers = app.headers(w.H_AUTH_TOKEN, auth_token)
    body = device_body or _DEVICE_BODY
    response = yield Request("PUT", "client", _ME_PATH, headers, body, _ME_PATH, label)
    return _session(read_data(response), response, auth_token)


def login_auth_key(app: App, uid: str, auth_key: str, device_body: bytes | None = None) -> Exchange[Session]:
    """The SDK's `login(uid, authKey)`: mint a token with the Auth Key, then `PUT /v3.0/me`."""
    path = w.client_path(w.AUTH_TOKENS, uid=uid)
    body = device_body or _DEVICE_BODY
    headers = app.headers(w.H_API_KEY, auth_key)
    response = yield Request("POST", "rest", path, headers, body, _CLIENT_AUTH_TOKENS, "mint")
    token = _object(read_data(response), response, w.F_AUTH_TOKEN)[w.F_AUTH_TOKEN]
    return (yield from login_auth_token(app, token, device_body, label="session"))


def get_me(app: App, auth_token: str) -> Exchange[Session]:
    """`GET /v3.0/me`: what the SDK calls to refresh its JWT."""
    response = yield Request(
        "GET", "client", _ME_PATH, app.headers(w.H_AUTH_TOKEN, auth_token), route=_ME_PATH
    )
    return _session(read_data(response), response, auth_token)


def get_settings(app: App, auth_token: str, *, label: str | None = None) -> Exchange[dict[str, Any]]:
    """`GET /v3.0/settings`: what the SDK asks when the login reply had no `settings`."""
    headers = app.headers(w.H_AUTH_TOKEN, auth_token)
    response = yield Request("GET", "client", _SETTINGS_PATH, headers, None, _SETTINGS_PATH, label)
    data = read_data(response)
    if not isinstance(data, dict):
        raise ProtocolError("settings `data` is not an object", status=response.status)
    return data


def logout(app: App, auth_token: str) -> Exchange[None]:
    """The SDK's `logout()`: `DELETE /v3.0/me`. The token stays valid on the server."""
    headers = app.headers(w.H_AUTH_TOKEN, auth_token)
    response = yield Request("DELETE", "client", _ME_PATH, headers, route=_ME_PATH)
    read_data(response)


def _session(data: Any, response: Response, auth_token: str) -> Session:
    user = _user(data, response)
    token = data.get(w.F_AUTH_TOKEN) or auth_token
    settings = data.get(w.F_SETTINGS)
    jwt = data.get(w.F_JWT)
    return Session(
        user=user,
        auth_token=str(token),
        jwt=jwt if isinstance(jwt, str) else None,
        settings=settings if isinstance(settings, dict) else {},
    )


_decode = json.JSONDecoder().decode
_ME_PATH = w.client_path(w.ME)  # the hottest path of a load run: built once
_SETTINGS_PATH = w.client_path(w.SETTINGS)
# Routes: the paths as templates, what requests are counted under (the client ones have no parameter).
_USERS, _USER = w.route(w.USERS), w.route(w.USER)
_AUTH_TOKENS, _AUTH_TOKEN = w.route(w.AUTH_TOKENS), w.route(w.AUTH_TOKEN)
_CLIENT_AUTH_TOKENS = w.route(w.AUTH_TOKENS, w.CLIENT_VERSION)
_DEVICE_BODY = _json({"platform": "WEB", "appInfo": {"version": "authload", "apiVersion": w.CLIENT_VERSION}})
