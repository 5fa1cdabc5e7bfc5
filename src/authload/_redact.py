"""Keep secrets out of everything authload prints or writes.

Known secret values (the environment's keys) are replaced exactly; anything
shaped like a CometChat auth token (`{uid}_{10 digits}{30 hex}`) or an API key
(40 hex characters) is replaced by pattern, so a token the server echoed into
an error message cannot slip through either.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

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
        return True


def redact_logs(secrets: Iterable[str]) -> None:
    """Mask secrets in every record the root logger's handlers (Locust's among them) emit.

    Calling it again (a web UI run re-reads its environment) replaces the earlier filter.
    """
    redacting = RedactingFilter(Redactor(secrets))
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redacting)
