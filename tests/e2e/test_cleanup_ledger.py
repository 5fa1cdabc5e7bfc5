"""Nothing left behind, and what is left is known: the run ledger, summary.json's `cleanup`,
and `authload cleanup` against a standalone mock whose own store is the referee."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from authload import AdminClient, MockConfig, MockProcess, builtin

from .conftest import only_run, run_cli

pytestmark = pytest.mark.e2e
SECRETS = (MockConfig().rest_api_key, MockConfig().auth_key)
CREATES = """\
name: creates
identities: {count: 3, uid_prefix: led-}
load: {users: 2, spawn_rate: 2, run_time: 1s}
flows:
  signup:
    steps: [create_user, create_auth_token, login_auth_token, logout]
  returning:
    steps: [login_auth_token, logout]
thresholds:
  total.error_rate: "< 50%"
"""
# Half the user deletions fail. With seed 5 the rule's first three draws all hit, so the run's
# own cleanup (of at least the pool's three users) leaves at least three; later draws let
# `authload cleanup` finish the job.
DELETE_FAULT = {"kind": "error", "route": "users.delete", "probability": 0.5, "status": 500}
# Some creates are done but their answer is lost: the harness cannot know those users exist.
# With seed 5 the first create after the pool's three is one of them.
LOST_CREATE = {"kind": "reset", "route": "users.create", "after_handler": True, "probability": 0.2}


def _users(mock: MockProcess) -> int:
    return int(httpx.get(f"{mock.base_url}/_mock/stats").json()["store"]["users"])


def _env(tmp_path: Path, mock: MockProcess) -> Path:
    config = tmp_path / "cfg"
    config.mkdir(exist_ok=True)
    (config / "standalone.yaml").write_text(
        f"name: standalone\nbackend: mock\nrest_base_url: {mock.base_url}\n"
    )
    return config


def _admin(mock: MockProcess) -> AdminClient:
    config = MockConfig()
    return AdminClient(mock.base_url, app_id=config.app_id, api_key=config.rest_api_key)


def _no_secrets(*texts: str) -> None:
    for text in texts:
        assert not any(secret in text for secret in SECRETS)


def test_run_records_what_cleanup_left_and_cleanup_command_deletes_it(tmp_path: Path) -> None:
    scenario = tmp_path / "creates.yaml"
    scenario.write_text(CREATES)
    reports = tmp_path / "r"
    faults = [DELETE_FAULT, LOST_CREATE]
    with MockProcess(MockConfig(seed=5, faults=faults)) as mock:  # type: ignore[arg-type]
        samples = _users(mock)
        config = _env(tmp_path, mock)
        result = run_cli(
            "run",
            str(scenario),
            "--env",
            "standalone",
            "--config-dir",
            str(config),
            "--report-dir",
            str(reports),
        )
        # The verdict is the load's: users left behind by cleanup do not change it.
        assert result.returncode == 0, result.stderr[-3000:]
        run = only_run(reports)
        summary: dict[str, Any] = json.loads((run / "summary.json").read_text())
        assert summary["verdict"] == "pass" and summary["exit_code"] == 0
        cleanup = summary["cleanup"]
        left = {entry["uid"] for entry in cleanup["left"]}
        assert len(left) >= 3 and {entry["error"] for entry in cleanup["left"]} == {"ERR_OPERATION_FAILED"}
        # What the summary says is left is exactly what the backend still has.
        assert _users(mock) == samples + len(left)
        with _admin(mock) as admin:
            assert {admin.get_user(uid).uid for uid in left} == left
        stats = httpx.get(f"{mock.base_url}/_mock/stats").json()["routes"]
        # Some creates were lost (provisioning's are not in the step figures, hence <=).
        lost = summary["steps"]["create_user"]["errors_by_code"]
        assert set(lost) == {"TRANSPORT_RESET"}
        assert 0 < lost["TRANSPORT_RESET"] <= stats["users.create"]["faults"]["reset"]
        # Every user the mock deleted counts; a lost create that never happened would be a 404.
        assert cleanup["deleted"] == stats["users.delete"]["status"].get("200", 0) > 0
        assert f"authload cleanup {run.name}" in result.stderr

        outputs = []
        for _ in range(20):  # each pass retries the users still left; the fault lets half through
            again = run_cli("cleanup", run.name, "--report-dir", str(reports), timeout=30)
            outputs.append(again.stdout + again.stderr)
            assert again.returncode in (0, 3), outputs[-1]
            assert (again.returncode == 0) == ("nothing left to delete" in again.stdout), outputs[-1]
            if again.returncode == 0:
                break
        assert again.returncode == 0, outputs
        assert _users(mock) == samples
        # The ledger now says so too: a further cleanup finds nothing.
        assert (
            "nothing left to delete"
            in run_cli("cleanup", "--all-from-ledger", "--report-dir", str(reports)).stdout
        )
    _no_secrets(result.stdout, result.stderr, *outputs, *(path.read_text() for path in run.iterdir()))


def _ledger(folder: Path, head: dict[str, Any], *records: dict[str, Any], tail: str = "") -> Path:
    folder.mkdir(parents=True)
    path = folder / "ledger-4242.jsonl"
    lines = [json.dumps({"ledger": 1, **head}), *(json.dumps(record) for record in records)]
    path.write_text("\n".join(lines) + "\n" + tail)
    return path


def test_cleanup_all_from_ledger_after_a_crash(tmp_path: Path) -> None:
    reports = tmp_path / "r"
    with MockProcess() as mock:
        samples = _users(mock)
        config = _env(tmp_path, mock)
        head = {
            "backend": "mock",
            "env_file": str(config / "standalone.yaml"),
            "rest_base_url": mock.base_url,
            "app_id": MockConfig().app_id,
            "cleanup": "delete",
        }
        with _admin(mock) as admin:
            for uid in ("crash-1", "crash-2", "crash-3", "kept-1"):
                admin.create_user(uid, uid)
        # A run killed mid-flight: it wrote what it was about to create (crash-4 never got its
        # request out), deleted one user, and died writing its next line.
        _ledger(
            reports / "20260101T000000Z-dead",
            {**head, "run_id": "20260101T000000Z-dead"},
            {"try": ["crash-1", "crash-2", "gone-1"]},
            {"deleted": ["gone-1"]},
            {"try": ["crash-3"]},
            {"try": ["crash-4"]},
            tail='{"try": ["crash-',
        )
        # A `cleanup: keep` run: --all-from-ledger leaves its users alone.
        _ledger(
            reports / "20260101T000001Z-keep",
            {**head, "run_id": "20260101T000001Z-keep", "cleanup": "keep"},
            {"try": ["kept-1"]},
        )
        # A run on the embedded mock: its users went with the mock.
        embedded = _ledger(
            reports / "20260101T000002Z-embd",
            {
                **head,
                "env_file": str(builtin.CONFIG / "mock.yaml"),
                "rest_base_url": "http://127.0.0.1:9",
            },
            {"try": ["emb-1"]},
        )
        assert _users(mock) == samples + 4

        result = run_cli("cleanup", "--all-from-ledger", "--report-dir", str(reports), timeout=30)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "20260101T000000Z-dead (ledger-4242.jsonl): deleted 4, left 0" in result.stdout
        assert "20260101T000001Z-keep: skipped" in result.stdout
        assert "embedded mock" in result.stdout
        assert _users(mock) == samples + 1  # kept-1 only
        with _admin(mock) as admin:
            assert admin.get_user("kept-1").uid == "kept-1"
        assert (
            "nothing left to delete"
            in run_cli("cleanup", "--all-from-ledger", "--report-dir", str(reports)).stdout
        )
        assert '"emb-1"' in embedded.read_text().splitlines()[-1]  # marked gone, not retried

        named = run_cli("cleanup", "20260101T000001Z-keep", "--report-dir", str(reports), timeout=30)
        assert named.returncode == 0 and "deleted 1, left 0" in named.stdout, named.stdout + named.stderr
        assert _users(mock) == samples
    _no_secrets(result.stdout, result.stderr, named.stdout, named.stderr)


def test_cleanup_of_an_unknown_run_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("cleanup", "no-such-run", "--report-dir", str(tmp_path))
    assert result.returncode == 2 and "no run 'no-such-run'" in result.stderr
    assert "Traceback" not in result.stderr
