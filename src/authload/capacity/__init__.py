"""`authload capacity`'s logic, without I/O: the search (`_search`: which rate next), each
probe's judgement from its run's summary (`_probe`: held, broke, or limited by the load
generator), and the outcome (`_result`: the rate proven, what broke first, the exit code).
`commands._capacity` runs the probes; `report._capacity` writes the search's reports."""

from ._probe import ERROR, FAIL, GENERATOR, PASS, Probe, judge
from ._result import Outcome
from ._search import BACKEND, SEARCH_RANGE, Search, plan_text

__all__ = [
    "BACKEND",
    "ERROR",
    "FAIL",
    "GENERATOR",
    "PASS",
    "SEARCH_RANGE",
    "Outcome",
    "Probe",
    "Search",
    "judge",
    "plan_text",
]
