"""CometChat auth-flow load test: `locust -f locustfiles/auth_flow.py --scenario S --env E`.

Everything lives in `authload.locust`; this file only exposes it to Locust.
`authload run` composes the same Locust command line around this file.
"""

from authload.locust.locustfile import ArrivalUser, AuthFlowUser, ScenarioShape

__all__ = ["ArrivalUser", "AuthFlowUser", "ScenarioShape"]
