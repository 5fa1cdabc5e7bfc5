"""Waiting out 429s: the one policy for provisioning, end-of-run cleanup and `authload cleanup`.

Unlike the load, which measures throttling, setup and cleanup should succeed:
a request CometChat answers with `ERR_TOO_MANY_REQUESTS` is tried again after
its `Retry-After` (1 s when it gives none; at most `MAX_WAIT` a wait, with up
to 20% jitter so throttled requests do not come back in step), `ATTEMPTS`
times in all. The caller brings the transport (`run`) and its `sleep`
(gevent's in a Locust process, time's in the CLI), so this knows neither.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from ..common import ApiError
from ..protocol import Exchange, wire

T = TypeVar("T")
ATTEMPTS = 5  # a throttled request is tried at most this often
MAX_WAIT = 30.0  # seconds, per wait, whatever Retry-After says
Run = Callable[[Exchange[T]], T]
Sleep = Callable[[float], None]


def patiently(
    run: Callable[[Exchange[T]], T],
    make_flow: Callable[[], Exchange[T]],
    sleep: Sleep,
    announce: Callable[[float], None] | None = None,
) -> T:
    """Run a fresh flow until it is not throttled (or `ATTEMPTS` are used up); `announce(seconds)`
    hears of each wait as it starts (a silent wait looks like a hang)."""
    attempt = 1
    while True:
        try:
            return run(make_flow())
        except ApiError as error:
            if error.code != wire.ERR_TOO_MANY_REQUESTS or attempt >= ATTEMPTS:
                raise
            wait = min(error.retry_after or 1.0, MAX_WAIT) * random.uniform(1.0, 1.2)
        attempt += 1
        if announce is not None:
            announce(wait)
        sleep(wait)
