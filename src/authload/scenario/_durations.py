"""Durations as people write them: `500ms`, `30s`, `2m`, `1h30m`, or bare seconds."""

from __future__ import annotations

import math
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
MAX_DURATION = 7 * 24 * 3600.0  # a week: longer is a typo (or `99999999999999999999999s`)


def parse_duration(value: object) -> float:
    """Seconds, from `"1m30s"`, `"250ms"`, `45` or `"45"`. Raises `ValueError`."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 2m or 500ms")
    if isinstance(value, int | float):
        seconds = float(value) if value < MAX_DURATION * 2 else math.inf  # float(10**400) overflows
    else:
        text = str(value).strip().replace(" ", "")
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            seconds = float(text)
        elif text and _PART.sub("", text) == "":
            seconds = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(text))
        else:
            raise ValueError(f"{value!r} is not a duration such as 30s, 2m or 500ms")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if not seconds <= MAX_DURATION:  # also refuses nan
        raise ValueError("a duration can be at most a week (168h)")
    return seconds


def format_duration(seconds: float) -> str:
    """`90.0` -> `"90s"`, in whole seconds rounded up, as Locust's `--run-time` wants them."""
    return f"{max(1, math.ceil(seconds))}s"
