"""`python -m authload.mock`: serve the mock; print one JSON line when ready.

```
python -m authload.mock --host 127.0.0.1 --port 0 [--config-stdin | --config-json JSON] [--parent-pid PID]
```

`--config-stdin` reads the `MockConfig` JSON from stdin until EOF (what `MockProcess`
uses, so keys never appear on a command line); `--config-json` is for hand use.

The ready line is `{"base_url": "http://127.0.0.1:PORT", "app_id": ..., "region": ..., "pid": ...}`.
With `--parent-pid`, the mock exits when that process is gone, so an orphan never lingers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

from pydantic import ValidationError

from ..common import one_line
from ._config import MockConfig
from ._server import serve

_WATCH_INTERVAL = 0.5
_FORCED_EXIT_AFTER = 5.0


def _parent_alive(parent_pid: int, direct: bool) -> bool:
    if direct:  # reparenting is the surest sign, and it ignores an unreaped zombie
        return os.getppid() == parent_pid
    try:
        os.kill(parent_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch_parent(parent_pid: int, stop: threading.Event) -> None:
    direct = os.getppid() == parent_pid
    while not stop.wait(_WATCH_INTERVAL):
        if not _parent_alive(parent_pid, direct):
            stop.set()
            time.sleep(_FORCED_EXIT_AFTER)  # uvicorn had its chance to stop cleanly
            os._exit(0)


def main(argv: list[str] | None = None) -> int:
    """Parse the options and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m authload.mock", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (0 = a free one; see the ready line)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--config-json", default=None, help="MockConfig as JSON (visible in `ps`)")
    source.add_argument("--config-stdin", action="store_true", help="read the MockConfig JSON from stdin")
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    args = parser.parse_args(argv)
    text = sys.stdin.read() if args.config_stdin else args.config_json
    try:
        config = MockConfig.model_validate_json(text) if text else MockConfig()
    except ValidationError as error:
        origin = "stdin" if args.config_stdin else "--config-json"
        print(
            f"authload.mock: invalid configuration on {origin}: {one_line(error.errors())}", file=sys.stderr
        )
        return 2
    stop = threading.Event()
    if args.parent_pid is not None:
        threading.Thread(target=_watch_parent, args=(args.parent_pid, stop), daemon=True).start()

    def ready(base_url: str) -> None:
        line = {"base_url": base_url, "app_id": config.app_id, "region": config.region, "pid": os.getpid()}
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()

    try:
        serve(config, args.host, args.port, ready, stop=stop)
    except (OSError, OverflowError) as error:  # cannot bind host:port (or no such port)
        print(f"authload.mock: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
