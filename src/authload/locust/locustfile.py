"""The locustfile: `locust -f` loads this (through `locustfiles/auth_flow.py`).

Importing it registers authload's options and event listeners with Locust and
exposes `AuthFlowUser`, the one user class Locust runs.
"""

from __future__ import annotations

from locust import events

from authload.locust._lifecycle import register
from authload.locust._options import add_arguments
from authload.locust._user import AuthFlowUser
from authload.locust._webui import on_init as extend_web_ui

events.init_command_line_parser.add_listener(add_arguments)
register(events)
events.init.add_listener(extend_web_ui)  # after the run's own init listener

__all__ = ["AuthFlowUser"]
