"""TLS, verified by default: a certificate that does not verify stops a run before any request
(exit 3, one line, nothing at the backend); `tls.ca_file` trusts a CA; `verify: false` runs, says
so and records it. The mock serves HTTPS and WSS with a certificate the test makes itself."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from authload import MockProcess
from authload.mock import MockConfig

from .conftest import ROOT, only_run, only_summary, run_cli

pytestmark = pytest.mark.e2e
SCENARIO = """\
name: tls
identities: {count: 3, uid_prefix: tls-}
load: {users: 2, spawn_rate: 2, run_time: 2s}
flows:
  returning:
    steps: [login_auth_token, connect_realtime, verify_session, logout]
  signup:
    steps: [create_user, login_auth_key, logout, delete_user]
thresholds:
  total.error_rate: "< 1%"
"""


@pytest.fixture
def certificates(tmp_path: Path) -> dict[str, Path]:
    """A CA of the test's own and a certificate it signed for 127.0.0.1, as PEM files."""
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1", "localhost")
    files = {"ca": tmp_path / "ca.pem", "cert": tmp_path / "server.pem", "key": tmp_path / "server.key"}
    authority.cert_pem.write_to_path(str(files["ca"]))
    issued.private_key_pem.write_to_path(str(files["key"]))
    with files["cert"].open("wb") as handle:
        for blob in issued.cert_chain_pems:
            handle.write(blob.bytes())
    return files


@pytest.fixture
def tls_mock(certificates: dict[str, Path]) -> Iterator[MockProcess]:
    config = MockConfig(tls_cert=str(certificates["cert"]), tls_key=str(certificates["key"]))
    with MockProcess(config) as mock:
        assert mock.base_url.startswith("https://127.0.0.1:")
        yield mock


def _stats(mock: MockProcess, ca: Path) -> Any:
    return httpx.get(f"{mock.base_url}/_mock/stats", verify=ssl.create_default_context(cafile=str(ca))).json()


def _files(tmp_path: Path, env: str) -> list[str]:
    (tmp_path / "s.yaml").write_text(SCENARIO)
    (tmp_path / "cfg").mkdir(exist_ok=True)
    (tmp_path / "cfg" / "e.yaml").write_text(env)
    return [str(tmp_path / "s.yaml"), "--env", "e", "--config-dir", str(tmp_path / "cfg")]


def _env(mock: MockProcess, extra: str = "") -> str:
    return f"name: e\nbackend: mock\nrest_base_url: {mock.base_url}\n{extra}"


def test_an_untrusted_certificate_stops_the_run_before_any_request(
    tls_mock: MockProcess, certificates: dict[str, Path], tmp_path: Path
) -> None:
    result = run_cli("run", *_files(tmp_path, _env(tls_mock)), "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 3, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "certificate verify failed" in lines[0] and "127.0.0.1" in lines[0], lines
    assert "Traceback" not in result.stderr + result.stdout
    assert _stats(tls_mock, certificates["ca"])["totals"]["requests"] == 0  # not a key, not a request


def test_locust_alone_stops_too(tls_mock: MockProcess, certificates: dict[str, Path], tmp_path: Path) -> None:
    scenario, *env = _files(tmp_path, _env(tls_mock))
    command = [sys.executable, "-m", "locust", "-f", "locustfiles/auth_flow.py", "--headless", "-t", "2s"]
    command += ["--scenario", scenario, *env, "--report-dir", str(tmp_path / "r")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr[-2000:]
    assert "certificate verify failed" in done.stderr and "Traceback" not in done.stderr
    assert _stats(tls_mock, certificates["ca"])["totals"]["requests"] == 0


def test_a_trusted_ca_file_passes_over_https_and_wss(
    tls_mock: MockProcess, certificates: dict[str, Path], tmp_path: Path
) -> None:
    env = _env(tls_mock, f"tls: {{ca_file: {certificates['ca'].name}}}\n")
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / certificates["ca"].name).write_bytes(
        certificates["ca"].read_bytes()
    )  # beside the file
    result = run_cli("run", *_files(tmp_path, env), "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr[-3000:]
    summary = only_summary(tmp_path / "r")
    assert summary["run"]["tls_verify"] is True
    assert (
        summary["steps"]["connect_realtime"]["requests"] > 0
        and summary["steps"]["connect_realtime"]["failures"] == 0
    )
    stats = _stats(tls_mock, certificates["ca"])
    assert stats["websocket"]["auth_ok"] == summary["steps"]["connect_realtime"]["requests"]
    http = summary["http"]
    assert stats["totals"]["requests"] == (
        http["load"]["requests"] + http["provisioning"]["requests"] + http["cleanup"]["requests"]
    )


def test_verify_false_runs_says_so_and_records_it(
    tls_mock: MockProcess, certificates: dict[str, Path], tmp_path: Path
) -> None:
    result = run_cli(
        "run",
        *_files(tmp_path, _env(tls_mock, "tls: {verify: false}\n")),
        "--report-dir",
        str(tmp_path / "r"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "TLS certificates are NOT verified" in result.stderr
    summary = only_summary(tmp_path / "r")
    assert summary["run"]["tls_verify"] is False and summary["verdict"] == "pass"
    assert "certificates NOT verified" in (only_run(tmp_path / "r") / "authload.html").read_text()


def test_the_embedded_mock_serves_tls_from_its_section(certificates: dict[str, Path], tmp_path: Path) -> None:
    env = (
        "name: e\nbackend: mock\n"
        f"mock: {{tls_cert: {certificates['cert']}, tls_key: {certificates['key']}}}\n"
        f"tls: {{ca_file: {certificates['ca']}}}\n"
    )
    result = run_cli("run", *_files(tmp_path, env), "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert only_summary(tmp_path / "r")["steps"]["login_auth_token"]["requests"] > 0
    untrusted = env.replace(f"tls: {{ca_file: {certificates['ca']}}}\n", "")
    result = run_cli("run", *_files(tmp_path, untrusted), "--report-dir", str(tmp_path / "r2"))
    assert result.returncode == 3 and "certificate verify failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_authload_cleanup_sends_no_key_to_an_untrusted_host(
    tls_mock: MockProcess, certificates: dict[str, Path], tmp_path: Path
) -> None:
    """Users left by a `cleanup: keep` run: `authload cleanup` with an environment that does not
    trust the backend's certificate stops (exit 3, nothing sent); with the run's own, it deletes."""
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "untrusted.yaml").write_text(_env(tls_mock))
    trusted = _env(tls_mock, f"tls: {{ca_file: {certificates['ca']}}}\n")
    files = _files(tmp_path, trusted)
    (tmp_path / "s.yaml").write_text(
        SCENARIO.replace(
            "identities: {count: 3, uid_prefix: tls-}",
            "identities: {count: 3, uid_prefix: tls-, cleanup: keep}",
        )
    )
    assert run_cli("run", *files, "--report-dir", str(tmp_path / "r")).returncode == 0
    run_id = only_run(tmp_path / "r").name
    before = _stats(tls_mock, certificates["ca"])["totals"]["requests"]
    refused = run_cli(
        "cleanup",
        run_id,
        "--report-dir",
        str(tmp_path / "r"),
        "--env",
        str(tmp_path / "cfg" / "untrusted.yaml"),
    )
    assert refused.returncode == 3 and "certificate verify failed" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert _stats(tls_mock, certificates["ca"])["totals"]["requests"] == before
    done = run_cli("cleanup", run_id, "--report-dir", str(tmp_path / "r"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert _stats(tls_mock, certificates["ca"])["routes"]["users.delete"]["requests"] >= 3
