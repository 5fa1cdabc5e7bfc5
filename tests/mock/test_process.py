"""`MockProcess` and `python -m authload.mock`: start, ready line, health, stop, failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from authload.common._errors import RunError
from authload.mock import MockConfig, MockProcess
from authload.protocol import wire

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str) -> dict[str, object]:
    with _OPENER.open(url, timeout=5) as reply:
        result: dict[str, object] = json.loads(reply.read())
        return result


def test_start_serves_the_given_config_and_stop_ends_it() -> None:
    config = MockConfig.model_validate({"app_id": "proc-app", "faults": [{"kind": "latency", "ms": 1}]})
    with MockProcess(config) as mock:
        assert mock.base_url.startswith("http://127.0.0.1:")
        assert _get(mock.base_url + "/_mock/health")["app_id"] == "proc-app"
        shown = _get(mock.base_url + "/_mock/config")
        assert shown["faults"] == [config.faults[0].model_dump(mode="json")]
        process = mock._process
        assert process is not None
    assert process.poll() is not None
    assert mock.pid is None
    mock.stop()  # twice is fine


def test_keys_travel_over_a_pipe_never_on_the_command_line_or_environment() -> None:
    rest_key, auth_key = "rest-" + "7" * 35, "auth-" + "8" * 35
    config = MockConfig(rest_api_key=rest_key, auth_key=auth_key, app_id="keyed-app")
    with MockProcess(config) as mock:
        assert mock.pid is not None
        for part in ("cmdline", "environ"):
            seen = Path(f"/proc/{mock.pid}/{part}").read_bytes()
            assert rest_key.encode() not in seen and auth_key.encode() not in seen, part
        request = urllib.request.Request(
            mock.base_url + wire.rest_path(wire.USERS),
            headers={wire.H_API_KEY: rest_key, wire.H_APP_ID: "keyed-app"},
        )
        with _OPENER.open(request, timeout=5) as reply:  # the child did get the keys
            assert reply.status == 200


def test_a_child_that_cannot_start_is_a_run_error_with_its_stderr() -> None:
    mock = MockProcess(host="203.0.113.1", startup_timeout=10)  # not an address of this host
    with pytest.raises(RunError, match="exited with") as caught:
        mock.start()
    assert "cannot listen on 203.0.113.1:0" in str(caught.value) and "Traceback" not in str(caught.value)


def test_cli_prints_one_ready_line_and_rejects_bad_config() -> None:
    command = [sys.executable, "-m", "authload.mock", "--port", "0", "--config-json", '{"region": "EU!"}']
    bad = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "region" in bad.stderr and bad.stdout == ""
    with subprocess.Popen(command[:5], stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None
            ready = json.loads(child.stdout.readline())
            assert set(ready) == {"base_url", "app_id", "region", "pid"} and ready["pid"] == child.pid
            assert _get(ready["base_url"] + "/_mock/health")["status"] == "ok"
        finally:
            child.terminate()
        assert child.wait(10) in (0, -15)  # uvicorn re-raises SIGTERM after its graceful shutdown


def test_an_orphaned_mock_exits_when_its_parent_dies() -> None:
    launcher = (
        "import sys; from authload.mock import MockProcess; m = MockProcess(); m.start(); "
        "print(m.pid, flush=True); sys.stdin.read()"
    )
    with subprocess.Popen(
        [sys.executable, "-c", launcher], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        parent.kill()  # no chance to stop the mock itself
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(child, 9)
    raise AssertionError("the orphaned mock kept running")
