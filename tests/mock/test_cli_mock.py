"""`authload mock`'s error paths: one line on stderr, the right exit code, never a traceback.

Settings errors are checked in-process (they stop before any socket is opened);
listening errors run the command as a subprocess on loopback (or on an address
this machine does not have, which fails at bind time without sending anything).
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from authload import EXIT_CONFIG_ERROR, EXIT_RUN_ERROR
from authload.commands.cli import main
from authload.mock._config import ROUTE_NAMES


def _one_line_error(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        (
            "error:me.logn,probability=0.5",
            "--fault 'error:me.logn,probability=0.5': route: unknown route 'me.logn'",
        ),
        (
            "erorr:me.login",
            "unknown fault kind 'erorr'; known kinds: latency, error, reset, non_json, slow_body",
        ),
        ("error:me.login,probabilty=0.5", "probabilty: unknown field 'probabilty'"),
        ("error:me.login,status", "expected key=value"),
    ],
)
def test_fault_typos_are_one_line_config_errors(
    fault: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mock", "--port", "0", "--fault", fault]) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert says in _one_line_error(err)
    if "route" in says:
        assert all(name in err for name in ROUTE_NAMES)


def test_an_environment_files_fault_route_is_checked_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "typo.yaml").write_text(
        "name: typo\nbackend: mock\nmock:\n  faults:\n    - kind: error\n      route: me.logn\n"
    )
    assert main(["mock", "--env", "typo", "--config-dir", str(tmp_path)]) == EXIT_CONFIG_ERROR
    line = _one_line_error(capsys.readouterr().err)
    assert "typo.yaml" in line and "unknown route 'me.logn'; known routes: *, users.create" in line


def test_a_port_out_of_range_is_a_config_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mock", "--port", "70000"]) == EXIT_CONFIG_ERROR
    assert "--port 70000" in _one_line_error(capsys.readouterr().err)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _mock(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "authload", "mock", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def test_a_busy_port_is_a_run_error(busy_port: int) -> None:
    done = _mock("--port", str(busy_port))
    assert done.returncode == EXIT_RUN_ERROR and done.stdout == ""
    assert f"cannot listen on 127.0.0.1:{busy_port}: the port is in use" in _one_line_error(done.stderr)


def test_a_foreign_address_is_a_config_error() -> None:
    done = _mock("--host", "192.0.2.1", "--port", "0")  # TEST-NET-1: never an address of this host
    assert done.returncode == EXIT_CONFIG_ERROR and done.stdout == ""
    assert "192.0.2.1 is not an address of this machine" in _one_line_error(done.stderr)
