"""What pool work needs from its caller: a bounded concurrent for-each, and a progress reporter.

A Locust process runs pool work on greenlets (`authload.locust.run._setup`), the
CLI on threads (`authload.commands._cleanup`); neither is imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Cancel(Protocol):
    """A stop request (gevent's or threading's `Event`)."""

    def is_set(self) -> bool: ...


# for_each(work, items, concurrency, cancel): `work(item)` for each item, `concurrency` at once at
# most, stopping early once `cancel` is set; returns when all started work has ended.
ForEach = Callable[[Callable[[Any], None], Iterable[Any], int, Cancel | None], None]


class Progress(Protocol):
    """How pool work says how far it got (see `authload.report.progress`)."""

    def phase(self, label: str, *, total: int | None = None) -> AbstractContextManager[Any]: ...

    def advance(self) -> None: ...

    def failed(self) -> None: ...

    def throttled(self, seconds: float) -> None: ...


class Silent:
    """Progress nobody is shown."""

    @contextmanager
    def phase(self, label: str, *, total: int | None = None) -> Iterator[None]:
        yield

    def advance(self) -> None:
        pass

    def failed(self) -> None:
        pass

    def throttled(self, seconds: float) -> None:
        pass


def on_threads(
    work: Callable[[T], None], items: Iterable[T], concurrency: int, cancel: Cancel | None
) -> None:
    """`ForEach` on a thread pool (the CLI's)."""
    with ThreadPoolExecutor(concurrency) as pool:
        for _ in pool.map(lambda item: None if cancel is not None and cancel.is_set() else work(item), items):
            pass
