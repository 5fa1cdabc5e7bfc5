"""The locustfile: `locust -f` loads this (through `locustfiles/auth_flow.py`).

Importing it registers authload's options and listeners with Locust (`_hooks`) and exposes
the user classes and the shape Locust finds in a locustfile; each process's `Run` binds its
own subclasses of them, which Locust spawns by these names.
"""

from __future__ import annotations

from locust import events

from authload.locust._hooks import register
from authload.locust.load._arrivals import ArrivalUser
from authload.locust.load._shape import ScenarioShape
from authload.locust.load._user import AuthFlowUser

register(events, {"AuthFlowUser": AuthFlowUser, "ArrivalUser": ArrivalUser})

__all__ = ["ArrivalUser", "AuthFlowUser", "ScenarioShape"]
