"""The run key: sealed plans open only with the same key and recipient; tags bind every part."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from authload.common._errors import ConfigError
from authload.locust.distributed._runkey import ENV_VAR, RunKey, resolve

KEY = RunKey("k" * 32)


def test_seal_hides_the_value_and_opens_only_with_key_and_recipient() -> None:
    sealed = KEY.seal({"rest_api_key": "SECRET-REST-KEY"}, "worker-a")
    assert "SECRET-REST-KEY" not in repr(sealed)
    assert KEY.open(sealed, "worker-a") == {"rest_api_key": "SECRET-REST-KEY"}
    with pytest.raises(ValueError):
        KEY.open(sealed, "worker-b")
    with pytest.raises(ValueError):
        RunKey("x" * 32).open(sealed, "worker-a")
    tampered = {**sealed, "box": sealed["box"][:-4] + ("AAAA" if sealed["box"][-4:] != "AAAA" else "BBBB")}
    with pytest.raises(ValueError):
        KEY.open(tampered, "worker-a")


def test_tags_bind_each_part() -> None:
    tag = KEY.tag("report", "w1", 3, "[]")
    assert KEY.verify(tag, "report", "w1", 3, "[]")
    assert not KEY.verify(tag, "report", "w1", 4, "[]")
    assert not KEY.verify(tag, "report", "w1", 3, "[1]")
    assert not KEY.verify(None, "report", "w1", 3, "[]")


def test_distributed_runs_need_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(ConfigError, match=ENV_VAR):
        resolve(SimpleNamespace(master=True, worker=False, processes=None))
    assert resolve(SimpleNamespace(master=False, worker=False, processes=None)) is None
    monkeypatch.setenv(ENV_VAR, "short")
    with pytest.raises(ConfigError, match="at least"):
        resolve(SimpleNamespace(master=False, worker=True, processes=None))
