"""The locustfile: `locust -f` loads this (through `locustfiles/auth_flow.py`).

Importing it registers authload's options and event listeners with Locust and
exposes `AuthFlowUser`, the one user class Locust runs.
"""

from __future__ import annotations

from locust import events

from .load._arrivals import ArrivalUser
from .load._arrivals import on_init as listen_for_arrivals
from .load._shape import ScenarioShape
from .load._shape import on_init as choose_shape
from .load._user import AuthFlowUser
from .run._options import add_arguments
from .run._run import register
from .webui._routes import on_init as extend_web_ui

events.init_command_line_parser.add_listener(add_arguments)
register(events)
events.init.add_listener(extend_web_ui)  # after the run's own init listener

events.init.add_listener(listen_for_arrivals)
events.init.add_listener(choose_shape)  # after the run's (the plan) and the web UI's (its start gate)

__all__ = ["ArrivalUser", "AuthFlowUser", "ScenarioShape"]
