"""authload in Locust's web UI, through Locust's published extension points.

| extension point                        | what authload puts there                                   |
|----------------------------------------|------------------------------------------------------------|
| `app.before_request` on POST /swarm    | the start gate: read, validate, provision, or refuse with   |
|                                        | the message (file:line) before Locust starts a single user |
| `template_args` extendedTabs/Tables    | the "authload" tab: exact percentiles per step and cycle   |
| `app.after_request` on /stats/requests | that tab's rows, live (`extended_stats`)                   |
| `app.after_request` on /               | `cockpit.js`: the form's choices and the tab's panel       |
|                                        | (thresholds, errors, verdict, report links, charts)        |
| routes under /authload/                | the panel's data, the form's choices, report files         |

Every route goes through Locust's `auth_required_if_enabled` (`--web-login`).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from flask import Response, jsonify, request, send_from_directory
from locust.runners import STATE_INIT, STATE_STOPPED
from locust.util.timespan import parse_timespan

from ... import builtin
from ...common import AuthloadError
from ...scenario import format_duration, load_scenario
from ._cockpit import FIGURES, cockpit_state

STATIC = Path(__file__).parent
TAB = "authload"
# Steps and cycles are counted as wholes (a step may send two requests, or none): Locust's own
# Statistics tab counts the HTTP requests.
_TITLES = {"requests": "count", "rps": "per s"}
TABLE = [{"key": "kind", "title": "kind"}, {"key": "name", "title": "name"}] + [
    {"key": key, "title": _TITLES.get(key, key)} for key in FIGURES
]
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def install(run: Any, web_ui: Any) -> None:
    """Extend the web UI of the master (or only) process for `run`."""
    app, guard = web_ui.app, web_ui.auth_required_if_enabled
    web_ui.template_args["extendedTabs"] = [{"title": TAB, "key": TAB}]
    web_ui.template_args["extendedTables"] = [{"key": TAB, "structure": TABLE}]

    def gate() -> Response | None:
        if request.method != "POST" or not request.path.endswith("/swarm"):
            return None
        if web_ui.web_login and not _logged_in():
            return None  # Locust's own login check answers
        return _gate(run)

    def decorate(response: Response) -> Response:
        return _decorate(run, response)

    app.before_request(gate)
    app.after_request(decorate)
    for rule, view in _views(run).items():
        app.add_url_rule(rule, f"authload_{view.__name__}", guard(view))


def _views(run: Any) -> dict[str, Any]:
    """authload's routes (each behind Locust's login when `--web-login` is on)."""

    def state() -> Response:
        return jsonify(cockpit_state(run))

    def choices() -> Response:
        return jsonify(_choices(run.files))

    def scenario_load() -> Response:
        return jsonify(_scenario_load(run.files, request.args.get("scenario", "")))

    def script() -> Response:
        return send_from_directory(STATIC, "cockpit.js", mimetype="application/javascript")

    def report_file(run_id: str, name: str) -> Response:
        """A file of a run this UI started, from reports/<run-id>/ only (no subfolder, no `..`)."""
        if not _RUN_ID.match(run_id) or run_id not in run.started_runs or "/" in name or name.startswith("."):
            return Response("not found", status=404)
        folder = Path(run.options.report_dir) / run_id
        return send_from_directory(folder.resolve(), name)

    return {
        "/authload/state": state,
        "/authload/choices": choices,
        "/authload/load": scenario_load,
        "/authload/cockpit.js": script,
        "/authload/reports/<run_id>/<name>": report_file,
    }


def _logged_in() -> bool:
    from flask_login import current_user  # type: ignore[import-untyped]

    return bool(current_user.is_authenticated)


def _gate(run: Any) -> Response | None:
    """A start from the form is prepared by the run (`Run.start_from_form`); anything wrong
    refuses it in the form, and nothing spawns. Locust's own checks of the form come first: a
    refusal after provisioning would waste it."""
    stopped = run.runner.state in (STATE_INIT, STATE_STOPPED)
    refusal = (_form_problem(request.form) if stopped else None) or run.start_from_form(request.form)
    if refusal is None:
        return None
    run.refused = refusal
    return jsonify({"success": False, "message": refusal, "host": run.environment.host})


def _form_problem(form: Any) -> str | None:
    """Locust's own checks of the form, made before provisioning (which a refusal would waste)."""
    try:
        users, rate = int(form.get("user_count", "")), float(form.get("spawn_rate", ""))
        run_time = form.get("run_time", "")
        if run_time:
            parse_timespan(run_time)
    except ValueError:
        return "users must be a whole number, spawn rate a number, run time like 30s or 2m"
    if users < 1 or not (rate > 0 and math.isfinite(rate)):
        return "users must be at least 1 and the spawn rate more than 0"
    return None


def _decorate(run: Any, response: Response) -> Response:
    """Add the tab's rows to Locust's stats poll, and cockpit.js to Locust's page."""
    path = request.path.rstrip("/")
    if path.endswith("/stats/requests") and response.is_json:
        data = response.get_json()
        figures = cockpit_state(run)["run"]
        data["extended_stats"] = [{"key": TAB, "data": _table_rows(figures)}]
        response.set_data(json.dumps(data))
    elif request.method == "GET" and response.mimetype == "text/html" and "</body>" in _text(response):
        script = '<script defer src="./authload/cockpit.js"></script></body>'
        response.set_data(_text(response).replace("</body>", script, 1))
    return response


def _table_rows(run: dict[str, Any] | None) -> list[dict[str, Any]]:
    if run is None:
        return []
    rows = [dict(row) for row in run["rows"]]
    rows.append({"kind": "total", "name": "steps on the wire", **run["total"]})
    for row in rows:
        row["rps"] = round(row["rps"], 2)
    return rows


def _text(response: Response) -> str:
    return "" if response.direct_passthrough else response.get_data(as_text=True)


def _choices(files: Any) -> dict[str, list[str]]:
    """Scenario files in scenarios/ and beside the current one, and the built-in scenarios (by
    name); environments in the config dir and built in."""
    current = Path(files.scenario)
    found = {str(path) for folder in {Path("scenarios"), current.parent} for path in folder.glob("*.yaml")}
    found |= {files.scenario, *builtin.scenario_names()}
    envs = {path.stem for path in Path(files.config_dir).glob("*.yaml")} | {files.env}
    envs |= set(builtin.environment_names())
    return {"scenarios": sorted(found), "envs": sorted(envs)}


def _scenario_load(files: Any, scenario: str) -> dict[str, Any]:
    """A listed scenario's `load`, to fill the form (only listed files are read)."""
    if scenario not in _choices(files)["scenarios"]:
        return {"error": "not a listed scenario"}
    try:
        load = load_scenario(scenario).load
    except AuthloadError as error:
        return {"error": str(error)}
    return {"users": load.users, "spawn_rate": load.spawn_rate, "run_time": format_duration(load.run_time)}
