"""What a capacity search sets up once for all its probes: the probes' environment (the
embedded mock started by the search), the identity pool (created once, its tokens in a private
CSV, deleted at the end) and each probe's scenario file."""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..client import AdminClient
from ..common._errors import ConfigError
from ..common._tls import client_context
from ..mock import MockProcess
from ..pool import KEPT, LedgerWriter, Silent, codes, delete_all, header, ledger_path, on_threads
from ..pool import provision as provision_pool
from ..protocol._steps import Identity
from ..scenario import Environment, Scenario, Target, environment_path
from ..scenario._identities import COLUMNS as CSV_COLUMNS
from ..scenario._yaml import load_yaml

Say = Callable[[str], None]
DELETE_CONCURRENCY = 16


def probe_environment(
    env: Environment, mock: MockProcess | None, private: Path, env_option: str, config_dir: str
) -> str:
    """The `--env` of every probe: the user's, or (embedded mock) a file naming the mock started here."""
    if mock is None:
        return str(environment_path(env_option, config_dir).resolve())
    path = private / f"{env.name}.yaml"
    data = {
        "name": env.name,
        "backend": "mock",
        "rest_base_url": mock.base_url,
        "mock": env.mock_config().model_dump(mode="json", exclude_none=True),
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


class SearchPool:
    """The identities of the whole search: created once (in the run folder's ledger, so
    `authload cleanup RUN_ID` finds them after a crash), deleted once at the end."""

    def __init__(
        self, scenario: Scenario, target: Target, env: Environment, folder: Path, run_id: str, env_file: Path
    ) -> None:
        self.spec, self.target, self.scenario = scenario.identities, target, scenario
        self.client: AdminClient | None = None
        self.created: list[str] = []
        self.head = header(
            run_id=run_id,
            backend=env.backend,
            environment=env.name,
            env_file=str(env_file.resolve()),
            rest_base_url=target.rest_base_url,
            app_id=target.app_id,
            cleanup=self.spec.cleanup,
        )
        self.ledger = LedgerWriter(ledger_path(folder), self.head)

    def provision(self, private: Path, say: Say) -> Path | None:
        """The pool as a CSV of uid and token (None: the flows log in as no pooled user, or the
        scenario names its own CSV of existing users)."""
        if not self.scenario.uses_pool() or self.spec.csv is not None:
            return None
        self.client = AdminClient(
            self.target.rest_base_url,
            app_id=self.target.app_id,
            api_key=self.target.rest_api_key,
            timeout=self.target.timeout,
            verify=client_context(self.target.tls_verify, self.target.ca_pem),
        )
        began = time.monotonic()
        outcome = provision_pool(
            self.spec, self.target, self.client, on_threads, time.sleep, Silent(), ledger=self.ledger
        )
        self.created = outcome.created + outcome.unsettled
        if outcome.errors:
            say(f"provisioning failed for some identities: {codes(outcome.errors.elements())}")
        if not outcome.identities:
            raise ConfigError("could not provision any identity for the search")
        say(
            f"provisioned {len(outcome.identities)} identities once for every probe "
            f"({len(outcome.created)} new, {outcome.requests} requests, {time.monotonic() - began:.1f} s)"
        )
        return _write_pool(private / "pool.csv", outcome.identities)

    def clean_up(self, say: Say) -> None:
        if self.client is None:
            self.ledger.close()
            return
        with self.client as client:
            if self.created and self.spec.cleanup == "delete":
                failed = delete_all(
                    self.created,
                    client.app,
                    client.api_key,
                    client.run,
                    on_threads,
                    DELETE_CONCURRENCY,
                    time.sleep,
                    Silent(),
                )
                self.ledger.settled(len(self.created) - len(failed), failed)
                if failed:
                    left = f"{len(failed)} users ({codes(failed.values())})"
                    say(f"cleanup left {left}; `authload cleanup` finds them")
                else:
                    say(f"cleanup deleted the search's {len(self.created)} users")
            elif self.created:  # cleanup: keep
                self.ledger.settled(0, dict.fromkeys(self.created, KEPT))
        self.ledger.close()


def _write_pool(path: Path, identities: list[Identity]) -> Path:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        writer.writerows([identity.uid, identity.token or ""] for identity in identities)
    return path


class ProbeFiles:
    """Each probe's scenario file: the user's, as written (its `${VAR}`s still unread), with the
    probe's load, the pool CSV and the SLOs as its thresholds."""

    def __init__(
        self, source: Path, scenario: Scenario, slos: dict[str, str], pool: Path | None, private: Path
    ) -> None:
        data, _ = load_yaml(source)
        self.data: dict[str, Any] = dict(data)
        self.stall_after = scenario.load.stall_after
        self.private = private
        identities = dict(self.data.get("identities") or {})
        if pool is not None:
            identities = {key: value for key, value in identities.items() if key not in ("count", "csv")}
            identities |= {"csv": str(pool), "count": 0, "include_sample_users": False}
        elif scenario.identities.csv is not None:
            identities["csv"] = scenario.identities.csv  # resolved against the scenario's folder
        self.data["identities"] = identities
        if slos:
            self.data["thresholds"] = slos
        else:  # the default guard
            self.data.pop("thresholds", None)

    def write(self, name: str, rate: float, max_users: int, run_time: float) -> Path:
        load = {
            "arrival_rate": f"{rate:g}/s",
            "max_users": max_users,
            "max_wait": 0,  # a start delay is then the scheduler's alone (see `capacity._probe`)
            "run_time": f"{run_time:g}s",
            "stall_after": f"{self.stall_after:g}s",
        }
        path = self.private / f"{name}.yaml"
        path.write_text(yaml.safe_dump({**self.data, "load": load}, sort_keys=False), encoding="utf-8")
        return path


__all__ = ["ProbeFiles", "SearchPool", "probe_environment"]
