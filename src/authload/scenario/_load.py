"""The `load` section: the closed model (users), the open model (arrivals), and stages.

Closed model: `users` virtual users loop through cycles; a slower backend gets
fewer cycles. Open model: `arrival_rate` cycles start per second whatever the
latency, served by at most `max_users` virtual users; an arrival that finds
none free within `max_wait` (default 0: at once) is dropped and counted.
`stages` ramp either one: `{duration: 30s, arrival_rate: 10/s -> 500/s}` or
`{duration: 30s, users: 0 -> 100}`; a stage without `->` holds its value.

The arrival math is here, with no I/O: a stage's rate moves linearly from its
start to its end value, so the arrivals up to time t are the integral of the
rate, and arrival k falls where that integral reaches k (plus a phase, so that
the processes sharing a rate interleave their arrivals instead of bunching).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ._durations import MAX_DURATION, parse_duration

INTENDED = "intended"  # threshold targets `intended.NAME`: latency from the intended start
MAX_RATE = 100_000.0  # arrivals per second; more is a typo (one process does a few thousand)
_RATE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|m|min|h))?")
_PER = {None: 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_RATE_TEXT = r"^\s*\d+(\.\d+)?\s*(/\s*(s|sec|m|min|h))?\s*$"
_RAMP_TEXT = r"^\s*\d+(\.\d+)?\s*(/\s*(s|sec|m|min|h))?\s*(->\s*\d+(\.\d+)?\s*(/\s*(s|sec|m|min|h))?\s*)?$"
_DURATION_SCHEMA = {
    "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^\s*[0-9.hms ]+$"}],
    "description": "e.g. 500ms, 30s, 2m, 1h30m",
}


def parse_rate(value: object) -> float:
    """Arrivals per second from `200/s`, `600/m`, `50/h` or a bare number (per second)."""
    if isinstance(value, bool):
        raise ValueError("expected a rate such as 200/s, 600/m or 50/h")
    text = str(value).strip()
    if "->" in text:
        raise ValueError(
            "a ramp (START -> END) goes in stages: [{duration: 30s, arrival_rate: 10/s -> 500/s}]"
        )
    match = _RATE.fullmatch(text)
    if match is None:
        raise ValueError(f"{value!r} is not a rate such as 200/s, 600/m or 50/h")
    rate = float(match.group(1)) / _PER[match.group(2)]
    if not rate <= MAX_RATE:
        raise ValueError(f"a rate can be at most {MAX_RATE:.0f}/s")
    return rate


def _ramp(parse: Any) -> Any:
    """`A -> B` (a linear ramp) or `A` (held), as a (start, end) pair; pairs pass (workers)."""

    def parse_ramp(value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) == 2:  # the dumped form
            return (parse(value[0]), parse(value[1]))
        start, arrow, end = str(value).partition("->")
        if arrow and not end.strip():
            raise ValueError("a ramp reads START -> END, e.g. 10/s -> 500/s")
        first = parse(start if arrow else value)
        return (first, parse(end) if arrow else first)

    return parse_ramp


def _count(value: Any) -> int:
    if isinstance(value, bool) or not re.fullmatch(r"\s*\d+\s*", str(value)):
        raise ValueError(f"{value!r} is not a number of users")
    return int(value)


Rate = Annotated[
    float, BeforeValidator(parse_rate), WithJsonSchema({"type": "string", "pattern": _RATE_TEXT})
]
RateRamp = Annotated[
    tuple[float, float],
    BeforeValidator(_ramp(parse_rate)),
    WithJsonSchema({"type": "string", "pattern": _RAMP_TEXT, "examples": ["10/s -> 500/s", "500/s"]}),
]
UsersRamp = Annotated[
    tuple[int, int],
    BeforeValidator(_ramp(_count)),
    WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string"}], "examples": ["0 -> 100"]}
    ),
]
Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(_DURATION_SCHEMA)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Stage(_Strict):
    """A stretch of the run: arrivals per second, or users, held or ramped linearly."""

    duration: Duration = Field(gt=0)
    arrival_rate: RateRamp | None = None
    users: UsersRamp | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Stage:
        if (self.arrival_rate is None) == (self.users is None):
            raise ValueError("a stage sets arrival_rate (open model) or users (closed model), one of them")
        if self.users is not None and max(self.users) > 1_000_000:
            raise ValueError("a stage can have at most 1000000 users")
        return self

    def label(self) -> str:
        """`10/s -> 500/s`, `100 users`: how the summary names the stage."""
        if self.arrival_rate is not None:
            low, high = self.arrival_rate
            return f"{low:g}/s" if low == high else f"{low:g}/s -> {high:g}/s"
        assert self.users is not None
        low_u, high_u = self.users
        return f"{low_u} users" if low_u == high_u else f"{low_u} -> {high_u} users"


class Load(_Strict):
    """How much load: users (closed model) or arrivals (open model), held or in stages."""

    users: int = Field(10, ge=1, le=1_000_000, description="closed model: virtual users looping")
    spawn_rate: float = Field(10.0, gt=0, description="closed model: users started per second")
    run_time: Duration = Field(30.0, gt=0, description="30s, 2m, 1h30m or seconds (stages: their total)")
    arrival_rate: Rate | None = Field(None, description="open model: cycles started per second, e.g. 200/s")
    max_users: int | None = Field(None, ge=1, le=1_000_000, description="open model: users serving arrivals")
    max_wait: Duration = Field(0.0, ge=0, le=3600, description="open model: wait for a free user, then drop")
    stages: list[Stage] | None = Field(None, min_length=1, max_length=1000)
    stall_after: Duration = Field(
        2.0,
        gt=0,
        le=3600,
        description="a span this long with requests in flight and none answered is a stall",
    )

    @model_validator(mode="before")
    @classmethod
    def _stages_set_run_time(cls, data: Any) -> Any:
        """With stages, the run lasts as long as they do (checked against a given run_time)."""
        if isinstance(data, dict) and isinstance(data.get("stages"), list) and "run_time" not in data:
            try:
                total = sum(parse_duration(stage["duration"]) for stage in data["stages"])
            except (TypeError, KeyError, ValueError):
                return data  # the stage's own check says what is wrong
            return {**data, "run_time": total} if 0 < total <= MAX_DURATION else data
        return data

    @property
    def open_model(self) -> bool:
        """Arrivals, not users: a constant arrival_rate or arrival-rate stages."""
        return self.arrival_rate is not None or bool(self.stages and self.stages[0].arrival_rate)

    def arrival_stages(self) -> list[tuple[float, float, float]]:
        """(duration, start rate, end rate) per stage; a constant rate is one stage of run_time."""
        if self.arrival_rate is not None:
            return [(self.run_time, self.arrival_rate, self.arrival_rate)]
        return [(s.duration, *s.arrival_rate) for s in self.stages or [] if s.arrival_rate is not None]

    def stage_labels(self) -> list[str]:
        if self.arrival_rate is not None:
            return [f"{self.arrival_rate:g}/s"]
        return [stage.label() for stage in self.stages or []]

    def stages_total(self) -> float:
        return sum(stage.duration for stage in self.stages or [])

    def describe(self) -> dict[str, Any]:
        """What this load asks, as every view states it (an open model's rate, not Locust's users)."""
        if self.open_model:
            found: dict[str, Any] = {
                "model": "open",
                "max_users": self.max_users,
                "max_wait_s": self.max_wait,
            }
            if self.arrival_rate is not None:
                found["arrival_rate"] = f"{self.arrival_rate:g}/s"
            else:
                found["stages"] = [
                    {"duration_s": s.duration, "arrival_rate": s.label()} for s in self.stages or []
                ]
            return {**found, "run_time_s": self.run_time}
        if self.stages:
            stages = [{"duration_s": s.duration, "users": s.label()} for s in self.stages]
            return {"model": "closed", "stages": stages, "run_time_s": self.run_time}
        return {
            "model": "closed",
            "users": self.users,
            "spawn_rate": self.spawn_rate,
            "run_time_s": self.run_time,
        }


def load_problems(load: Load) -> list[tuple[tuple[str | int, ...], str]]:
    """Checks across the load's fields, as (path under `load`, message) pairs."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    given = load.model_fields_set
    stages = load.stages or []
    kinds = {stage.arrival_rate is not None for stage in stages}
    if len(kinds) > 1:
        found.append((("stages",), "every stage sets arrival_rate, or every stage sets users, not a mix"))
    if stages and load.arrival_rate is not None:
        found.append((("arrival_rate",), "with stages, each stage sets its own arrival_rate"))
    if stages and abs(load.run_time - load.stages_total()) > 1e-6:
        found.append((("run_time",), f"the stages last {load.stages_total():g}s; leave run_time out"))
    if load.stages_total() > MAX_DURATION:
        found.append((("stages",), "the stages can last at most a week (168h)"))
    if load.open_model:
        if load.max_users is None:
            found.append((("max_users",), "the open model needs max_users: users that may serve arrivals"))
        for name in sorted(given & {"users", "spawn_rate"}):
            found.append(
                ((name,), f"{name} is for the closed model; arrivals take arrival_rate and max_users")
            )
    else:
        for name in sorted(given & {"max_users", "max_wait"}):
            found.append(((name,), f"{name} is for the open model (arrival_rate)"))
    if stages and not load.open_model and "users" in given:
        found.append((("users",), "with stages, each stage sets its own users"))
    return [(("load", *path), message) for path, message in found]


def arrival_offsets(
    stages: Sequence[tuple[float, float, float]], share: float = 1.0, phase: float = 0.0
) -> Iterator[tuple[float, int]]:
    """(seconds from the start, stage index) of each arrival of a process given `share` of the
    rate. Arrival k falls where the integral of share x rate reaches k + phase (0 <= phase < 1):
    n processes with share 1/n and phases i/n together make the whole rate's evenly spaced arrivals."""
    start, counted, target = 0.0, 0.0, phase
    for index, (duration, first, last) in enumerate(stages):
        b = first * share
        a = (last - first) * share / (2 * duration)  # integral over the stage: a t^2 + b t
        total = a * duration * duration + b * duration
        while target < counted + total:
            m = target - counted
            root = math.sqrt(max(b * b + 4 * a * m, 0.0))
            offset = m / b if a == 0 else 2 * m / (b + root)
            yield start + min(offset, duration), index
            target += 1
        counted += total
        start += duration


def users_at(stages: Sequence[Stage], elapsed: float, spawn_rate: float) -> tuple[int, float] | None:
    """Closed-model stages: (users, spawn rate) at `elapsed` seconds, None once they are over.
    A ramp's spawn rate is its slope, so Locust starts users as steadily as the ramp asks."""
    start = 0.0
    for stage in stages:
        assert stage.users is not None
        if elapsed < start + stage.duration:
            first, last = stage.users
            slope = (last - first) / stage.duration
            users = round(first + slope * (elapsed - start))
            return users, abs(slope) if slope else spawn_rate
        start += stage.duration
    return None


__all__ = ["INTENDED", "Load", "Stage", "arrival_offsets", "load_problems", "parse_rate", "users_at"]


class Retry(_Strict):
    """Wait out throttling in the load path as an app would (off unless given): a step answered
    with one of `on` is tried again after the backend's Retry-After (`honour_retry_after`; else
    1 s), at most `max_attempts` times in all. Each retry is counted (`retried`)."""

    on: list[int] = Field([429], min_length=1, description="HTTP statuses to try again after")
    honour_retry_after: bool = Field(True, description="wait as long as Retry-After says (capped)")
    max_attempts: int = Field(3, ge=2, le=10, description="attempts in all, the first one included")
    max_wait: Duration = Field(30.0, gt=0, le=300, description="the longest wait between attempts")

    @field_validator("on")
    @classmethod
    def _statuses(cls, statuses: list[int]) -> list[int]:
        if any(not 400 <= status <= 599 for status in statuses):
            raise ValueError("retry.on lists HTTP error statuses (400-599), e.g. [429]")
        return statuses
