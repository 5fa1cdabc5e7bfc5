"""JSON Schemas of the files people write (scenario, environment) and of summary.json.

The scenario and environment schemas are generated from the pydantic models,
then adjusted to the file format the loader reads, which is looser than the
models' own fields: durations as text (`30s`), steps by name (`logout`) or
as `{pause: 1s-3s}`, and `${VAR}` in place of any value. Editors use them
through the YAML language server (`# yaml-language-server: $schema=...` at the
top of a file); `schemas/` in the repository holds the generated copies.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from ..scenario import METRICS, PAUSE, STEPS, Environment, Scenario
from ..scenario._thresholds import ARRIVAL_METRICS
from ..scenario._yaml import VARIABLE

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_DURATION_TEXT = r"^\s*(\d+(\.\d+)?(ms|s|m|h)\s*)+$|^\s*\d+(\.\d+)?\s*$"
_VARIABLE = {"type": "string", "pattern": VARIABLE.pattern}  # the loader's own `${VAR}` pattern
_DURATION = {"type": "string", "pattern": _DURATION_TEXT, "description": "e.g. 500ms, 30s, 2m, 1h30m"}
_PAUSE_TEXT = r"^\s*\d+(\.\d+)?(ms|s|m|h)?\s*(-\s*\d+(\.\d+)?(ms|s|m|h)?\s*)?$"
_STEP = {
    "anyOf": [
        {"enum": list(STEPS), "description": "an auth step"},
        {
            "type": "object",
            "description": "a think time: {pause: 1s} or {pause: 1s-3s}",
            "properties": {
                PAUSE: {
                    "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": _PAUSE_TEXT}]
                }
            },
            "required": [PAUSE],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "description": "a step that must fail: {STEP: {expect: ERROR_CODE}}",
            "propertyNames": {"enum": list(STEPS)},
            "additionalProperties": {
                "type": "object",
                "properties": {"expect": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,99}$"}},
                "required": ["expect"],
                "additionalProperties": False,
            },
            "minProperties": 1,
            "maxProperties": 1,
        },
        {
            "type": "object",
            "description": "a request to the app's own server: {http: {name, method, url, ...}}",
            "properties": {"http": {"$ref": "#/$defs/HttpStep"}},
            "required": ["http"],
            "additionalProperties": False,
        },
    ]
}
_THRESHOLD_KEY = r"^.+\.(" + "|".join((*METRICS, *ARRIVAL_METRICS)) + ")$"
_THRESHOLD_RULE = {
    "anyOf": [{"type": "string"}, {"type": "number"}],
    "description": 'e.g. "< 250ms", "<= 1%", "> 100", "< +10% baseline" (with authload run --baseline)',
    "examples": ["< 250ms", "< 1%", "< +10% baseline"],
}
SCHEMAS = ("scenario", "environment", "summary")


def _allow_variables(node: Any) -> Any:
    """Every value that is not free text may also be written as `${VAR}` (substituted on load)."""
    if isinstance(node, list):
        return [_allow_variables(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _allow_variables(value) for key, value in node.items()}
    if "enum" in node or node.get("type") in ("integer", "number", "boolean"):
        return {"anyOf": [node, _VARIABLE]}
    return node


def scenario_schema() -> dict[str, Any]:
    """The schema of a scenario file, as the YAML language server reads it."""
    schema = Scenario.model_json_schema()
    defs = schema["$defs"]
    defs["Load"]["properties"]["run_time"] = {
        "anyOf": [{"type": "number", "exclusiveMinimum": 0}, _DURATION],
        "description": "run time: 30s, 2m, 1h30m or seconds",
        "default": "30s",
    }
    defs["Flow"]["properties"]["steps"]["items"] = _STEP
    defs.pop("Step", None)
    schema["properties"]["thresholds"] = {
        "description": schema["properties"]["thresholds"].get("description", ""),
        "anyOf": [
            {
                "type": "object",
                "propertyNames": {"pattern": _THRESHOLD_KEY},
                "additionalProperties": _THRESHOLD_RULE,
            },
            {"type": "null"},
        ],
    }
    return {"$schema": DRAFT, **_allow_variables(schema), "title": "authload scenario"}


def environment_schema() -> dict[str, Any]:
    """The schema of an environment file (`config/*.yaml`)."""
    schema = Environment.model_json_schema()
    return {"$schema": DRAFT, **_allow_variables(schema), "title": "authload environment"}


def summary_schema() -> dict[str, Any]:
    """The schema of summary.json (shipped as `authload/report/summary.schema.json`)."""
    text = resources.files("authload.report").joinpath("summary.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def schema_text(name: str) -> str:
    """One schema as the file `schemas/NAME.schema.json` holds it."""
    make = {"scenario": scenario_schema, "environment": environment_schema, "summary": summary_schema}
    return json.dumps(make[name](), indent=2) + "\n"
