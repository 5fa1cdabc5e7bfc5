"""Validation errors (pydantic's) said the one way: `field: reason`, never the value given.

pydantic's own text quotes the input, which may hold a key; these helpers keep the field
and the reason only. They take its `errors()` list, so this module imports no pydantic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

_MESSAGES = {"extra_forbidden": "unknown field", "missing": "required field is missing"}


def reason(item: Mapping[str, Any]) -> str:
    """One error's reason, in our words where pydantic's are technical."""
    location = tuple(item.get("loc", ()))
    if item.get("type") == "extra_forbidden" and location:
        return f"unknown field {str(location[-1])!r}"
    return str(_MESSAGES.get(item.get("type", ""), item.get("msg", ""))).removeprefix("Value error, ")


def one_line(errors: Iterable[Mapping[str, Any]], *, last_only: bool = False) -> str:
    """Every error on one line: `a.b: reason; c: reason` (`last_only`: the field's own name)."""
    found = []
    for item in errors:
        location = [str(part) for part in item.get("loc", ())]
        where = ".".join(location[-1:] if last_only else location)
        found.append(f"{where}: {reason(item)}" if where else reason(item))
    return "; ".join(found)
