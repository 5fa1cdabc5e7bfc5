"""`MockProcess`: run `python -m authload.mock` as a child process, for the CLI and Locust.

Plain `subprocess`, `select` and `urllib` only, so it works unchanged inside a
gevent-monkey-patched Locust process. The child gets its own session, so a
Ctrl-C in the terminal reaches the harness, which then stops the mock itself;
it is also told our pid and exits if we die first. Its configuration, keys
included, goes over its stdin pipe, never on its command line (which `ps` shows
to every user of the machine).
"""

from __future__ import annotations

import json
import os
import select
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from types import TracebackType
from typing import IO, Any

from ..common._errors import RunError
from ._config import MockConfig

_STDERR_TAIL = 2000
_HEALTH_PATH = "/_mock/health"


class MockProcess:
    """A mock backend in a child process. `base_url` is set once `start()` returns.

    ```python
    with MockProcess(MockConfig(seed=7)) as mock:
        print(mock.base_url)
    ```
    """

    def __init__(
        self,
        config: MockConfig | Mapping[str, Any] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout: float = 20.0,
        stop_timeout: float = 5.0,
    ) -> None:
        self.config = config if isinstance(config, MockConfig) else MockConfig.model_validate(config or {})
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.base_url = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The child's pid while it runs."""
        return self._process.pid if self._process is not None else None

    def start(self) -> str:
        """Spawn the mock, wait for its ready line and its health check; return `base_url`."""
        if self._process is not None:
            raise RunError("the mock process is already started")
        command = [sys.executable, "-m", "authload.mock", "--host", self.host, "--port", str(self.port)]
        command += ["--config-stdin", "--parent-pid", str(os.getpid())]
        self._stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            start_new_session=True,
        )
        assert self._process.stdin is not None
        try:
            # Over a pipe, not the command line: keys on a command line show in `ps` to any user.
            with self._process.stdin as pipe:
                pipe.write(self._config_json())
        except BrokenPipeError:
            pass  # the child died at once; `_read_ready` reports its exit and stderr
        deadline = time.monotonic() + self.startup_timeout
        try:
            self.base_url = self._read_ready(deadline)
            self._wait_healthy(deadline)
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def _config_json(self) -> bytes:
        # Only the non-default fields, in short; faults in full (`kind` is their discriminator).
        fields = self.config.model_dump(mode="json", exclude_defaults=True)
        if self.config.faults:
            fields["faults"] = [fault.model_dump(mode="json") for fault in self.config.faults]
        return json.dumps(fields, separators=(",", ":")).encode()

    def _read_ready(self, deadline: float) -> str:
        process = self._process
        assert process is not None and process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        line = process.stdout.readline() if ready else b""
        try:
            return str(json.loads(line)["base_url"])
        except (ValueError, KeyError, TypeError):
            if ready and not line:  # EOF: the child is exiting; let it be reaped
                try:
                    process.wait(2.0)
                except subprocess.TimeoutExpired:
                    pass
            status = process.poll()
            why = f"exited with {status}" if status is not None else "sent no ready line in time"
            raise RunError(f"the mock backend {why}; its stderr ends with:\n{self._stderr_tail()}") from None

    def _wait_healthy(self, deadline: float) -> None:
        # Loopback, never through a proxy. Over HTTPS the health check is not verified: it asks our
        # own child, on loopback, for nothing secret (the run itself verifies, see `authload.common._tls`).
        handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
        if self.base_url.startswith("https:"):
            handlers.append(urllib.request.HTTPSHandler(context=ssl._create_unverified_context()))
        opener = urllib.request.build_opener(*handlers)
        while True:
            try:
                with opener.open(self.base_url + _HEALTH_PATH, timeout=1.0) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RunError(f"the mock backend at {self.base_url} did not answer its health check")
            time.sleep(0.05)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        size = self._stderr.tell()
        self._stderr.seek(max(0, size - _STDERR_TAIL))
        return self._stderr.read().decode("utf-8", "replace")

    def stop(self) -> None:
        """Terminate the mock (SIGTERM, then SIGKILL after `stop_timeout`); safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(self.stop_timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> MockProcess:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
