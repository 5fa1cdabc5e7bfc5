"""The uvicorn internals the mock's protocol uses (`mock/_uvicorn.py`) are there, as it calls them:
an upgrade that renames a parameter or an attribute fails here, not in a load run."""

from __future__ import annotations

import asyncio
import inspect
import logging

import uvicorn

from authload.mock import _uvicorn


class _Transport(asyncio.Transport):
    pass


def test_the_asgi_cycle_takes_the_arguments_the_mock_passes() -> None:
    parameters = set(inspect.signature(_uvicorn.RequestResponseCycle).parameters)
    assert parameters == {
        "scope",
        "transport",
        "flow",
        "logger",
        "access_logger",
        "access_log",
        "default_headers",
        "message_event",
        "expect_100_continue",
        "keep_alive",
        "on_response",
    }
    cycle = _uvicorn.RequestResponseCycle(
        scope={},
        transport=_Transport(),
        flow=_uvicorn.FlowControl(_Transport()),
        logger=logging.getLogger("test"),
        access_logger=logging.getLogger("test"),
        access_log=False,
        default_headers=[],
        message_event=asyncio.Event(),
        expect_100_continue=False,
        keep_alive=True,
        on_response=lambda: None,
    )
    for name in (
        "body",
        "more_body",
        "message_event",
        "response_started",
        "response_complete",
        "disconnected",
    ):
        assert hasattr(cycle, name), name
    assert callable(cycle.run_asgi) and cycle.keep_alive


def test_flow_control_server_state_and_config_have_what_the_mock_reads() -> None:
    flow = _uvicorn.FlowControl(_Transport())
    for name in (
        "write_paused",
        "pause_reading",
        "resume_reading",
        "pause_writing",
        "resume_writing",
        "drain",
    ):
        assert hasattr(flow, name), name
    state = _uvicorn.ServerState()
    for name in ("connections", "tasks", "default_headers"):
        assert hasattr(state, name), name
    config = uvicorn.Config(lambda scope, receive, send: None, lifespan="off")
    config.load()
    for name in ("loaded", "loaded_app", "asgi_version", "root_path", "ws_protocol_class"):
        assert hasattr(config, name), name
    assert _uvicorn.STATUS_LINE[200].startswith(b"HTTP/1.1 200") and _uvicorn.HIGH_WATER_LIMIT > 0
    assert {"transport"} <= set(inspect.signature(_uvicorn.get_remote_addr).parameters)
