"""Scenario and environment files: what loads, and the message each mistake gets."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from authload import ConfigError, MissingSecretError, load_environment, load_scenario
from authload.report import Figures, RunSummary, console_table, evaluate, junit_xml
from authload.scenario import Scenario, parse_duration

ROOT = Path(__file__).resolve().parents[2]
GOOD = """\
name: t
identities: {count: 3, uid_prefix: t-, tokens: pre_minted}
load: {users: 2, spawn_rate: 2, run_time: 1m30s}
flows:
  returning:
    weight: 3
    steps: [session_check, login_auth_token, {pause: 1s-3s}, logout]
  signup:
    weight: 1
    steps: [create_user, create_auth_token, login_auth_token, logout, delete_user]
thresholds:
  login_auth_token.p95: "< 250ms"
  total.error_rate: "< 1%"
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    return str(caught.value)


@pytest.mark.parametrize("name", ["smoke", "login_storm", "signup_burst"])
def test_shipped_scenarios_load(name: str) -> None:
    scenario = load_scenario(name)  # a name: the built-in scenario
    assert scenario.flows and scenario.parsed_thresholds()


def test_good_scenario(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, GOOD))
    assert scenario.load.run_time == 90.0
    assert scenario.flows["returning"].steps[2].pause == (1.0, 3.0)
    assert scenario.step_names() == {
        "session_check",
        "login_auth_token",
        "logout",
        "create_user",
        "create_auth_token",
        "delete_user",
    }
    rules = {rule.key: rule for rule in scenario.parsed_thresholds()}
    assert rules["login_auth_token.p95"].limit == 250 and rules["total.error_rate"].limit == 0.01


@pytest.mark.parametrize(
    ("old", "new", "line", "expected"),
    [
        ("weight: 3", "weight: 3\n    colour: red", 7, "flows.returning.colour: unknown field 'colour'"),
        (
            "steps: [session_check,",
            "steps: [sesion_check,",
            7,
            "flows.returning.steps[0]: unknown step 'sesion_check'",
        ),
        ("users: 2", "users: -5", 3, "load.users: Input should be greater than or equal to 1"),
        ("users: 2", "users: many", 3, "load.users: Input should be a valid integer"),
        ("weight: 3", "weight: 0", None, "flow weights sum to zero"),
        ("run_time: 1m30s", "run_time: soon", 3, "load.run_time: 'soon' is not a duration"),
        ("p95: ", "p42: ", 12, "thresholds.login_auth_token.p42: unknown metric 'p42'"),
        ('"< 250ms"', '"< 250"', 12, "p95 needs a time unit"),
        ("login_auth_token.p95", "login_auth_kye.p95", 12, "unknown threshold target 'login_auth_kye'"),
        ("uid_prefix: t-", "uid_prefix: T X", 2, "identities.uid_prefix: must be 1-60 characters"),
        ("{pause: 1s-3s}", "{pause: 3s-1s}", 7, "pause range must go from short to long"),
    ],
)
def test_mistakes_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, line: int | None, expected: str
) -> None:
    text = GOOD.replace(old, new, 1)
    if "weight: 0" in new:
        text = text.replace("weight: 1", "weight: 0")
    path = write(tmp_path, text)
    message = error_of(path)
    assert message.startswith(f"{path}:{line}:" if line else f"{path}:"), message
    assert expected in message
    assert "Traceback" not in message


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: t\nflows:\n  a: [unclosed\n")
    message = error_of(path)
    assert message.startswith(f"{path}:") and "invalid YAML" in message


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "name: again\n")
    assert error_of(path) == f"{path}:14: name: duplicate key"


def test_login_without_token_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("tokens: pre_minted", "tokens: in_flow"))
    message = error_of(path)
    assert f"{path}:7: flows.returning.steps: login_auth_token needs a token" in message


def test_pool_needed_but_empty(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("count: 3", "count: 0"))
    assert "identities.count: a flow logs in as a provisioned user, but count is 0" in error_of(path)


def test_several_errors_are_all_reported(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("users: 2", "users: 0").replace("weight: 3", "weight: 3\n    x: 1"))
    message = error_of(path)
    assert "load.users" in message and "flows.returning.x" in message and len(message.splitlines()) == 2


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot read file" in error_of(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("text", "seconds"), [("500ms", 0.5), ("2m", 120), ("1h30m", 5400), (45, 45)])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


ENV = """\
name: stage
backend: cometchat
app_id: ${APP}
region: eu
rest_api_key: ${REST_KEY}
auth_key: ${AUTH_KEY:-}
"""


def test_environment_builds_cometchat_hosts(tmp_path: Path) -> None:
    path = write(tmp_path, ENV, "stage.yaml")
    env = load_environment(path, environ={"APP": "abc123", "REST_KEY": "s3cr3t-rest-key"})
    target = env.resolve()
    assert target.rest_base_url == "https://abc123.api-eu.cometchat.io"
    assert target.client_base_url == "https://abc123.apiclient-eu.cometchat.io"
    assert target.rest_api_key == "s3cr3t-rest-key" and target.auth_key == ""
    assert "s3cr3t" not in repr(env) and "s3cr3t" not in repr(target)


def test_missing_secret_names_variable_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, ENV, "stage.yaml")
    with pytest.raises(MissingSecretError) as caught:
        load_environment(path, environ={"APP": "abc"})
    assert str(caught.value) == f"{path}:5: rest_api_key: environment variable REST_KEY is not set"


def test_unknown_environment_lists_known_ones(tmp_path: Path) -> None:
    (tmp_path / "mock.yaml").write_text("name: mock\nbackend: mock\n")
    known = r"\(known: mock, mock-chaos, production, staging\)"  # the folder's, and the built-in ones
    with pytest.raises(ConfigError, match=rf"unknown environment 'qa' {known}"):
        load_environment("qa", tmp_path)


def test_shipped_environments() -> None:
    mock = load_environment("mock")  # built in
    assert mock.embedded_mock
    environ = {"COMETCHAT_APP_ID": "a1", "COMETCHAT_REST_API_KEY": "k" * 40}
    production = load_environment("production", environ=environ)
    assert production.production and production.resolve().rest_base_url == "https://a1.api-us.cometchat.io"


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: t\ndescription: caf\xe9\n")
    assert error_of(path) == f"{path}:2: the file is not UTF-8 text"


def test_complex_keys_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "name: t\n? [a, b]\n: 1\n")
    assert error_of(path) == f"{path}:2: keys must be plain names"


@pytest.mark.parametrize("value", [".inf", ".nan"])
def test_infinite_weights_are_refused(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, GOOD.replace("weight: 3", f"weight: {value}"))
    assert f"{path}:6: flows.returning.weight:" in error_of(path)


def test_pool_flow_cannot_delete_its_user(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("{pause: 1s-3s}, logout]", "{pause: 1s-3s}, logout, delete_user]"))
    assert "flows.returning.steps: delete_user would delete a provisioned user" in error_of(path)


@pytest.mark.parametrize(("seconds", "text"), [(0.2, "1s"), (2.5, "3s"), (60, "60s")])
def test_run_time_for_locust_is_whole_seconds(seconds: float, text: str) -> None:
    from authload.scenario import format_duration

    assert format_duration(seconds) == text


def _run_summary(scenario: Scenario, total: Figures, name: str = "t") -> RunSummary:
    verdicts = evaluate(scenario.parsed_thresholds(), {}, {}, total)
    return RunSummary(
        run_id="20261128T000000Z-abcd",
        scenario=name,
        scenario_file="s.yaml",
        environment="mock",
        backend="mock",
        started_at="2026-11-28T00:00:00Z",
        duration_s=10.0,
        steps={},
        cycles={},
        total=total,
        verdicts=verdicts,
    )


def test_no_thresholds_section_gets_the_default_guard(tmp_path: Path) -> None:
    """93% TRANSPORT_CONNECT when the backend died mid-run must not read PASS."""
    text = GOOD[: GOOD.index("thresholds:")]
    guarded = load_scenario(write(tmp_path, text))
    assert guarded.thresholds is None
    rule, correct, stalled = guarded.parsed_thresholds()
    assert (rule.key, rule.text, rule.limit) == ("total.error_rate", "< 5%", 0.05) and rule.note
    assert (correct.key, correct.text, correct.limit) == ("total.correctness_failures", "== 0", 0)
    assert "correctness_failures" in correct.note
    assert (stalled.key, stalled.text, stalled.limit) == ("total.stalled_s", "== 0", 0)
    # a worker gets the scenario as model_dump's plain data: the guard survives the trip
    again = Scenario.model_validate(guarded.model_dump(mode="json"))
    assert again.parsed_thresholds() == [rule, correct, stalled]

    died = _run_summary(
        guarded, Figures(1000, 930, 1.0, 1.0, 1.0, 1.0, 1.0, 100.0, {"TRANSPORT_CONNECT": 930})
    )
    assert not died.passed and died.exit_code == 1
    data = died.to_json()
    assert data["verdict"] == "fail" and data["thresholds"][0]["note"] == rule.note
    case = ET.fromstring(junit_xml(died)).find("testcase")
    assert case is not None and case.get("name") == "total.error_rate"
    assert case.find("properties/property[@name='note']") is not None and case.find("failure") is not None
    assert "(default guard)" in console_table(died)
    healthy = _run_summary(guarded, Figures(1000, 10, 1.0, 1.0, 1.0, 1.0, 1.0, 100.0))
    assert healthy.passed and healthy.exit_code == 0
    wrong = Figures(1000, 0, 1.0, 1.0, 1.0, 1.0, 1.0, 100.0, correctness_failures=1)
    judged = _run_summary(guarded, wrong)  # fast, no errors, but a deleted token still logged in
    assert not judged.passed and [v.passed for v in judged.verdicts] == [True, False, True]


def test_explicit_empty_thresholds_switch_the_guard_off(tmp_path: Path) -> None:
    text = GOOD[: GOOD.index("thresholds:")] + "thresholds: {}\n"
    unguarded = load_scenario(write(tmp_path, text))
    assert unguarded.thresholds == {} and unguarded.parsed_thresholds() == []
    assert Scenario.model_validate(unguarded.model_dump(mode="json")).parsed_thresholds() == []
    died = _run_summary(unguarded, Figures(1000, 930, 1.0, 1.0, 1.0, 1.0, 1.0, 100.0))
    assert died.passed and died.exit_code == 0


def test_junit_holds_only_characters_xml_can(tmp_path: Path) -> None:
    """Names and errors reach junit.xml from elsewhere too; the file must still parse."""
    guarded = load_scenario(write(tmp_path, GOOD[: GOOD.index("thresholds:")]))
    result = _run_summary(guarded, Figures(10, 0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0), name="a\x01b\x1b[31m")
    result.status, result.error = "error", "backend said \x00\x0b"
    suite = ET.fromstring(junit_xml(result))
    assert suite.get("name") == "authload.a\\x01b\\x1b[31m"
    assert suite.find("testcase[@name='run']/error") is not None
