"""Fault rules written on one command-line word, for `authload mock --fault`.

`KIND[:ROUTE][,key=value...]`, e.g.
`error:me.login,probability=0.1,status=500,code=ERR_OPERATION_FAILED` or
`latency:*,distribution=lognormal,median_ms=20,sigma=0.6`. Values are read as
JSON where they parse (numbers, booleans), else kept as text. The result is a
plain dict for `MockConfig.faults`, which validates it.
"""

from __future__ import annotations

import json
from typing import Any


def parse_fault_spec(text: str) -> dict[str, Any]:
    """One `--fault` word as a fault-rule mapping; raises `ValueError` on a malformed pair."""
    head, *pairs = text.split(",")
    kind, _, route = head.partition(":")
    rule: dict[str, Any] = {"kind": kind.strip()}
    if route:
        rule["route"] = route.strip()
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--fault {text!r}: expected key=value, got {pair!r}")
        rule[key.strip()] = _value(value.strip())
    return rule


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
