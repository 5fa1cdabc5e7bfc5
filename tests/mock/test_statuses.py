"""The mock's configurable statuses are keyed by protocol's codes and limited to its table."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from authload.mock import MockConfig
from authload.mock._context import MockState
from authload.protocol import wire


def _statuses(config: MockConfig) -> dict[str, int]:
    return MockState.build(config, lambda: 0.0).statuses


def test_every_code_answers_its_table_status_by_default() -> None:
    assert _statuses(MockConfig()) == {code: options[0] for code, options in wire.ERROR_STATUSES.items()}
    codes = {value for name, value in vars(wire).items() if name.startswith(("ERR_", "AUTH_ERR_"))}
    assert codes == set(wire.ERROR_STATUSES)  # every error code protocol names has a status


@pytest.mark.parametrize("code", list(wire.UNSURE_STATUSES))
def test_each_unsure_status_can_be_chosen(code: str) -> None:
    for status in wire.UNSURE_STATUSES[code]:
        config = MockConfig.model_validate({"statuses": {code: status}})
        assert config.statuses == {code: status} and _statuses(config)[code] == status
        older = MockConfig.model_validate({"statuses": {code.lower(): status}})  # the old field names
        assert older.statuses == config.statuses


@pytest.mark.parametrize(
    ("statuses", "says"),
    [
        ({wire.ERR_UID_NOT_FOUND: 400}, "has a fixed status"),
        ({"ERR_NO_SUCH_CODE": 400}, "has a fixed status"),
        ({wire.ERR_UID_ALREADY_EXISTS: 404}, "404 is not one of 400, 409"),
        ({wire.ERR_UID_ALREADY_EXISTS: 409, "err_uid_already_exists": 400}, "given twice"),
    ],
)
def test_a_status_outside_the_table_is_refused(statuses: dict[str, int], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        MockConfig.model_validate({"statuses": statuses})
