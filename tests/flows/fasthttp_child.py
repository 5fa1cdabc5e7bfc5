"""Runs every check over Locust's FastHttpSession driver; prints {check: result} as JSON.

argv: base URL of a mock, request timeout (s), folder of `checks.py`, URL of a closed port.
"""

from __future__ import annotations

import json
import sys

import locust  # noqa: F401  (monkey-patches the interpreter, as in a real run)

sys.path.insert(0, sys.argv[3])
from checks import CHECKS, unreachable_code

from authload.locust.load._driver import FastDriver


def driver_for(base_url: str) -> FastDriver:
    urls = {"rest": base_url, "client": base_url, "app": base_url + "/app"}
    return FastDriver(urls, timeout=float(sys.argv[2]))


results = {name: check(driver_for(sys.argv[1]).run, "fasthttp") for name, check in CHECKS.items()}
results["unreachable"] = unreachable_code(driver_for(sys.argv[4]).run)
print(json.dumps(results))
