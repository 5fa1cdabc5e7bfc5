"""Deleting users: the one delete path of end-of-run cleanup and `authload cleanup`.

A user is deleted permanently (so a rerun can reuse its uid); one already gone
(`ERR_UID_NOT_FOUND`) counts as deleted; a 429 is waited out (`_patience`).
Whatever else fails leaves the user, with the error code, in `left`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..common import ApiError, BackendError
from ..protocol import App, Exchange, delete_user, wire
from ._concurrency import ForEach, Progress
from ._patience import Sleep, patiently

Run = Callable[[Exchange[Any]], Any]


def delete_one(run: Run, app: App, api_key: str, uid: str, sleep: Sleep, progress: Progress) -> str | None:
    """Delete `uid`: None when it is gone, else the error code that left it."""
    try:
        patiently(run, lambda: delete_user(app, api_key, uid), sleep, progress.throttled)
    except ApiError as error:
        return None if error.code == wire.ERR_UID_NOT_FOUND else error.code
    except BackendError as error:
        return error.code
    return None


def delete_all(
    uids: Iterable[str],
    app: App,
    api_key: str,
    run: Run,
    for_each: ForEach,
    concurrency: int,
    sleep: Sleep,
    progress: Progress,
) -> dict[str, str]:
    """Delete every uid, `concurrency` at a time; uid -> error code for each one still there."""
    uids = list(uids)
    left: dict[str, str] = {}

    def one(uid: str) -> None:
        try:
            code = delete_one(run, app, api_key, uid, sleep, progress)
            if code is not None:
                left[uid] = code
        finally:
            progress.advance()

    with progress.phase("cleanup", total=len(uids)):
        for_each(one, uids, concurrency, None)
    return left
