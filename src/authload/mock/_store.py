"""The mock's state: users, auth tokens, open sessions, JWTs. Plain data, no I/O.

Rules the store keeps (from `shared/reference/cometchat-rest-api.md`):

| event                       | effect                                                        |
|-----------------------------|---------------------------------------------------------------|
| create user                 | uid taken for good, until a permanent delete                  |
| soft delete / deactivate    | user inactive: not found on get, its tokens stop working      |
| reactivate                  | user active again, its kept tokens work again                 |
| permanent delete            | user and tokens gone, uid free                                |
| mint token                  | newest kept; beyond `tokens_kept_per_user` the oldest is gone |
| delete / flush tokens       | gone at once                                                  |

Memory grows with users and tokens only (both bounded by what a run creates);
nothing here records requests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..protocol import wire
from ._config import MockConfig

SAMPLE_CREATED_AT = 1629869270  # the createdAt of the reference's sample-user example


@dataclass(slots=True)
class TokenRecord:
    """One auth token: its owner, creation time, and what the client said about itself."""

    uid: str
    created_at: int
    jwt: str
    device: dict[str, Any] = field(default_factory=dict)

    def public(self, token: str) -> dict[str, Any]:
        """The REST shape `{uid, authToken, createdAt}`."""
        return {wire.F_UID: self.uid, wire.F_AUTH_TOKEN: token, wire.F_CREATED_AT: self.created_at}


@dataclass(slots=True)
class UserRecord:
    """One user. `fields` is the user object as the API returns it."""

    uid: str
    fields: dict[str, Any]
    active: bool = True
    tokens: OrderedDict[str, None] = field(default_factory=OrderedDict)  # oldest first
    me_prefix: bytes | None = None  # cached JSON of the `/me` user, without its closing brace


class Store:
    """Users and tokens of the one app the mock serves."""

    __slots__ = ("_config", "_clock", "_sign", "_jwt_claims", "users", "tokens", "sessions")

    def __init__(self, config: MockConfig, clock: Callable[[], float]) -> None:
        self._config = config
        self._clock = clock
        self._sign = HmacSha256(secrets.token_bytes(32))  # the JWTs' key
        app = wire.encode_json(config.app_id).decode()
        self._jwt_claims = f'{{"{wire.F_APP_ID}":{app},"{wire.F_UID}":"%s","tok":"%s"}}'
        self.users: dict[str, UserRecord] = {}
        self.tokens: dict[str, TokenRecord] = {}
        self.sessions: dict[str, int] = {}  # token -> open /me sessions
        self.reset()

    def now(self) -> int:
        """Unix seconds, from the injected clock."""
        return int(self._clock())

    def reset(self) -> None:
        """Forget everything, then seed the sample users if configured."""
        self.users.clear()
        self.tokens.clear()
        self.sessions.clear()
        if self._config.seed_sample_users:
            for uid, name in wire.SAMPLE_USERS:
                fields: dict[str, Any] = {wire.F_UID: uid, wire.F_NAME: name, "status": "offline"}
                fields |= {"avatar": wire.SAMPLE_AVATAR.format(uid=uid), "role": "default"}
                fields[wire.F_CREATED_AT] = SAMPLE_CREATED_AT
                self.users[uid] = UserRecord(uid, fields)

    # --- users -------------------------------------------------------------------

    def active_user(self, uid: str) -> UserRecord | None:
        """The user if it exists and is active."""
        user = self.users.get(uid)
        return user if user is not None and user.active else None

    def create_user(self, uid: str, fields: dict[str, Any]) -> UserRecord:
        """Add a user; the caller checked that `uid` is free and `fields` are valid."""
        record = {wire.F_UID: uid, **fields, "status": "offline", "role": fields.get("role") or "default"}
        record[wire.F_CREATED_AT] = self.now()
        user = UserRecord(uid, record)
        self.users[uid] = user
        return user

    def update_user(self, user: UserRecord, changes: dict[str, Any], unset: Iterable[str]) -> None:
        """Apply an update; `updatedAt` moves."""
        user.fields.update(changes)
        for name in unset:
            user.fields.pop(name, None)
        user.fields["updatedAt"] = self.now()
        user.me_prefix = None

    def delete_user(self, user: UserRecord, *, permanent: bool) -> None:
        """Soft delete deactivates (uid stays taken); permanent delete frees the uid."""
        if not permanent:
            self.set_active(user, active=False)
            return
        self.flush_tokens(user)
        del self.users[user.uid]

    def set_active(self, user: UserRecord, *, active: bool) -> None:
        """Deactivate or reactivate; `deactivatedAt` tells which."""
        user.active = active
        if active:
            user.fields.pop("deactivatedAt", None)
        else:
            user.fields["deactivatedAt"] = self.now()
        user.me_prefix = None

    # --- tokens ------------------------------------------------------------------

    def mint_token(self, user: UserRecord, device: dict[str, Any], *, reuse: bool) -> str:
        """A new token `{uid}_{unixSeconds}{30 hex}`, or the newest one when `reuse`."""
        if reuse and user.tokens:
            return next(reversed(user.tokens))
        created_at = self.now()
        token = f"{user.uid}_{created_at}{_ENTROPY.hex(15)}"
        self.tokens[token] = TokenRecord(user.uid, created_at, self._jwt(user.uid, token), device)
        user.tokens[token] = None
        while len(user.tokens) > self._config.tokens_kept_per_user:
            old, _ = user.tokens.popitem(last=False)
            self._forget(old)
        return token

    def token_user(self, token: str) -> tuple[TokenRecord, UserRecord] | None:
        """The token and its user, if the token is valid and the user active."""
        record = self.tokens.get(token)
        if record is None:
            return None
        user = self.users.get(record.uid)
        if user is None or not user.active:
            return None
        return record, user

    def delete_token(self, token: str) -> None:
        """Invalidate one token at once."""
        record = self.tokens.get(token)
        if record is not None:
            user = self.users.get(record.uid)
            if user is not None:
                user.tokens.pop(token, None)
            self._forget(token)

    def flush_tokens(self, user: UserRecord) -> None:
        """Invalidate all of a user's tokens."""
        for token in user.tokens:
            self._forget(token)
        user.tokens.clear()

    def _forget(self, token: str) -> None:
        self.tokens.pop(token, None)
        self.sessions.pop(token, None)

    # --- sessions and JWTs -----------------------------------------------------------

    def open_session(self, token: str) -> None:
        """A `PUT /me` login on this token."""
        self.sessions[token] = self.sessions.get(token, 0) + 1

    def close_session(self, token: str) -> None:
        """A `DELETE /me`: ends one session, and the token too if so configured."""
        count = self.sessions.get(token, 0)
        if count > 1:
            self.sessions[token] = count - 1
        else:
            self.sessions.pop(token, None)
        if self._config.revoke_token_on_logout:
            self.delete_token(token)

    def _jwt(self, uid: str, token: str) -> str:
        # {"appId": ..., "uid": uid, "tok": token}: uids and tokens need no JSON escaping
        signed = _JWT_HEADER + b"." + _b64((self._jwt_claims % (uid, token)).encode())
        return (signed + b"." + _b64(self._sign(signed))).decode()

    def jwt_user(self, jwt: str) -> tuple[str, UserRecord] | None:
        """The token and user a JWT was issued for, if it is genuine and still valid."""
        signed, _, signature = jwt.encode().rpartition(b".")
        expected = _b64(self._sign(signed))
        if not signed or not hmac.compare_digest(signature, expected):
            return None
        payload = json.loads(base64.urlsafe_b64decode(signed.split(b".")[1] + b"=="))
        token = str(payload["tok"])
        found = self.token_user(token)
        return (token, found[1]) if found is not None else None

    def counts(self) -> dict[str, int]:
        """Sizes, for `GET /_mock/stats`."""
        active = sum(1 for user in self.users.values() if user.active)
        return {
            "users": len(self.users),
            "active_users": active,
            "tokens": len(self.tokens),
            "open_sessions": sum(self.sessions.values()),
        }


class _Entropy:
    """Random bytes from the OS's CSPRNG, read 4 KiB at a time: a token costs no system call
    of its own (one `os.urandom` served ~270 tokens). A forked child starts a pool of its own."""

    _READ = 4096

    def __init__(self) -> None:
        self._pool, self._at = b"", 0
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._pool, self._at = b"", 0

    def hex(self, nbytes: int) -> str:
        """`nbytes` random bytes as hex digits (like `secrets.token_hex`)."""
        at = self._at
        if at + nbytes > len(self._pool):
            self._pool, at = os.urandom(self._READ), 0
        self._at = at + nbytes
        return self._pool[at : at + nbytes].hex()


_ENTROPY = _Entropy()


class HmacSha256:
    """HMAC-SHA256 under one key (RFC 2104) with the key's two padded blocks hashed once, so
    a signature costs two hash copies, not `hmac.digest`'s key setup (a JWT per token minted)."""

    _BLOCK = 64
    _INNER = bytes(byte ^ 0x36 for byte in range(256))
    _OUTER = bytes(byte ^ 0x5C for byte in range(256))

    def __init__(self, key: bytes) -> None:
        if len(key) > self._BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(self._BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(self._INNER))
        self._outer = hashlib.sha256(key.translate(self._OUTER))

    def __call__(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(raw: bytes) -> bytes:
    """base64url without padding, as JWTs write it."""
    return binascii.b2a_base64(raw, newline=False).translate(_URLSAFE).rstrip(b"=")


_JWT_HEADER = _b64(b'{"alg":"HS256","typ":"JWT"}')
