"""Provision the identity pool before the load, and clean it up after.

Runs in the master (or only) process, inside Locust's `test_start`, on the
same transport as the load (geventhttpclient via FastHttpSession) with a
gevent pool bounding the requests in flight. This traffic goes through no
Locust event, so it is not counted in the step figures. Idempotent: a user
that already exists is reused, so a rerun after `cleanup: keep` works.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import gevent
from gevent.event import Event
from gevent.pool import Pool

from .. import protocol as p
from .._exceptions import ApiError, BackendError
from ..protocol._steps import Identity
from ..scenario import Identities, Target
from ._driver import FastDriver

log = logging.getLogger("authload.provision")
T = TypeVar("T")
THROTTLE_ATTEMPTS = 5  # a throttled provisioning or cleanup request is tried at most this often
THROTTLE_MAX_WAIT = 30.0  # seconds, per wait, whatever Retry-After says


@dataclass
class Outcome:
    """What provisioning or cleanup did."""

    identities: list[Identity] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


def pool_uids(spec: Identities) -> list[tuple[str, bool]]:
    """(uid, is_sample_user) for every identity the scenario asks for."""
    uids = [(f"{spec.uid_prefix}{index}", False) for index in range(spec.count)]
    if spec.include_sample_users:
        uids += [(uid, True) for uid, _ in p.wire.SAMPLE_USERS]
    return uids


def provision(spec: Identities, target: Target, cancel: Event | None = None) -> Outcome:
    """Create the pool's users (reusing existing ones) and mint tokens if pre-minted.

    Setting `cancel` (Ctrl-C) stops it soon; `outcome.created` then says what to delete.
    """
    driver = FastDriver.for_target(target, spec.concurrency)
    app = p.App(target.app_id)
    outcome = Outcome()

    def one(item: tuple[str, bool]) -> None:
        uid, sample = item
        try:
            if not sample and _create_or_reuse(driver, app, target, uid):
                outcome.created.append(uid)
            token = None
            if spec.tokens == "pre_minted":
                token = _patient(driver, lambda: p.create_auth_token(app, target.rest_api_key, uid)).token
            outcome.identities.append(Identity(uid, token))
        except BackendError as error:
            outcome.errors[error.code] += 1

    _run_bounded(one, pool_uids(spec), spec.concurrency, cancel)
    driver.session.client.close()
    return outcome


def delete_users(uids: Iterable[str], target: Target, concurrency: int = 32) -> Counter[str]:
    """Delete users permanently; a user already gone is not an error."""
    driver = FastDriver.for_target(target, concurrency)
    app = p.App(target.app_id)
    errors: Counter[str] = Counter()

    def one(uid: str) -> None:
        try:
            _patient(driver, lambda: p.delete_user(app, target.rest_api_key, uid))
        except ApiError as error:
            if error.code != p.wire.ERR_UID_NOT_FOUND:
                errors[error.code] += 1
        except BackendError as error:
            errors[error.code] += 1

    _run_bounded(one, list(uids), concurrency)
    driver.session.client.close()
    return errors


def _patient(driver: FastDriver, make_flow: Callable[[], p.Flow[T]]) -> T:
    """Run a setup or cleanup flow, waiting out 429s as CometChat asks (Retry-After), bounded.

    Unlike the load, provisioning and cleanup should succeed rather than measure.
    """
    attempt = 1
    while True:
        try:
            return driver.run(make_flow())
        except ApiError as error:
            if error.code != p.wire.ERR_TOO_MANY_REQUESTS or attempt >= THROTTLE_ATTEMPTS:
                raise
            wait = min(error.retry_after or 1.0, THROTTLE_MAX_WAIT)
        attempt += 1
        gevent.sleep(wait * random.uniform(1.0, 1.2))  # jitter: throttled requests do not return in step


def _create_or_reuse(driver: FastDriver, app: p.App, target: Target, uid: str) -> bool:
    """Whether the user was created now (False: it existed already)."""
    try:
        _patient(driver, lambda: p.create_user(app, target.rest_api_key, uid, f"Load {uid}"))
    except ApiError as error:
        if error.code == p.wire.ERR_UID_ALREADY_EXISTS:
            return False
        raise
    return True


def _run_bounded(
    work: Callable[[T], None], items: Sequence[T], concurrency: int, cancel: Event | None = None
) -> None:
    """`concurrency` calls in flight at most; a set `cancel`, or Ctrl-C, ends it early."""
    cancel = cancel or Event()
    pool = Pool(concurrency)
    try:
        for item in items:
            if cancel.is_set():
                break
            pool.spawn(work, item)  # waits for a free slot
        while not pool.join(timeout=0.2):
            if cancel.is_set():
                break
    except KeyboardInterrupt:
        cancel.set()
    if cancel.is_set():
        pool.kill()
