"""Provisioning from `identities.csv`: the file's users are used as they are (never created, never
in the ledger), its tokens are logged in with, and only rows without one get a token minted."""

from __future__ import annotations

import time
from pathlib import Path

from authload import MockProcess
from authload.client import AdminClient
from authload.pool import LedgerWriter, Silent, on_threads, provision
from authload.scenario import Environment, Identities


def test_the_csv_users_are_used_with_their_tokens(tmp_path: Path) -> None:
    with MockProcess() as mock:
        target = Environment(name="m", backend="mock", rest_base_url=mock.base_url).resolve()
        with AdminClient(target.rest_base_url, app_id=target.app_id, api_key=target.rest_api_key) as admin:
            for uid in ("csv-a", "csv-b"):
                admin.create_user(uid, uid)
            given = admin.create_auth_token("csv-a").token
            (tmp_path / "users.csv").write_text(f"uid,auth_token\ncsv-a,{given}\ncsv-b,\n")
            spec = Identities(csv=str(tmp_path / "users.csv"), count=1, uid_prefix="gen-")
            ledger = LedgerWriter(tmp_path / "ledger.jsonl", {"ledger": 1})
            outcome = provision(spec, target, admin, on_threads, time.sleep, Silent(), ledger=ledger)
            ledger.close()
    tokens = {identity.uid: identity.token for identity in outcome.identities}
    assert tokens.keys() == {"csv-a", "csv-b", "gen-0"} and not outcome.errors
    assert tokens["csv-a"] == given  # the file's own token, not a new one
    assert tokens["csv-b"] and tokens["csv-b"] != given  # minted: the row had none
    assert outcome.created == ["gen-0"]  # the CSV's users are not the run's
    assert "csv-a" not in (tmp_path / "ledger.jsonl").read_text()
    # 1 create + 2 mints (gen-0, csv-b): the backend received exactly these
    assert outcome.requests == admin.sent - 3 == 3
