"""`MockConfig`: everything the mock backend can be told, validated by pydantic.

The environment loader validates the `mock:` section of `config/mock.yaml`
with this model, so field names are snake_case and each one says what it does.
Behaviours the reference marks as unsure ([I], [I-low], conflict) are fields
here, with the reference's preferred choice as the default.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..protocol import wire

_FROZEN = ConfigDict(extra="forbid", frozen=True)

# The API route names, as `GET /_mock/stats` counts them and fault rules name them.
# (A test checks this list against the routes the app serves.)
ROUTE_NAMES: tuple[str, ...] = (
    "users.create",
    "users.list",
    "users.get",
    "users.update",
    "users.delete",
    "users.deactivate",
    "users.reactivate",
    "tokens.create",
    "tokens.list",
    "tokens.get",
    "tokens.update",
    "tokens.delete",
    "tokens.flush",
    "me.login",
    "me.get",
    "me.logout",
    "settings.get",
    "user_sessions.create",
    "analytics.ping",
    "ws.auth",  # the real-time socket's auth frame (`_websocket`)
    "app.login",  # the sample app server (`_routes_app`): not CometChat's, an app's own
)
FAULT_KINDS: tuple[str, ...] = ("latency", "error", "reset", "non_json", "slow_body", "capacity")

# Fixed, documented defaults so that a harness and a mock agree without configuration.
DEFAULT_REST_API_KEY = hashlib.sha1(b"authload-mock:fullAccess").hexdigest()
DEFAULT_AUTH_KEY = hashlib.sha1(b"authload-mock:authOnly").hexdigest()
DEFAULT_APP_SECRET = hashlib.sha1(b"authload-mock:app").hexdigest()


_HEADER_VALUE = re.compile(r"[!-~](?:[ -~]*[!-~])?")  # visible ASCII, inner spaces


def _statuses_schema(schema: dict[str, Any]) -> None:
    # Editors list the codes and the statuses each may take (protocol's table).
    schema["propertyNames"] = {"enum": list(wire.UNSURE_STATUSES)}
    schema["properties"] = {
        code: {"enum": list(options), "default": options[0]} for code, options in wire.UNSURE_STATUSES.items()
    }


class RateLimits(BaseModel):
    """CometChat's per-app, per-minute tiers. Off unless `enabled`."""

    model_config = _FROZEN

    enabled: bool = Field(
        default=False, description="Apply the limits (429 ERR_TOO_MANY_REQUESTS) and headers."
    )
    core_per_minute: int = Field(
        default=10_000, ge=1, description="Core tier: token create, user create/delete, PUT /me login."
    )
    standard_per_minute: int = Field(default=20_000, ge=1, description="Standard tier: every other API call.")
    combined_per_minute: int | None = Field(
        default=None, ge=1, description="Optional cap on both tiers together (Build plan: 500)."
    )
    window: Literal["fixed", "sliding"] = Field(
        default="fixed", description="Fixed windows (reset on the boundary) or a sliding-window estimate."
    )
    window_seconds: float = Field(
        default=60.0, gt=0, description="Window length the limits count over; CometChat's is one minute (60)."
    )


class _FaultBase(BaseModel):
    """Which requests a fault applies to, and how often."""

    model_config = _FROZEN

    route: str | None = Field(
        default=None, description="Route name (see GET /_mock/stats), e.g. `me.login`; `*` or unset = any."
    )
    method: str | None = Field(
        default=None, description="HTTP method to match (case-insensitive); unset = any."
    )
    path: str | None = Field(
        default=None, description="Glob on the request path, e.g. `/v3*/users/*/auth_tokens`."
    )
    probability: float = Field(
        default=1.0, ge=0.0, le=1.0, description="Chance that a matching request is hit."
    )

    @field_validator("route")
    @classmethod
    def _known_route(cls, route: str | None) -> str | None:
        # A misspelt route would match nothing, so the fault would silently never fire.
        if route is not None and route != "*" and route not in ROUTE_NAMES:
            raise ValueError(f"unknown route {route!r}; known routes: *, {', '.join(ROUTE_NAMES)}")
        return route


class LatencyFault(_FaultBase):
    """Delay the reply: fixed, uniform(low, high) or lognormal(median, sigma), in milliseconds."""

    kind: Literal["latency"] = "latency"
    distribution: Literal["fixed", "uniform", "lognormal"] = Field(default="fixed", description="Shape.")
    ms: float = Field(default=0.0, ge=0, description="fixed: the delay.")
    low_ms: float = Field(default=0.0, ge=0, description="uniform: lower bound.")
    high_ms: float = Field(default=0.0, ge=0, description="uniform: upper bound.")
    median_ms: float = Field(default=0.0, ge=0, description="lognormal: median delay.")
    sigma: float = Field(default=0.5, ge=0, description="lognormal: sigma of the underlying normal.")
    max_ms: float = Field(default=30_000.0, gt=0, description="Cap on any drawn delay.")


class ErrorFault(_FaultBase):
    """Answer with a CometChat error envelope instead of processing the request."""

    kind: Literal["error"] = "error"
    status: int = Field(default=500, ge=400, le=599, description="HTTP status of the injected reply.")
    code: str = Field(default=wire.ERR_OPERATION_FAILED, description="Error code in the envelope.")
    message: str | None = Field(default=None, description="Message; default: the code's usual message.")


class ResetFault(_FaultBase):
    """Drop the connection (TCP RST) without an HTTP reply."""

    kind: Literal["reset"] = "reset"
    after_handler: bool = Field(
        default=False,
        description="Process the request first (state changes), then reset instead of replying.",
    )


class NonJsonFault(_FaultBase):
    """Answer with a body that is not JSON, as a proxy error page would be."""

    kind: Literal["non_json"] = "non_json"
    status: int = Field(default=502, ge=100, le=599, description="HTTP status of the injected reply.")
    body: str = Field(default="<html><body><h1>502 Bad Gateway</h1></body></html>", description="Body text.")
    content_type: str = Field(default="text/html", description="Content-Type header.")


class SlowBodyFault(_FaultBase):
    """Send the real reply's headers at once, then trickle its body in chunks."""

    kind: Literal["slow_body"] = "slow_body"
    chunk_bytes: int = Field(default=16, ge=1, description="Bytes per chunk.")
    chunk_delay_ms: float = Field(default=50.0, ge=0, description="Pause before each chunk after the first.")


class CapacityFault(_FaultBase):
    """A backend with a known capacity: matching requests are served at most `rate` per second,
    in arrival order; one that would wait longer than `queue_ms` is refused at once (503 in
    CometChat's envelope). The truth a capacity search is checked against."""

    kind: Literal["capacity"] = "capacity"
    rate: float = Field(gt=0, le=1_000_000, description="Requests served per second, at most.")
    queue_ms: float = Field(default=100.0, ge=0, le=60_000, description="Longest wait before a refusal.")


FaultRule = Annotated[
    LatencyFault | ErrorFault | ResetFault | NonJsonFault | SlowBodyFault | CapacityFault,
    Field(discriminator="kind"),
]


class MockConfig(BaseModel):
    """Configuration of the mock CometChat backend (the `mock:` section of `config/mock.yaml`)."""

    model_config = _FROZEN

    app_id: str = Field(default="authload-mock", min_length=1, description="The one app this mock serves.")
    region: str = Field(
        default="eu", pattern=r"^[a-z]+$", description="Region in `{appId}.api-{region}...` hosts."
    )
    # Keys are header values: visible ASCII, inner spaces, no line break or control character.
    rest_api_key: str = Field(
        default=DEFAULT_REST_API_KEY, min_length=1, description="fullAccess key (40 hex)."
    )
    auth_key: str = Field(
        default=DEFAULT_AUTH_KEY, min_length=1, description="authOnly key (Auth Key, 40 hex)."
    )
    app_secret: str = Field(
        default=DEFAULT_APP_SECRET,
        min_length=1,
        description="The sample app server's session secret: `Authorization: Bearer <it>` on /app/ routes.",
    )
    tls_cert: str | None = Field(
        default=None, description="PEM certificate (chain): serve HTTPS and WSS (with tls_key)."
    )
    tls_key: str | None = Field(default=None, description="PEM private key of tls_cert.")
    seed_sample_users: bool = Field(
        default=True, description="Create cometchat-uid-1..5 at start and on reset."
    )
    roles: tuple[str, ...] = Field(
        default=("default",), description="Roles that exist; `default` is used if unset."
    )
    seed: int = Field(default=0, description="Seed of the fault RNG, so runs reproduce.")
    statuses: dict[str, int] = Field(
        default_factory=dict,
        description="HTTP status per error code where the reference is unsure, e.g. "
        "`ERR_UID_ALREADY_EXISTS: 409`; other codes answer protocol's default.",
        json_schema_extra=_statuses_schema,
    )
    revoke_token_on_logout: bool = Field(default=False, description="DELETE /me also invalidates the token.")
    keep_deleted_tokens_valid: bool = Field(
        default=False,
        description="A broken backend: token delete answers success but the token still logs in.",
    )
    reuse_token_without_force: bool = Field(
        default=False, description="Token create without `force: true` returns the user's newest token."
    )
    accept_missing_app_id: bool = Field(
        default=True, description="Loopback requests without appId header or app host count as this app."
    )
    tokens_kept_per_user: int = Field(
        default=wire.TOKENS_KEPT_PER_USER, ge=1, description="Rolling window of valid tokens per user."
    )
    max_body_bytes: int = Field(
        default=10_240, ge=1, description="Larger request bodies get 413 ERR_BAD_REQUEST."
    )
    max_url_bytes: int = Field(
        default=8_192, ge=64, description="Longer request targets (path and query) get 414 ERR_BAD_REQUEST."
    )
    max_header_bytes: int = Field(
        default=16_384,
        ge=256,
        description="Longer request heads (request line and headers) get 431 ERR_BAD_REQUEST.",
    )
    request_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="A request must arrive whole (head and body) this soon after its first byte, "
        "or after the connection opens; else 408 ERR_BAD_REQUEST and the connection closes.",
    )
    keep_alive_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="An idle keep-alive connection is closed after this long. Real edges keep idle "
        "connections about a minute; uvicorn's own default (5 s) would make every request after a "
        "think time reconnect.",
    )
    rate_limits: RateLimits = Field(default=RateLimits(), description="Per-minute tiers.")
    faults: tuple[FaultRule, ...] = Field(default=(), description="Per-route fault rules, applied in order.")

    @model_validator(mode="after")
    def _tls_pair(self) -> MockConfig:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        return self

    @field_validator("rest_api_key", "auth_key", "app_secret")
    @classmethod
    def _header_value(cls, key: str) -> str:
        if not _HEADER_VALUE.fullmatch(key):
            raise ValueError(
                "cannot be sent as an HTTP header: it holds a line break, a control or non-ASCII "
                "character, or leading/trailing whitespace (value not shown)"
            )
        return key

    @field_validator("statuses")
    @classmethod
    def _unsure_codes(cls, statuses: dict[str, int]) -> dict[str, int]:
        # Keyed by protocol's codes; older files spelt them in lower case (`err_uid_already_exists`).
        chosen: dict[str, int] = {}
        for key, status in statuses.items():
            code = key.upper()
            options = wire.UNSURE_STATUSES.get(code)
            if options is None:
                known = ", ".join(wire.UNSURE_STATUSES)
                raise ValueError(f"{key!r} has a fixed status; codes whose status can be chosen: {known}")
            if status not in options:
                raise ValueError(f"{code}: {status} is not one of {', '.join(map(str, options))}")
            if code in chosen:
                raise ValueError(f"{code} is given twice")
            chosen[code] = status
        return chosen

    @field_validator("faults", mode="before")
    @classmethod
    def _known_kinds(cls, faults: object) -> object:
        # pydantic's own message for a bad discriminator is long and technical.
        for rule in faults if isinstance(faults, list | tuple) else ():
            kind = rule.get("kind") if isinstance(rule, dict) else getattr(rule, "kind", None)
            if kind not in FAULT_KINDS:
                what = "a fault needs a kind" if kind is None else f"unknown fault kind {kind!r}"
                raise ValueError(f"{what}; known kinds: {', '.join(FAULT_KINDS)}")
        return faults

    def public_dump(self) -> dict[str, object]:
        """The configuration without its keys (for `GET /_mock/config`)."""
        return self.model_dump(mode="json", exclude={"rest_api_key", "auth_key", "app_secret"})

    def secrets(self) -> list[str]:
        """The values no output may contain."""
        return [self.rest_api_key, self.auth_key, self.app_secret]
