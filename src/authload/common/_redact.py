"""Keep secrets out of everything authload prints or writes.

Known secret values (the environment's keys) are replaced exactly; anything
shaped like a CometChat auth token (`{uid}_{10 digits}{30 hex}`) or an API key
(40 hex characters) is replaced by pattern, so a token the server echoed into
an error message cannot slip through either.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import Any, TextIO

_TOKEN = re.compile(r"[A-Za-z0-9_-]+_\d{10}[0-9a-f]{30}")
_KEY = re.compile(r"\b[0-9a-f]{40}\b")
MASK = "[redacted]"


class Redactor:
    """`redact(text)` returns `text` with secrets masked."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return _KEY.sub(MASK, _TOKEN.sub(MASK, text))


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in every record it passes."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor(record.getMessage())
        record.args = None
        # A traceback is formatted by the handler, after filters: format it now, masked.
        # `Formatter.format` uses a record's `exc_text` when it is already set.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor(record.stack_info)
        return True


class RedactingStream:
    """A text stream that masks secrets in whatever is written to it.

    `sys.stderr` and `sys.stdout` of a Locust process are wrapped in one, for
    what bypasses logging: tracebacks gevent prints for a greenlet that died,
    `print`, Locust's console tables.
    """

    def __init__(self, stream: TextIO, redactor: Redactor) -> None:
        self.stream = stream
        self.redactor = redactor

    def write(self, text: str) -> int:
        self.stream.write(self.redactor(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding, ...
        return getattr(self.stream, name)


def redact_logs(secrets: Iterable[str]) -> None:
    """Mask secrets in everything this process writes: every record the root logger's handlers
    (Locust's among them) emit, tracebacks included, and all that reaches stdout and stderr.

    Calling it again (a web UI run re-reads its environment) replaces the earlier masks.
    """
    redactor = Redactor(secrets)
    redacting = RedactingFilter(redactor)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redacting)
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, RedactingStream):
            stream.redactor = redactor
        elif stream is not None:
            setattr(sys, name, RedactingStream(stream, redactor))
