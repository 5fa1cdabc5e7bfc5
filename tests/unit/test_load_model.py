"""The load section: rates, stages, the arrival math and every mistake's file:line message."""

from __future__ import annotations

from pathlib import Path

import pytest

from authload import ConfigError, load_scenario
from authload.scenario import Scenario
from authload.scenario._load import Stage, arrival_offsets, parse_rate, users_at

FLOWS = "flows:\n  login: {steps: [login_auth_token, logout]}\n"


def scenario(tmp_path: Path, load: str, extra: str = "") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nidentities: {{count: 2}}\nload:\n{load}\n{FLOWS}{extra}")
    return path


@pytest.mark.parametrize(
    ("text", "per_second"), [("200/s", 200.0), ("600/m", 10.0), ("36/h", 0.01), ("7", 7.0), (2.5, 2.5)]
)
def test_rates(text: object, per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["fast", "10/d", "-5/s", "1000001/s", True, "10/s -> 20/s"])
def test_bad_rates(text: object) -> None:
    with pytest.raises(ValueError):
        parse_rate(text)


def test_constant_rate_is_evenly_spaced() -> None:
    times = [t for t, _ in arrival_offsets([(4.0, 100.0, 100.0)])]
    assert len(times) == 400
    assert times == pytest.approx([k / 100 for k in range(400)])


@pytest.mark.parametrize("processes", [2, 3, 7])
def test_processes_split_the_rate_exactly(processes: int) -> None:
    stages = [(4.0, 100.0, 100.0)]
    shares = [[t for t, _ in arrival_offsets(stages, 1 / processes, i / processes)] for i in range(processes)]
    assert sum(len(share) for share in shares) == 400
    assert sorted(t for share in shares for t in share) == pytest.approx([k / 100 for k in range(400)])


def test_ramp_integrates_the_rate() -> None:
    arrivals = list(arrival_offsets([(30.0, 10.0, 500.0), (60.0, 500.0, 500.0)]))
    in_ramp = [t for t, stage in arrivals if stage == 0]
    assert len(in_ramp) == (10 + 500) / 2 * 30  # the area under the ramp
    assert len(arrivals) - len(in_ramp) == 500 * 60
    assert in_ramp[1] - in_ramp[0] == pytest.approx(1 / 10, rel=0.1)  # slow at first
    assert in_ramp[-1] - in_ramp[-2] == pytest.approx(1 / 500, rel=0.05)  # fast at the end
    assert all(b >= a for (a, _), (b, _) in zip(arrivals, arrivals[1:], strict=False))
    # Arrivals in the first second of the ramp: the integral of 10 + (490/30) t from 0 to 1.
    assert len([t for t in in_ramp if t < 1]) == 19  # 10 + 490/60 = 18.17: arrivals k = 0..18


def test_ramp_down_to_zero_ends_the_arrivals() -> None:
    times = [t for t, _ in arrival_offsets([(10.0, 100.0, 0.0)])]
    assert len(times) == 500 and times[-1] < 10.0


def test_closed_stages_give_users_and_spawn_rate() -> None:
    stages = [
        Stage(duration=10, users="0 -> 100"),
        Stage(duration=5, users=100),
        Stage(duration=5, users="100->0"),
    ]
    assert users_at(stages, 0, 7) == (0, 10.0)
    assert users_at(stages, 5, 7) == (50, 10.0)
    assert users_at(stages, 12, 7) == (100, 7)  # a hold uses the scenario's spawn_rate
    assert users_at(stages, 17.5, 7) == (50, 20.0)
    assert users_at(stages, 20, 7) is None


def test_open_model_loads_and_travels_to_workers(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        "  max_users: 50\n  max_wait: 500ms\n  stages:\n"
        "    - {duration: 30s, arrival_rate: 10/s -> 500/s}\n    - {duration: 1m, arrival_rate: 500/s}",
        'thresholds:\n  arrivals.dropped: "== 0"\n  arrivals.drop_rate: "< 1%"\n'
        '  intended.login.p95: "< 1s"\n',
    )
    loaded = load_scenario(path)
    assert loaded.load.open_model and loaded.load.run_time == 90.0 and loaded.load.max_wait == 0.5
    assert loaded.load.arrival_stages() == [(30.0, 10.0, 500.0), (60.0, 500.0, 500.0)]
    assert [rule.target for rule in loaded.parsed_thresholds()] == ["arrivals", "arrivals", "intended.login"]
    assert Scenario.model_validate(loaded.model_dump(mode="json")) == loaded  # the plan message


@pytest.mark.parametrize(
    ("load", "extra", "line", "message"),
    [
        ("  arrival_rate: 10/s", "", 3, "load.max_users: the open model needs max_users"),
        (
            "  arrival_rate: 10/s\n  max_users: 5\n  users: 3",
            "",
            6,
            "load.users: users is for the closed model",
        ),
        ("  arrival_rate: 10/s -> 20/s\n  max_users: 5", "", 4, "a ramp (START -> END) goes in stages"),
        ("  arrival_rate: 10/q\n  max_users: 5", "", 4, "'10/q' is not a rate"),
        ("  users: 3\n  max_users: 5", "", 5, "load.max_users: max_users is for the open model"),
        (
            "  max_users: 5\n  stages:\n    - {duration: 1s, arrival_rate: 5/s}\n"
            "    - {duration: 1s, users: 5}",
            "",
            5,
            "load.stages: every stage sets arrival_rate, or every stage sets users",
        ),
        ("  stages:\n    - {duration: 1s}", "", 5, "a stage sets arrival_rate (open model) or users"),
        ("  stages:\n    - {duration: 0s, users: 3}", "", 5, "load.stages[0].duration"),
        ("  run_time: 5s\n  stages:\n    - {duration: 2s, users: 3}", "", 4, "the stages last 2s"),
        ("  users: 3", 'thresholds:\n  arrivals.dropped: "== 0"\n', 8, "unknown threshold target 'arrivals'"),
        (
            "  arrival_rate: 5/s\n  max_users: 5",
            'thresholds:\n  arrivals.p95: "< 1s"\n',
            9,
            "arrivals take dropped or drop_rate",
        ),
        ("  arrival_rate: 5/s\n  max_users: 5\n  max_wait: 2h", "", 6, "load.max_wait"),
    ],
)
def test_load_mistakes_name_file_and_line(
    tmp_path: Path, load: str, extra: str, line: int, message: str
) -> None:
    path = scenario(tmp_path, load, extra)
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    text = str(caught.value)
    assert f"{path}:{line}:" in text and message in text, text
