"""Environments: where the load goes and with which credentials.

`config/NAME.yaml` describes either the embedded mock (`backend: mock`) or a
real CometChat app (`backend: cometchat`). Hosts are built as CometChat builds
them, `https://{app_id}.api-{region}.cometchat.io` for REST and
`https://{app_id}.apiclient-{region}.cometchat.io` for the client API, unless
overridden. Keys are `${VAR}` references, resolved by the loader and held as
`SecretStr`, so they print as `**********`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from ..mock import MockConfig


class Environment(BaseModel):
    """One environment file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    backend: Literal["mock", "cometchat"]
    production: bool = Field(False, description="refuses Auth Key logins unless allowed")
    allow_auth_key: bool = Field(False, description="let a production run log in with the Auth Key")
    app_id: str | None = None
    region: Literal["us", "eu", "in", "private"] = "us"
    rest_base_url: str | None = Field(None, description="default: built from app_id and region")
    client_base_url: str | None = Field(None, description="default: built from app_id and region")
    rest_api_key: SecretStr | None = None
    auth_key: SecretStr | None = None
    timeout: float = Field(10.0, gt=0, le=300, description="seconds per request")
    mock: MockConfig | None = None

    @model_validator(mode="after")
    def _complete(self) -> Environment:
        if self.backend == "cometchat":
            if self.mock is not None:
                raise ValueError("`mock` settings only apply to backend: mock")
            missing = [name for name in ("app_id", "rest_api_key") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"backend: cometchat needs {', '.join(missing)}")
        return self

    @property
    def embedded_mock(self) -> bool:
        """Whether authload starts the mock itself (no URL given)."""
        return self.backend == "mock" and self.rest_base_url is None

    def mock_config(self) -> MockConfig:
        """The mock's settings (defaults when the file gives none)."""
        return self.mock or MockConfig()

    def resolve(self, base_url: str | None = None) -> Target:
        """Concrete hosts and keys; `base_url` is where an embedded mock listens."""
        if self.backend == "mock":
            mock = self.mock_config()
            url = base_url or self.rest_base_url or ""
            return Target(
                app_id=self.app_id or mock.app_id,
                rest_base_url=url,
                client_base_url=self.client_base_url or url,
                rest_api_key=_reveal(self.rest_api_key) or mock.rest_api_key,
                auth_key=_reveal(self.auth_key) or mock.auth_key,
                timeout=self.timeout,
            )
        app_id = self.app_id or ""
        return Target(
            app_id=app_id,
            rest_base_url=self.rest_base_url or f"https://{app_id}.api-{self.region}.cometchat.io",
            client_base_url=self.client_base_url or f"https://{app_id}.apiclient-{self.region}.cometchat.io",
            rest_api_key=_reveal(self.rest_api_key),
            auth_key=_reveal(self.auth_key),
            timeout=self.timeout,
        )


class Target(BaseModel):
    """Resolved hosts and credentials. Never logged: its repr hides the keys."""

    model_config = ConfigDict(frozen=True)

    app_id: str
    rest_base_url: str
    client_base_url: str
    rest_api_key: str = Field(repr=False)
    auth_key: str = Field(repr=False)
    timeout: float = 10.0

    def secrets(self) -> list[str]:
        """The values a report must never contain."""
        return [value for value in (self.rest_api_key, self.auth_key) if value]


def _reveal(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""
