"""Property tests of `authload validate` on generated scenario and environment documents:
valid ones pass, broken ones are exit 2 naming the file, nothing is ever a traceback or slow."""

from __future__ import annotations

import contextlib
import io
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authload.commands.cli import main

FAST = settings(
    max_examples=int(os.environ.get("AUTHLOAD_PROPERTY_EXAMPLES", "50")),
    database=None,
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Any character a file can hold (lone surrogates cannot be written as UTF-8: they are bytes below).
YAMLISH = st.sampled_from(list("abz09_-:.,[]{}&*!<|>'\"#%@?=$\\ \n\t")) | st.characters(
    exclude_categories=("Cs",)
)

flow_names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda name: (
        name not in ("total", "pause")
        and not name.startswith(("login_", "create_", "delete_"))
        and name not in ("logout", "session_check")
    )
)
durations = st.sampled_from(["0s", "10ms", "1s", "2m", "500ms", "1h"])
auth_steps = st.sampled_from(["login_auth_key", "session_check", "logout"])
steps = (
    st.lists(auth_steps | durations.map(lambda d: {"pause": d}), max_size=5)
    .flatmap(lambda rest: auth_steps.map(lambda first: [first, *rest]))
    .filter(lambda found: any(isinstance(step, str) for step in found))
)


@st.composite
def valid_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    flows = draw(
        st.dictionaries(
            flow_names,
            st.fixed_dictionaries({"weight": st.integers(1, 100), "steps": steps}),
            min_size=1,
            max_size=3,
        )
    )
    document: dict[str, Any] = {
        "name": draw(st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=20)),
        "load": {"users": draw(st.integers(1, 50)), "run_time": draw(durations.filter(lambda d: d != "0s"))},
        "flows": flows,
    }
    rules = {"total.error_rate": "< 5%", "total.p95": "< 250ms", "total.requests": "> 10"}
    chosen = draw(st.none() | st.lists(st.sampled_from(sorted(rules)), unique=True))
    if chosen is not None:
        document["thresholds"] = {key: rules[key] for key in chosen}
    return document


@st.composite
def environments(draw: st.DrawFn) -> dict[str, Any]:
    value = st.text(YAMLISH, max_size=20) | st.sampled_from(
        ["abc123", "evil.com/x#", "http://127.0.0.1:1", "file:///etc/passwd", "k\r\n", "us", "moon"]
    )
    fields = ("app_id", "region", "rest_base_url", "client_base_url", "rest_api_key", "auth_key")
    document = {"name": "e", "backend": draw(st.sampled_from(["mock", "cometchat"]))}
    document.update(draw(st.dictionaries(st.sampled_from(fields), value, max_size=4)))
    return document


def validate(path: Path, content: bytes) -> tuple[int, str]:
    """Exit code and stderr of `authload validate path`, in this process, timed."""
    path.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(path)])
    assert time.monotonic() - started < 2
    return code, err.getvalue()


def dump(document: dict[str, Any]) -> bytes:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode()


@pytest.mark.timeout(60)
@FAST
@given(document=valid_scenarios())
def test_valid_scenarios_pass(tmp_path: Path, document: dict[str, Any]) -> None:
    code, err = validate(tmp_path / "s.yaml", dump(document))
    assert code == 0, err


@pytest.mark.timeout(60)
@FAST
@given(document=valid_scenarios(), data=st.data())
def test_broken_documents_are_exit_2_naming_the_file(
    tmp_path: Path, document: dict[str, Any], data: st.DataObject
) -> None:
    """Each mutation is one mistake the loader must name: a wrong value, an unknown field or
    step, a cut in the text, or hostile YAML."""
    flow = next(iter(document["flows"]))
    mutation = data.draw(
        st.sampled_from(
            [
                ("load", {"users": 0}),
                ("load", {"run_time": "forever"}),
                ("colour", "red"),
                ("flows", {flow: {"steps": ["login_auth_kee"]}}),
                ("flows", {flow: {"weight": 1e308, "steps": ["logout"]}}),
                ("flows", {flow: {"steps": [{"pause": "1s"}]}}),
                ("thresholds", {"total.error_rate": "< 200%"}),
                ("identities", {"uid_prefix": "ab\n"}),
                ("name", "a\x1b[31m"),
            ]
        )
    )
    text = dump({**document, mutation[0]: mutation[1]})
    text = data.draw(
        st.sampled_from(
            [
                text,
                b"x: &a [*a]\n" + text,
                text + b"<<: {a: 1}\n",
                text.replace(b"name:", b"name: !evil", 1),
                text + b"\x00",
                text.decode().encode("utf-16"),
            ]
        )
    )
    path = tmp_path / "s.yaml"
    code, err = validate(path, text)
    assert code == 2 and err.startswith(f"authload: {path}:"), err
    assert "Traceback" not in err


@pytest.mark.timeout(60)
@FAST
@given(document=valid_scenarios() | environments(), noise=st.data())
def test_any_document_is_exit_0_or_2_and_never_a_traceback(
    tmp_path: Path, document: dict[str, Any], noise: st.DataObject
) -> None:
    """Random cuts and insertions of YAML punctuation, control characters or bytes."""
    text = bytearray(dump(document))
    for _ in range(noise.draw(st.integers(0, 3))):
        at = noise.draw(st.integers(0, len(text)))
        if noise.draw(st.booleans()):
            del text[at : at + noise.draw(st.integers(0, 8))]
        else:
            text[at:at] = noise.draw(st.text(YAMLISH, max_size=6)).encode() or noise.draw(
                st.binary(max_size=3)
            )
    path = tmp_path / "doc.yaml"
    code, err = validate(path, bytes(text))
    assert code in (0, 2), err
    if code == 2:
        assert err.startswith(f"authload: {path}"), err
    assert "Traceback" not in err
