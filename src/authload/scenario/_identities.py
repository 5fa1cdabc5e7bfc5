"""`identities: {csv: users.csv}`: a backend's existing users, read and checked before a run.

The file has a header row naming `uid` and, optionally, `auth_token`. Rows
with a token log in with it; rows without one get a token minted for the run
(REST API key) when the scenario pre-mints tokens. The users are not the run's:
they are never created or deleted. Every problem is a `ConfigError` naming
`file:line`, all of them in one message: empty or bad uids, duplicates
(CometChat uids are case-insensitive), unknown columns, a row of the wrong length.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..common._errors import ConfigError
from ..protocol import wire

COLUMNS = ("uid", "auth_token")
MAX_PROBLEMS = 20  # listed in one error; the rest are counted


@dataclass(frozen=True, slots=True)
class CsvIdentity:
    """One row: a uid (lower-case, as CometChat stores it) and its token if the file has one."""

    uid: str
    auth_token: str | None


def csv_path(name: str, scenario_file: str | Path) -> Path:
    """Where `identities.csv` points: relative to the scenario file's folder unless absolute."""
    path = Path(name)
    return path if path.is_absolute() else Path(scenario_file).resolve().parent / path


def read_identities(path: Path) -> list[CsvIdentity]:
    """Every row of the file, checked; one `ConfigError` listing the problems (file:line each)."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the identities file: {type(error).__name__}", source=source) from None
    rows = csv.reader(text.splitlines())
    header = [name.strip().lower() for name in next(rows, [])]
    if "uid" not in header:
        raise ConfigError("the first row must name the columns: uid[,auth_token]", source=source, line=1)
    unknown = [name for name in header if name not in COLUMNS]
    if unknown or len(set(header)) != len(header):
        what = f"unknown column {unknown[0]!r}" if unknown else "a column is named twice"
        raise ConfigError(f"{what}; columns are uid and auth_token", source=source, line=1)
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    found: list[CsvIdentity] = []
    for line, row in enumerate(rows, start=2):
        if not row or row == [""]:
            continue  # a blank line
        problem = _row_problem(row, header, seen, line)
        if problem:
            problems.append((line, problem))
            continue
        fields = dict(zip(header, (value.strip() for value in row), strict=True))
        uid = fields["uid"].lower()
        seen[uid] = line
        found.append(CsvIdentity(uid, fields.get("auth_token") or None))
    if problems:
        raise _error(source, problems)
    if not found:
        raise ConfigError("the identities file has no rows", source=source, line=1)
    return found


def _row_problem(row: list[str], header: list[str], seen: dict[str, int], line: int) -> str | None:
    if len(row) != len(header):
        return f"expected {len(header)} values ({','.join(header)}), found {len(row)}"
    values = dict(zip(header, (value.strip() for value in row), strict=True))
    uid = values["uid"].lower()
    if not uid:
        return "the uid is empty"
    if len(uid) > wire.UID_MAX_LENGTH or not wire.UID_PATTERN.fullmatch(uid):
        # Never quote the value: a token in the wrong column would be printed.
        return f"bad uid: at most {wire.UID_MAX_LENGTH} letters, numbers, dashes and underscores"
    if uid in seen:
        return f"duplicate uid (first on line {seen[uid]}; uids are case-insensitive)"
    token = values.get("auth_token", "")
    if token and not token.isprintable() or " " in token:
        return "the auth_token has spaces or control characters"
    return None


def _error(source: str, problems: list[tuple[int, str]]) -> ConfigError:
    first_line, first = problems[0]
    lines = [f"{source}:{line}: {message}" for line, message in problems[1:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        lines.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
    message = "\n".join([first, *lines])
    return ConfigError(message, source=source, line=first_line)


__all__ = ["CsvIdentity", "csv_path", "read_identities"]
