"""Maps (method, path) to a `Route`, for every version segment a route is served under.

Static paths (`/v3.0/me`) are one dict lookup; paths with parameters are one
regex per route and method. A trailing slash is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ._context import NO_PARAMS, Route

_PARAM = re.compile(r"\{(\w+)\}")


def _pattern(route: Route) -> re.Pattern[str]:
    parts = _PARAM.split(route.template)  # literal, name, literal, name, ...
    body = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    prefixes = "|".join(re.escape(f"/{v}") if v else "" for v in route.versions)
    return re.compile(f"(?:{prefixes}){body}")  # used with fullmatch: `$` allows a final newline


class Router:
    """Finds the route of a request; `None` means ERR_API_NOT_FOUND."""

    __slots__ = ("routes", "_static", "_dynamic")

    def __init__(self, routes: tuple[Route, ...]) -> None:
        self.routes = routes
        self._static: dict[tuple[str, str], tuple[Route, Mapping[str, str]]] = {}  # (the answers)
        self._dynamic: dict[str, list[tuple[re.Pattern[str], Route]]] = {}
        for route in routes:
            if _PARAM.search(route.template):
                self._dynamic.setdefault(route.method, []).append((_pattern(route), route))
                continue
            for version in route.versions:
                prefix = f"/{version}" if version else ""
                self._static[(route.method, prefix + route.template)] = (route, NO_PARAMS)

    def match(self, method: str, path: str) -> tuple[Route, Mapping[str, str]] | None:
        """The route and its path parameters."""
        found = self._static.get((method, path))
        if found is not None:
            return found
        if len(path) > 1 and path.endswith("/"):
            return self.match(method, path.rstrip("/") or "/")
        for pattern, route in self._dynamic.get(method, ()):
            params = pattern.fullmatch(path)
            if params is not None:
                return route, params.groupdict()
        return None
