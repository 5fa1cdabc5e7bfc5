"""CometChat's wire vocabulary: paths, header names, error codes, envelopes.

This is the only place these strings are written. The mock's routes and the
clients' requests both import them, so the two sides cannot drift apart.
Sources and confidence marks: `shared/reference/cometchat-rest-api.md`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

# --- versions and paths --------------------------------------------------------

REST_VERSION: Final = "v3"  # what the REST docs use on the API host
CLIENT_VERSION: Final = "v3.0"  # what the JS SDK uses on both hosts
API_VERSIONS: Final = ("v3", "v3.0")  # the mock serves both

USERS: Final = "/users"
USER: Final = "/users/{uid}"
AUTH_TOKENS: Final = "/users/{uid}/auth_tokens"
AUTH_TOKEN: Final = "/users/{uid}/auth_tokens/{auth_token}"
ME: Final = "/me"
SETTINGS: Final = "/settings"
USER_SESSIONS: Final = "/user_sessions"
ANALYTICS_PING: Final = "/ping"


def rest_path(template: str, version: str = REST_VERSION, **params: str) -> str:
    """`rest_path(USER, uid="a")` -> `/v3/users/a`, with path parameters quoted."""
    from urllib.parse import quote

    quoted = {key: quote(value, safe="") for key, value in params.items()}
    return f"/{version}{template.format(**quoted)}"


def client_path(template: str, **params: str) -> str:
    """A path on the client host, with the SDK's version segment."""
    return rest_path(template, CLIENT_VERSION, **params)


def route(template: str, version: str = REST_VERSION) -> str:
    """The path as a template, what a request is counted under: `route(USER)` -> `/v3/users/{uid}`."""
    return f"/{version}{template}"


# --- headers (case-insensitive on the wire; this is how clients spell them) ----

H_API_KEY: Final = "apiKey"
H_AUTH_TOKEN: Final = "authToken"
H_APP_ID: Final = "appId"
H_SDK: Final = "sdk"  # the SDK's name and version, on every request
H_RETRY_AFTER: Final = "Retry-After"
RATE_LIMIT_HEADERS: Final = (  # both spellings CometChat's pages use
    ("X-Rate-Limit", "X-RateLimit-Limit"),
    ("X-Rate-Limit-Remaining", "X-RateLimit-Remaining"),
    ("X-Rate-Limit-Reset", "X-RateLimit-Reset"),
)
JSON_HEADERS: Final = {"Accept": "application/json", "Content-Type": "application/json"}

# --- identities -------------------------------------------------------------------

UID_PATTERN: Final = re.compile(r"^[a-z0-9_-]{1,100}$")
UID_MAX_LENGTH: Final = 100
SAMPLE_USERS: Final = (
    ("cometchat-uid-1", "Andrew Joseph"),
    ("cometchat-uid-2", "George Alan"),
    ("cometchat-uid-3", "Nancy Grace"),
    ("cometchat-uid-4", "Susan Marie"),
    ("cometchat-uid-5", "John Paul"),
)
SAMPLE_AVATAR: Final = "https://assets.cometchat.io/sampleapp/v2/users/{uid}.webp"
TOKENS_KEPT_PER_USER: Final = 100
SCOPE_FULL_ACCESS: Final = "fullAccess"
SCOPE_AUTH_ONLY: Final = "authOnly"

# --- error codes ------------------------------------------------------------------

ERR_BAD_REQUEST: Final = "ERR_BAD_REQUEST"
ERR_UID_NOT_FOUND: Final = "ERR_UID_NOT_FOUND"
ERR_UID_ALREADY_EXISTS: Final = "ERR_UID_ALREADY_EXISTS"
ERR_ROLE_NOT_FOUND: Final = "ERR_ROLE_NOT_FOUND"
ERR_AUTH_TOKEN_NOT_FOUND: Final = "ERR_AUTH_TOKEN_NOT_FOUND"
ERR_AUTHTOKEN_NOT_ACCESSIBLE: Final = "ERR_AUTHTOKEN_NOT_ACCESSIBLE"
ERR_TOO_MANY_REQUESTS: Final = "ERR_TOO_MANY_REQUESTS"
ERR_API_NOT_FOUND: Final = "ERR_API_NOT_FOUND"
ERR_OPERATION_FAILED: Final = "ERR_OPERATION_FAILED"
# Not a documented CometChat code: what the mock's capacity model (a full queue) answers, with 503.
ERR_SERVICE_UNAVAILABLE: Final = "ERR_SERVICE_UNAVAILABLE"
AUTH_ERR_EMPTY_APIKEY: Final = "AUTH_ERR_EMPTY_APIKEY"
AUTH_ERR_APIKEY_NOT_FOUND: Final = "AUTH_ERR_APIKEY_NOT_FOUND"
AUTH_ERR_NO_ACCESS: Final = "AUTH_ERR_NO_ACCESS"
AUTH_ERR_EMPTY_APPID: Final = "AUTH_ERR_EMPTY_APPID"
AUTH_ERR_INVALID_APPID: Final = "AUTH_ERR_INVALID_APPID"
AUTH_ERR_EMPTY_AUTH_TOKEN: Final = "AUTH_ERR_EMPTY_AUTH_TOKEN"
AUTH_ERR_AUTH_TOKEN_NOT_FOUND: Final = "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"

# The HTTP status of each code: the one code -> status table. Where the reference is unsure
# ([I], [I-low], conflict) it lists every status a backend may answer, the preferred one
# first; that first one is the default, and the mock's `statuses` setting can pick another.
ERROR_STATUSES: Final[dict[str, tuple[int, ...]]] = {
    ERR_BAD_REQUEST: (400,),
    ERR_UID_NOT_FOUND: (404,),
    ERR_UID_ALREADY_EXISTS: (400, 409),
    ERR_ROLE_NOT_FOUND: (404, 400),
    ERR_AUTH_TOKEN_NOT_FOUND: (404, 400),
    ERR_AUTHTOKEN_NOT_ACCESSIBLE: (403, 400, 404),
    ERR_TOO_MANY_REQUESTS: (429,),
    ERR_API_NOT_FOUND: (404,),
    ERR_OPERATION_FAILED: (500,),
    ERR_SERVICE_UNAVAILABLE: (503,),
    AUTH_ERR_EMPTY_APIKEY: (401, 400),
    AUTH_ERR_APIKEY_NOT_FOUND: (401, 404),
    AUTH_ERR_NO_ACCESS: (403,),
    AUTH_ERR_EMPTY_APPID: (401, 400),
    AUTH_ERR_INVALID_APPID: (401, 404),
    AUTH_ERR_EMPTY_AUTH_TOKEN: (401, 400),
    AUTH_ERR_AUTH_TOKEN_NOT_FOUND: (401, 404),
}
UNSURE_STATUSES: Final = {code: options for code, options in ERROR_STATUSES.items() if len(options) > 1}

# Messages the reference marks as captured from the real service, used verbatim.
ERROR_MESSAGES: Final = {
    ERR_BAD_REQUEST: "Failed to validate the data sent with the request.",
    ERR_UID_NOT_FOUND: (
        "The UID {uid} does not exist, please make sure you have created a user with UID {uid}."
    ),
    ERR_UID_ALREADY_EXISTS: (
        "The uid {uid} already exists. Please use another uid or try after permanently deleting the user."
    ),
    AUTH_ERR_APIKEY_NOT_FOUND: "The key {apikey} does not exist. Please use correct apiKey.",
    AUTH_ERR_NO_ACCESS: (
        "The key {apikey} cannot be used to perform this operation. Please use API key with a "
        "correct scope to perform the operation."
    ),
    AUTH_ERR_AUTH_TOKEN_NOT_FOUND: (
        "The auth token {authToken} does not exist. Please make sure you are logged in and have "
        "a valid auth token or try login again."
    ),
    ERR_TOO_MANY_REQUESTS: (
        "Too many requests. You have exceeded the rate limit. Please retry after the specified time."
    ),
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """CometChat's error envelope."""
    error: dict[str, Any] = {
        "message": message,
        "devMessage": message,
        "source": "chat-api",
        "code": code,
    }
    if details:
        error["details"] = details
    return {"error": error}


def data_body(data: Any, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """CometChat's success envelope."""
    return {"data": data, "meta": meta} if meta is not None else {"data": data}


_COMPACT = json.JSONEncoder(separators=(",", ":"))  # `json.dumps` with options builds one per call
# `JSONEncoder.encode` builds its C encoder on every call; the mock encodes a reply per request,
# so one is built here (the same options; no check for circular references: values are trees).
_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)  # (CPython's C accelerator)
_C_ENCODER = (
    _MAKE_ENCODER(
        None, _COMPACT.default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True
    )
    if _MAKE_ENCODER is not None
    else None
)


def encode_json(value: Any) -> bytes:
    """Compact JSON, as both sides send it (ASCII, `json.dumps` with `separators=(",", ":")`)."""
    if _C_ENCODER is None:  # (no C accelerator: PyPy)
        return _COMPACT.encode(value).encode()
    return "".join(_C_ENCODER(value, 0)).encode()


def data_envelope() -> tuple[bytes, bytes]:
    """The success envelope's encoded bytes before and after its data, for replies assembled
    from cached parts: `head + encode_json(data) + tail == encode_json(data_body(data))`."""
    head, _, tail = encode_json(data_body(None)).partition(b"null")
    return head, tail


# --- added for the mock backend (constants only) ----------------------------------

ANALYTICS_VERSION: Final = "v1"  # settings.ANALYTICS_VERSION; the ping is /{version}/ping
F_AUTH_TOKEN: Final = "authToken"  # the JSON field (create-token reply, /me reply)
# JSON field names of requests and replies (both sides import them).
F_UID: Final = "uid"
F_NAME: Final = "name"
F_CREATED_AT: Final = "createdAt"
F_JWT: Final = "jwt"
F_SETTINGS: Final = "settings"
F_FORCE: Final = "force"
F_PERMANENT: Final = "permanent"
F_WITH_AUTH_TOKEN: Final = "withAuthToken"
F_APP_ID: Final = "appId"  # in the WebSocket frames
# `{appId}.api-{region}.cometchat.io` (REST) and `{appId}.apiclient-{region}...` (client).
HOST_PATTERN: Final = re.compile(r"^(?P<app_id>[^.]+)\.(?P<kind>api|apiclient)-(?P<region>[a-z]+)\.")

# Messages the reference gives no capture for: our wording, in the service's style.
INFERRED_ERROR_MESSAGES: Final = {
    AUTH_ERR_EMPTY_APIKEY: "The apiKey header is missing or empty. Please pass a valid apiKey.",
    AUTH_ERR_EMPTY_APPID: "The appId is missing. Please pass a valid appId.",
    AUTH_ERR_INVALID_APPID: "The appId {appId} is invalid or it does not exist in the region {region}.",
    AUTH_ERR_EMPTY_AUTH_TOKEN: "The authToken header is missing or empty. Please login again.",
    ERR_AUTH_TOKEN_NOT_FOUND: "The auth token {authToken} does not exist for the UID {uid}.",
    ERR_AUTHTOKEN_NOT_ACCESSIBLE: "The auth token {authToken} is mapped with another user.",
    ERR_ROLE_NOT_FOUND: "The role {role} does not exist.",
    ERR_API_NOT_FOUND: "The requested API {method} {path} does not exist.",
    ERR_OPERATION_FAILED: "The operation failed. Please try again later.",
    ERR_SERVICE_UNAVAILABLE: "The service is busy. Please try again later.",
}

# --- the mock's sample app server (authload's own API, not CometChat's) ------------------
# What an app's own server does in production: its client asks it for a CometChat token
# (`POST /app/login {"uid"}` with the app's session); it creates the user if missing and mints
# the token over CometChat's REST API, and answers `{"cometchat": {"uid", "authToken"}}`.
APP_PREFIX: Final = "/app"
APP_LOGIN: Final = "/login"
F_COMETCHAT: Final = "cometchat"
F_CREATED: Final = "created"
H_AUTHORIZATION: Final = "Authorization"
BEARER: Final = "Bearer "
APP_UNAUTHORIZED: Final = "APP_UNAUTHORIZED"  # the app's own error code: no or a wrong session

# Real-time (WebSocket) frames, as the JS SDK sends and expects them.
WS_TYPE_AUTH: Final = "auth"
F_WS_AUTH: Final = "auth"  # the JWT's key in the auth frame's body
WS_ACTION_PING: Final = "ping"
WS_ACTION_PONG: Final = "pong"
WS_AUTH_OK: Final = {"code": "200", "status": "OK"}
WS_AUTH_REJECTED_CODE: Final = "401"  # the mock's reply code for a JWT it does not know
WS_PING_EVERY_S: Final = 15.0  # the SDK's keep-alive period; it wants a pong within 3 s
WS_CLOSE_LOGOUT: Final = (1000, "User logged out")  # what `logout()` closes the socket with

# The `settings` keys the SDK reads to find its WebSocket (reference: sdk-wire §1, §5, §8):
# the first host key present wins; the port is CHAT_WSS_PORT.
S_CHAT_HOSTS: Final = ("CHAT_HOST_OVERRIDE", "CHAT_HOST_APP_SPECIFIC", "CHAT_HOST")
S_CHAT_WSS_PORT: Final = "CHAT_WSS_PORT"
