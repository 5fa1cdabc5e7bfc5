"""The user object as JSON, written out for the shape nearly every user has. No I/O.

A user made from `{"uid", "name"}` has five fields, always in one order: `uid`,
`name`, `status`, `role`, `createdAt`. Encoding such a dict through `json` costs
several times what a template with its strings escaped does, and the mock encodes
one per sign-up (the create reply) and one per first login (`/me`). Any other
shape goes through `wire.encode_json`; both give the same bytes (a test checks).
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii as _string
from typing import Any

from ..protocol import wire

_PLAIN = (wire.F_UID, wire.F_NAME, "status", "role", wire.F_CREATED_AT)
_TYPES = (str, str, str, str, int)
_USER = '{{"{}":%s,"{}":%s,"{}":%s,"{}":%s,"{}":%d}}'.format(*_PLAIN)
_ME = '{{"{}":%s,"{}":%s,"{}":"online","{}":%s,"{}":%d,"wsChannel":{{"identity":%s}}'.format(*_PLAIN)


def _plain(fields: dict[str, Any]) -> bool:
    return tuple(fields) == _PLAIN and tuple(map(type, fields.values())) == _TYPES


def user_json(fields: dict[str, Any]) -> bytes:
    """`wire.encode_json(fields)`."""
    if not _plain(fields):
        return wire.encode_json(fields)
    uid, name, status, role, created = fields.values()
    return (_USER % (_string(uid), _string(name), _string(status), _string(role), created)).encode()


def me_prefix(fields: dict[str, Any], identity: str) -> bytes:
    """The user as `/me` shows it (`status` online, `wsChannel`), without its closing brace."""
    if not _plain(fields):
        me = {**fields, "status": "online", "wsChannel": {"identity": identity}}
        return wire.encode_json(me)[:-1]
    uid, name, _, role, created = fields.values()
    return (_ME % (_string(uid), _string(name), _string(role), created, _string(identity))).encode()
