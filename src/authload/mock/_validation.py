"""Request-body validation with Laravel-style messages, as CometChat's `details` shows them.

`{"details": {"uid": ["The uid field is required."]}}` under `ERR_BAD_REQUEST`.
The wording beyond "field is required" is inferred from the backend's Laravel style.
"""

from __future__ import annotations

import json
from typing import Any

from ..protocol import wire
from ._context import Call

Errors = dict[str, list[str]]

_URL_MAX = 3000
_TEXT_MAX = 100
_METADATA_MAX = 5 * 1024
_TAGS_MAX = 25
UNSETTABLE = ("avatar", "link", "metadata")
# The string fields of a user, with their length limits, in the order errors are reported.
_STRINGS = (
    (wire.F_NAME, _TEXT_MAX),
    ("avatar", _URL_MAX),
    ("link", _URL_MAX),
    ("role", _URL_MAX),
    ("statusMessage", _URL_MAX),
)


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _string(errors: Errors, body: dict[str, Any], field: str, limit: int) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        _add(errors, field, f"The {field} must be a string.")
        return None
    if len(value) > limit:
        _add(errors, field, f"The {field} may not be greater than {limit} characters.")
    return value


def _uid(errors: Errors, body: dict[str, Any]) -> str:
    raw = body.get(wire.F_UID)
    if raw in (None, ""):
        _add(errors, wire.F_UID, "The uid field is required.")
        return ""
    if not isinstance(raw, str):
        _add(errors, wire.F_UID, "The uid must be a string.")
        return ""
    uid = raw.lower()  # CometChat lowercases uids on create
    if len(uid) > wire.UID_MAX_LENGTH:
        _add(errors, wire.F_UID, f"The uid may not be greater than {wire.UID_MAX_LENGTH} characters.")
    elif not wire.UID_PATTERN.fullmatch(uid):  # the pattern's `$` would accept a final newline
        _add(errors, wire.F_UID, "The uid may only contain letters, numbers, dashes and underscores.")
    return uid


def _extras(errors: Errors, body: dict[str, Any], fields: dict[str, Any]) -> None:
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            _add(errors, "metadata", "The metadata must be an object.")
        elif len(json.dumps(metadata)) > _METADATA_MAX:
            _add(errors, "metadata", "The metadata may not be greater than 5 kilobytes.")
        else:
            fields["metadata"] = metadata
    tags = body.get("tags")
    if tags is not None:
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            _add(errors, "tags", "The tags must be an array of strings.")
        elif len(tags) > _TAGS_MAX or any(len(tag) > _TEXT_MAX for tag in tags):
            _add(errors, "tags", f"The tags may have at most {_TAGS_MAX} items of {_TEXT_MAX} characters.")
        else:
            fields["tags"] = tags


def user_fields(call: Call, body: dict[str, Any], *, creating: bool) -> tuple[str, dict[str, Any]]:
    """`(uid, fields)` from a create or update body; raises ERR_BAD_REQUEST / ERR_ROLE_NOT_FOUND."""
    errors: Errors = {}
    uid = _uid(errors, body) if creating else ""
    fields: dict[str, Any] = {}
    if creating and body.get(wire.F_NAME) in (None, ""):
        _add(errors, wire.F_NAME, "The name field is required.")
    for name, limit in _STRINGS:
        if name in body:  # (most bodies hold a few of them: the others cost nothing)
            value = _string(errors, body, name, limit)
            if value is not None:
                fields[name] = value
    if "metadata" in body or "tags" in body:
        _extras(errors, body, fields)
    if errors:
        raise call.state.error(wire.ERR_BAD_REQUEST, errors)
    role = fields.get("role")
    if role is not None and role not in call.state.config.roles:
        raise call.state.error(wire.ERR_ROLE_NOT_FOUND, role=role)
    return uid, fields


def boolean(value: Any) -> bool:
    """JSON booleans, and the strings/numbers people send for them (`"false"` is false)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def page_args(call: Call, query: dict[str, str]) -> tuple[int, int]:
    """`(per_page, page)` from `perPage` (default 100, at most 1000) and `page` (default 1)."""
    errors: Errors = {}
    values = {}
    for name, default, low, high in (("perPage", 100, 1, 1000), ("page", 1, 1, 10**9)):
        raw = query.get(name, "")
        try:
            value = int(raw) if raw else default
        except ValueError:
            _add(errors, name, f"The {name} must be an integer.")
            continue
        if not low <= value <= high:
            _add(errors, name, f"The {name} must be between {low} and {high}.")
        values[name] = value
    if errors:
        raise call.state.error(wire.ERR_BAD_REQUEST, errors)
    return values["perPage"], values["page"]


def paginate(items: list[Any], per_page: int, page: int) -> tuple[list[Any], dict[str, Any]]:
    """One page and its `meta.pagination`."""
    total = len(items)
    chunk = items[(page - 1) * per_page : page * per_page]
    pagination = {
        "total": total,
        "count": len(chunk),
        "per_page": per_page,
        "current_page": page,
        "total_pages": max(1, -(-total // per_page)),
    }
    return chunk, {"pagination": pagination}
