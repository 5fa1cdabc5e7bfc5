"""What a step's result counts as: ok, an error, a correctness failure, or skipped.

| step has `expect`? | result                         | counted as                            |
|--------------------|--------------------------------|---------------------------------------|
| no                 | success, a request was sent    | ok (a request)                        |
| no                 | success, nothing was sent      | skipped (not a request)               |
| no                 | `CorrectnessError`             | correctness failure (and a request)   |
| no                 | any other failure              | error (a failed request)              |
| yes                | `ApiError` with that code      | ok (a request)                        |
| yes                | success (sent or not)          | correctness failure `EXPECTED_<code>` |
| yes                | another failure                | error (a failed request)              |

A correctness failure is a request that went well on the wire, so Locust and
`total` count it as a success; authload counts it apart, under the step's
`correctness_failures`, and the cycle ends there as for an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..common import ApiError, CorrectnessError
from ._recorder import CORRECTNESS, SKIPPED

OK, ERROR = "ok", "error"


@dataclass(frozen=True, slots=True)
class Outcome:
    """`kind` (ok, error, correctness, skipped), its code, whether a request reached the backend."""

    kind: str
    code: str | None = None
    sent: bool = True


def judge(expect: str | None, failure: Exception | None, code: str | None, sent: bool) -> Outcome:
    """The outcome of one step; `code` is the failure's short code, `sent` whether it sent anything."""
    if expect is not None:
        if isinstance(failure, ApiError) and failure.code == expect:
            return Outcome(OK)
        if failure is None:
            return Outcome(CORRECTNESS, f"EXPECTED_{expect}", sent)
        return Outcome(ERROR, code)
    if isinstance(failure, CorrectnessError):
        return Outcome(CORRECTNESS, code)
    if failure is not None:
        return Outcome(ERROR, code)
    return Outcome(OK) if sent else Outcome(SKIPPED, sent=False)
