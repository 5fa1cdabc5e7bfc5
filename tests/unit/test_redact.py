"""Secrets are masked in everything a process writes: log messages, their tracebacks, raw streams."""

from __future__ import annotations

import io
import logging

from authload.common._redact import MASK, RedactingFilter, RedactingStream, Redactor

KEY = "SEEDEDkeyNOThex-0123456789"
TOKEN = "cometchat-uid-1_1700000000" + "ab" * 15


def _log_with_traceback() -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(Redactor([KEY])))
    logger = logging.getLogger("authload.test_redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError(f"Invalid header value {KEY!r} with {TOKEN}")
        except ValueError:
            logger.exception("step failed for %s", KEY)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_log_records_and_their_tracebacks_are_masked() -> None:
    text = _log_with_traceback()
    assert "Traceback" in text and "ValueError" in text
    assert KEY not in text and TOKEN not in text
    assert text.count(MASK) == 3  # the message, and the key and token in the traceback


def test_raw_stream_writes_are_masked() -> None:
    """What bypasses logging (gevent prints a dead greenlet's traceback to sys.stderr)."""
    sink = io.StringIO()
    stream = RedactingStream(sink, Redactor([KEY]))
    stream.write(f"Traceback: header {KEY}\n")
    stream.writelines([f"token {TOKEN}\n"])
    stream.flush()
    assert sink.getvalue() == f"Traceback: header {MASK}\ntoken {MASK}\n"
