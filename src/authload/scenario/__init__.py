"""Scenario and environment files: models, validation with file:line errors, secrets.

A bad file is one `ConfigError` whose message names the file, the line and
the field of each problem; never a traceback.
"""

from ._credentials import check_pair
from ._durations import format_duration, parse_duration
from ._environment import Environment, Target
from ._load import Load
from ._loader import (
    check_file,
    environment_path,
    is_builtin,
    load_environment,
    load_run_files,
    load_scenario,
    scenario_path,
)
from ._model import LOCAL_STEPS, PAUSE, STEPS, Flow, Identities, Scenario, Step
from ._thresholds import DEFAULT_GUARD, METRICS, TOTAL, Threshold, parse_threshold

__all__ = [
    "DEFAULT_GUARD",
    "LOCAL_STEPS",
    "METRICS",
    "PAUSE",
    "STEPS",
    "TOTAL",
    "Environment",
    "Flow",
    "Identities",
    "Load",
    "Scenario",
    "Step",
    "Target",
    "Threshold",
    "check_file",
    "check_pair",
    "environment_path",
    "format_duration",
    "is_builtin",
    "load_environment",
    "load_run_files",
    "load_scenario",
    "parse_duration",
    "parse_threshold",
    "scenario_path",
]
