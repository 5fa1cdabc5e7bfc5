"""FastDriver at scale: one lookup per host per process, counted reconnects, no cookie jar.

argv: base URL of a mock (with a host name, e.g. http://localhost:PORT). Prints JSON.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Generator

import locust  # noqa: F401  (monkey-patches the interpreter, as in a real run)

from authload.locust._driver import FastDriver
from authload.locust._resolver import resolve_once
from authload.protocol import Request, Response


def get(path: str) -> Generator[Request, Response, int]:
    response = yield Request("GET", "rest", path, {})
    return response.status


url = sys.argv[1]
resolver = resolve_once([url])
drivers = [FastDriver({"rest": url, "client": url}, timeout=5.0) for _ in range(3)]
statuses = [driver.run(get("/_mock/health")) for driver in drivers for _ in range(4)]
kept = [driver.connections_opened for driver in drivers]
# A 414 refusal closes the connection: the next request must open (and count) another one.
refused = drivers[0].run(get("/_mock/health?x=" + "a" * 9000))
again = drivers[0].run(get("/_mock/health"))
print(
    json.dumps(
        {
            "statuses": sorted(set(statuses)),
            "lookups": resolver.lookups,
            "kept": kept,
            "refused": refused,
            "again": again,
            "after_close": drivers[0].connections_opened,
            "cookiejar": drivers[0].session.client.cookiejar is None,
        }
    )
)
