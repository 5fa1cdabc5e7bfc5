"""The scenario model: identities, load, weighted flows of auth steps, thresholds."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..protocol._http_step import NEW_UID, TOKEN, VAR
from ._durations import parse_duration
from ._http import HttpStep
from ._load import INTENDED, Load, Retry, load_problems
from ._thresholds import ARRIVALS, DEFAULT_GUARD, DEFAULT_GUARD_NOTE, TOTAL, Threshold, parse_threshold

STEPS = (
    "create_user",
    "create_auth_token",
    "login_auth_key",
    "login_auth_token",
    "session_check",
    "logout",
    "delete_user",
    "delete_auth_token",
    "verify_session",
    "connect_realtime",
)
PAUSE = "pause"
HTTP = "http"  # `{http: {name: ..., ...}}`: a request to the app's own server, named by its `name`
LOCAL_STEPS = ("session_check",)  # send nothing, so they stay out of `total`
# Matched with `fullmatch`: `$` would also match before a trailing newline ("ab\n").
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,99}")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_UID_PREFIX = re.compile(r"[a-z0-9_-]{1,60}")
MAX_PAUSE = 3600.0  # seconds; a longer think time is a typo
MAX_WEIGHT = 1_000_000.0  # weights are relative; a bound keeps their sum finite


def _text_problem(value: str, *, lines: bool) -> str | None:
    """Control characters end up raw in reports (and make junit.xml invalid XML)."""
    allowed = "\n\t" if lines else ""
    if any(not char.isprintable() and char not in allowed for char in value):
        return "must not contain control characters" + ("" if lines else " or line breaks")
    return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Identities(_Strict):
    """Who the run logs in as. Provisioned before the load, deleted after it unless `keep`."""

    count: int = Field(10, ge=0, le=1_000_000, description="users created before the load")
    uid_prefix: str = Field("authload-", description="lowercase a-z 0-9 _ -; uids are prefix + number")
    include_sample_users: bool = Field(False, description="also use cometchat-uid-1 .. -5")
    tokens: Literal["pre_minted", "in_flow", "from_app"] = Field(
        "pre_minted",
        description="pre_minted: a token per user before the load; in_flow: flows mint them "
        "(create_auth_token); from_app: an http step captures it from the app's server",
    )
    cleanup: Literal["delete", "keep"] = "delete"
    concurrency: int = Field(32, ge=1, le=1024, description="provisioning requests in flight")
    csv: str | None = Field(
        None,
        description="existing users: a CSV file (relative to the scenario) with columns uid and an "
        "optional auth_token; they are never created or deleted; count defaults to 0 with it",
    )

    @model_validator(mode="before")
    @classmethod
    def _csv_alone(cls, data: Any) -> Any:
        # A CSV names the pool: no generated users unless `count` asks for them too.
        if isinstance(data, dict) and data.get("csv") is not None and "count" not in data:
            return {**data, "count": 0}
        return data

    @field_validator("uid_prefix")
    @classmethod
    def _valid_prefix(cls, value: str) -> str:
        if not _UID_PREFIX.fullmatch(value):
            raise ValueError("must be 1-60 characters of lowercase a-z, 0-9, _ or - (CometChat uids)")
        return value


class Step(_Strict):
    """One step of a flow: an auth step by name, a pause of `pause` seconds (min, max), or an
    `http` request (named by its own `name`)."""

    name: str
    pause: tuple[float, float] | None = None
    expect: str | None = Field(
        None, description="an error code this step must get (a success is a correctness failure)"
    )
    http: HttpStep | None = None

    @model_validator(mode="before")
    @classmethod
    def _http_name(cls, data: Any) -> Any:
        # `{http: {...}}` is named by its own `name` (a missing one is the http step's error).
        if isinstance(data, dict) and isinstance(data.get(HTTP), dict) and "name" not in data:
            return {**data, "name": data[HTTP].get("name", "")}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Step:
        if self.http is not None:
            return self._http_consistent()
        if self.name not in (*STEPS, PAUSE):
            raise ValueError(f"unknown step {self.name!r}; expected one of {', '.join((*STEPS, PAUSE))}")
        if self.name != PAUSE:
            if self.pause is not None:
                raise ValueError(f"step {self.name!r} takes no pause")
            if self.expect is not None and not _CODE.fullmatch(self.expect):
                raise ValueError("expect must be an error code, e.g. AUTH_ERR_AUTH_TOKEN_NOT_FOUND")
            return self
        if self.expect is not None:
            raise ValueError("a pause expects nothing")
        if self.pause is None:
            raise ValueError("pause needs a length: {pause: 1s} or {pause: 1s-3s}")
        low, high = self.pause
        if not 0 <= low <= high <= MAX_PAUSE:
            raise ValueError(f"pause must run from short to long, between 0 and {MAX_PAUSE:.0f}s")
        return self

    def _http_consistent(self) -> Step:
        if self.name in (*STEPS, PAUSE, HTTP, TOTAL):
            raise ValueError(f"an http step cannot be named {self.name!r}: that is a built-in name")
        if self.pause is not None or self.expect is not None:
            raise ValueError("an http step takes expect_status, not pause or expect")
        return self


def _parse_step(value: Any) -> Step | dict[str, Any]:
    if isinstance(value, str):
        if value == PAUSE:
            raise ValueError("pause needs a length: {pause: 1s} or {pause: 1s-3s}")
        if value not in STEPS:
            raise ValueError(f"unknown step {value!r}; expected one of {', '.join((*STEPS, PAUSE))}")
        return Step(name=value)
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in STEPS:
        name, options = next(iter(value.items()))
        if not isinstance(options, dict) or set(options) != {"expect"}:
            raise ValueError(f"options of a step are {{{name}: {{expect: ERROR_CODE}}}}")
        return Step(name=name, expect=options["expect"])
    if isinstance(value, dict) and (list(value) == [HTTP] or _DUMPED <= set(value) <= _DUMPED_MAX):
        # pydantic checks an http step (its errors name the field inside it), and the form
        # `model_dump` writes (master to workers) as a Step
        return value
    if isinstance(value, dict) and list(value) == [PAUSE]:
        low, _, high = str(value[PAUSE]).partition("-")
        low_s, high_s = parse_duration(low), parse_duration(high or low)
        if high_s < low_s:
            raise ValueError("pause range must go from short to long, e.g. 1s-3s")
        if high_s > MAX_PAUSE:
            raise ValueError(f"a pause can be at most {MAX_PAUSE:.0f}s")
        return Step(name=PAUSE, pause=(low_s, high_s))
    raise ValueError("a step is a step name, {pause: DURATION[-DURATION]} or {http: {...}}")


_DUMPED, _DUMPED_MAX = {"name", "pause"}, {"name", "pause", "expect", HTTP}
StepField = Annotated[
    Step, BeforeValidator(lambda value: value if isinstance(value, Step) else _parse_step(value))
]  # `_parse_step` returns a Step, or the dict form for pydantic to check as one


class Flow(_Strict):
    """A weighted sequence of steps; one pass through it is one cycle."""

    weight: float = Field(1.0, ge=0, le=MAX_WEIGHT)
    steps: list[StepField] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _some_work(cls, steps: list[Step]) -> list[Step]:
        if all(step.name == PAUSE for step in steps):
            raise ValueError("a flow needs at least one auth step, not only pauses")
        return steps

    @property
    def needs_pool(self) -> bool:
        """Whether a cycle starts as a provisioned user: its first auth step does not sign a new
        user up (create_user, or an http step with `{new_uid}`)."""
        first = next((step for step in self.steps if step.name != PAUSE), None)
        return first is not None and not _signs_up(first)


class Scenario(_Strict):
    """A whole scenario file."""

    name: str = Field(min_length=1)
    description: str = ""
    identities: Identities = Identities()
    load: Load = Load()
    flows: dict[str, Flow] = Field(min_length=1)
    retry: Retry | None = Field(None, description="wait out 429s in the load path (off by default)")
    thresholds: dict[str, str | int | float] | None = Field(
        None,
        description="absent: the default guard total.error_rate < 5% and total.correctness_failures == 0; "
        "{}: no rules",
    )

    # Values of the `${VAR}`s in its http steps (an app session, say): masked in every output.
    _secrets: tuple[str, ...] = PrivateAttr(default=())

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    def with_secrets(self, secrets: list[str] | tuple[str, ...]) -> Scenario:
        """This scenario, remembering the values its `${VAR}`s had."""
        copy = self.model_copy()
        copy._secrets = tuple(secrets)
        return copy

    @field_validator("name", "description")
    @classmethod
    def _printable(cls, value: str, info: ValidationInfo) -> str:
        problem = _text_problem(value, lines=info.field_name == "description")
        if problem:
            raise ValueError(problem)
        if len(value) > (10_000 if info.field_name == "description" else 200):
            raise ValueError("is too long")
        return value

    @field_validator("flows")
    @classmethod
    def _flow_names(cls, flows: dict[str, Flow]) -> dict[str, Flow]:
        for name in flows:
            if not _NAME.fullmatch(name) or name in STEPS or name in (PAUSE, TOTAL):
                raise ValueError(
                    f"flow name {name!r} must be lowercase a-z0-9_ and not a step name or 'total'"
                )
        if sum(flow.weight for flow in flows.values()) <= 0:
            raise ValueError("flow weights sum to zero; give at least one flow a positive weight")
        return flows

    def problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Checks across fields, as (path, message) pairs for the loader to place."""
        found: list[tuple[tuple[str | int, ...], str]] = []
        for name, flow in self.flows.items():
            problem = _token_problem(flow, self.identities) or _pool_problem(flow) or _session_problem(flow)
            if problem:
                found.append((("flows", name, "steps"), problem))
            found += [(("flows", name, "steps", *where), problem) for where, problem in _http_problems(flow)]
        found += self._http_name_problems()
        pool = self.identities.count or self.identities.include_sample_users or self.identities.csv
        if self.uses_pool() and not pool:
            found.append((("identities", "count"), "a flow logs in as a provisioned user, but count is 0"))
        found += load_problems(self.load)
        targets = self.threshold_targets()
        for key, rule in (self.thresholds or {}).items():
            try:
                parse_threshold(key, rule, targets)
            except ValueError as error:
                found.append((("thresholds", key), str(error)))
        return found

    def _http_name_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """An http step's name is its row: not a flow's, and one request per name."""
        found: list[tuple[tuple[str | int, ...], str]] = []
        seen: dict[str, HttpStep] = {}
        for flow_name, flow in self.flows.items():
            for index, step in enumerate(flow.steps):
                if step.http is None:
                    continue
                where: tuple[str | int, ...] = ("flows", flow_name, "steps", index, HTTP, "name")
                if step.name in self.flows:
                    found.append(
                        (where, f"{step.name!r} names a flow too; thresholds could not tell them apart")
                    )
                elif seen.setdefault(step.name, step.http) != step.http:
                    found.append((where, f"two different http steps are named {step.name!r}"))
        return found

    def http_steps(self) -> list[HttpStep]:
        """Every http step of the scenario (once per name)."""
        found = {step.name: step.http for flow in self.flows.values() for step in flow.steps if step.http}
        return list(found.values())

    def step_names(self) -> set[str]:
        """The auth steps any flow runs (pauses excluded)."""
        return {step.name for flow in self.flows.values() for step in flow.steps if step.name != PAUSE}

    def parsed_thresholds(self) -> list[Threshold]:
        """Every threshold rule, parsed (already validated when the file was loaded); without a
        `thresholds` section, the default guard (an explicit `thresholds: {}` has no rules)."""
        targets = self.threshold_targets()
        if self.thresholds is None:
            return [parse_threshold(*rule, targets, note=DEFAULT_GUARD_NOTE) for rule in DEFAULT_GUARD]
        return [parse_threshold(key, rule, targets) for key, rule in self.thresholds.items()]

    def threshold_targets(self) -> set[str]:
        """Steps, flows, `total`; in the open model also `arrivals` and `intended.NAME`."""
        entries = self.step_names() | set(self.flows)
        if not self.load.open_model:
            return entries | {TOTAL}
        return entries | {TOTAL, ARRIVALS} | {f"{INTENDED}.{name}" for name in entries}

    def uses_auth_key(self) -> bool:
        """Whether any flow logs in with the Auth Key (development-only credential)."""
        return "login_auth_key" in self.step_names()

    def uses_pool(self) -> bool:
        """Whether any flow logs in as a provisioned user rather than one it creates."""
        return any(flow.needs_pool for flow in self.flows.values() if flow.weight > 0)


def _signs_up(step: Step) -> bool:
    """Whether the step makes a new user the cycle's identity."""
    return step.name == "create_user" or (step.http is not None and NEW_UID in step.http.spec().names())


def _http_problems(flow: Flow) -> list[tuple[tuple[int | str, ...], str]]:
    """`{var.NAME}` needs an earlier capture of NAME in the flow (`{token}`: see `_token_problem`)."""
    captured: set[str] = set()
    found: list[tuple[tuple[int | str, ...], str]] = []
    for index, step in enumerate(flow.steps):
        if step.http is None:
            continue
        for name in sorted(step.http.spec().names()):
            if name.startswith(VAR) and name[len(VAR) :] not in captured:
                found.append(
                    (
                        (index, HTTP),
                        f"{{{name}}} has no value here: no earlier http step of this flow "
                        f"captures {name[len(VAR) :]!r}",
                    )
                )
        captured |= set(step.http.capture)
    return found


def _pool_problem(flow: Flow) -> str | None:
    """A cycle on a provisioned user must not delete it: the pool would empty as the run goes."""
    for step in flow.steps:
        if _signs_up(step):
            return None
        if step.name == "delete_user":
            return "delete_user would delete a provisioned user; create_user first in this flow"
    return None


def _session_problem(flow: Flow) -> str | None:
    """Steps that act on a login, and a token deletion that would empty the pool's tokens."""
    logged_in = minted = False
    for step in flow.steps:
        if step.name in ("login_auth_key", "login_auth_token"):
            logged_in = True
        if step.name in ("create_auth_token", "login_auth_key"):
            minted = True
        elif step.name == "create_user":
            minted = False
        elif step.name in ("connect_realtime", "verify_session") and not logged_in:
            return f"{step.name} needs a login before it in the flow"
        elif step.name == "delete_auth_token" and not minted:
            return "delete_auth_token deletes the token this flow minted: create_auth_token first"
    return None


def _token_problem(flow: Flow, identities: Identities) -> str | None:
    """Why a flow could not get the token it logs in with (or an http step sends), if it could not."""
    has_token = identities.tokens == "pre_minted"
    created = False
    for step in flow.steps:
        names = step.http.spec().names() if step.http is not None else set()
        if _signs_up(step):
            created, has_token = True, False
        if step.name in ("create_auth_token", "login_auth_key"):
            has_token = True
        elif (step.name == "login_auth_token" or TOKEN in names) and not has_token:
            what = "login_auth_token" if step.http is None else f"http step {step.name!r} ({{token}})"
            if created:
                return f"{what} after a sign-up needs a token first: create_auth_token or an http capture"
            return (
                f"{what} needs a token: add create_auth_token or an http step that captures token "
                "first, or set identities.tokens: pre_minted"
            )
        if step.http is not None and "token" in step.http.capture:
            has_token = True
    return None
