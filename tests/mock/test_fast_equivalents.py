"""The mock's hot path replaces a few stdlib calls with cheaper ones; each must give the same
answer as what it replaces, on generated inputs: `wire.encode_json` (a prebuilt C encoder) as
`json.dumps`, `Call.json`'s direct scan as `json.loads`, `HmacSha256` as `hmac.digest`, and the
token randomness read in blocks (`_Entropy`) as fresh, distinct bytes, in a forked child too."""

from __future__ import annotations

import hmac
import json
import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authload.common._errors import ApiError
from authload.mock import MockConfig
from authload.mock._app import create_mock_app
from authload.mock._context import Call
from authload.mock._store import HmacSha256, _Entropy
from authload.mock._user_json import me_prefix, user_json
from authload.protocol import wire

FAST = settings(
    max_examples=int(os.environ.get("AUTHLOAD_PROPERTY_EXAMPLES", "50")), database=None, deadline=None
)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@FAST
@given(json_values)
def test_encode_json_is_json_dumps_compact(value: Any) -> None:
    assert wire.encode_json(value) == json.dumps(value, separators=(",", ":")).encode()


def test_encode_json_refuses_what_json_dumps_refuses() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        wire.encode_json({"a": object()})


def _read(body: bytes) -> tuple[str, Any]:
    call = Call(create_mock_app(MockConfig()).api.state, "POST", "/", {}, body)
    try:
        return "ok", call.json()
    except ApiError as error:
        return "refused", error.error_code


def _loads(body: bytes) -> tuple[str, Any]:
    if not body.strip():
        return "ok", {}
    try:
        value = json.loads(body)
    except ValueError:
        return "refused", wire.ERR_BAD_REQUEST
    return ("ok", value) if isinstance(value, dict) else ("refused", wire.ERR_BAD_REQUEST)


objects = st.dictionaries(st.text(max_size=8), json_values, max_size=4)
bodies = (
    objects.map(lambda value: json.dumps(value).encode())
    | st.tuples(objects, st.sampled_from(["", " ", "\n", "x", "}", " 1", "\x00"])).map(
        lambda pair: (json.dumps(pair[0]) + pair[1]).encode()
    )
    | st.binary(max_size=24).map(lambda raw: b"{" + raw)
    | st.binary(max_size=24)
)


@FAST
@given(bodies)
def test_call_json_reads_bodies_as_json_loads_does(body: bytes) -> None:
    assert _read(body) == _loads(body)


@FAST
@given(st.binary(max_size=200), st.binary(max_size=300))
def test_hmac_sha256_is_hmac_digest(key: bytes, message: bytes) -> None:
    assert HmacSha256(key)(message) == hmac.digest(key, message, "sha256")


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_token_randomness_is_fresh_across_blocks_and_in_a_forked_child() -> None:
    entropy = _Entropy()
    draws = [entropy.hex(15) for _ in range(1000)]  # several 4 KiB blocks
    assert len(set(draws)) == len(draws) and all(len(draw) == 30 for draw in draws)
    before_fork = entropy.hex(15)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its first draw must not be the parent's next one
        os.write(writer, entropy.hex(15).encode())
        os._exit(0)
    os.close(writer)
    child = os.read(reader, 64).decode()
    os.waitpid(pid, 0)
    assert child != entropy.hex(15) and child != before_fork and len(child) == 30


users = st.fixed_dictionaries(
    {
        wire.F_UID: st.text(max_size=12),
        wire.F_NAME: st.text(max_size=12),
        "status": st.sampled_from(["offline", "online"]),
        "role": st.text(max_size=8),
        wire.F_CREATED_AT: st.integers(min_value=0, max_value=2**40),
    }
) | st.dictionaries(st.text(max_size=8), json_values, max_size=6)


@FAST
@given(users, st.text(max_size=20))
def test_the_user_templates_write_what_encode_json_writes(fields: dict[str, Any], identity: str) -> None:
    assert user_json(fields) == wire.encode_json(fields)
    me = {**fields, "status": "online", "wsChannel": {"identity": identity}}
    assert me_prefix(fields, identity) == wire.encode_json(me)[:-1]
