"""`authload cleanup`: delete the users earlier runs left behind, as their ledgers list them.

A ledger names the environment file and the REST base URL, never a key: the
keys are read again from that file (its `${VAR}`s from this process's
environment). Deleted users, and users already gone (404), are marked
`deleted` in the ledger; failures are marked `failed` with their error code,
so a second `authload cleanup` picks up exactly what is still there. Users of
the embedded mock went with it when its run ended: nothing to delete.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ..client import AdminClient
from ..common import EXIT_OK, EXIT_RUN_ERROR, ConfigError
from ..common._tls import check_hosts, client_context
from ..pool import Ledger, LedgerWriter, Silent, codes, delete_all, on_threads, run_ledgers
from ..scenario import load_environment

CONCURRENCY = 8  # deletes in flight
Print = Callable[[str], None]


def clean_up_runs(
    report_dir: Path,
    run_id: str | None,
    *,
    env: str | None = None,
    config_dir: str = "config",
    say: Print = print,
) -> int:
    """Delete what the ledgers of run `run_id` (None: every run in `report_dir`) still list.

    Exit code: 0 when nothing is left, 3 when some users could not be deleted.
    """
    if run_id is not None:
        folder = report_dir / run_id
        if not folder.is_dir():
            raise ConfigError(f"no run {run_id!r} in {report_dir}/ (see --report-dir)")
        folders = [folder]
    else:
        folders = sorted(path for path in report_dir.glob("*") if path.is_dir())
    left = 0
    for folder in folders:
        for ledger in run_ledgers(folder):
            if not ledger.pending:
                continue
            if run_id is None and ledger.head.get("cleanup") == "keep":
                say(
                    f"{folder.name}: skipped, {len(ledger.pending)} users kept (cleanup: keep); "
                    f"`authload cleanup {folder.name}` deletes them"
                )
                continue
            left += _clean_ledger(ledger, folder.name, env, config_dir, say)
    if not left:
        say("authload cleanup: nothing left to delete")
        return EXIT_OK
    return EXIT_RUN_ERROR


def _clean_ledger(ledger: Ledger, run: str, env_name: str | None, config_dir: str, say: Print) -> int:
    """Delete one ledger's pending users; the number still left."""
    where = f"{run} ({ledger.path.name})"
    uids = sorted(ledger.pending)
    try:
        client = _admin_client(ledger, env_name, config_dir)
    except ConfigError as error:
        say(f"{where}: {len(uids)} users left, cannot reach their backend: {error}")
        return len(uids)
    writer = LedgerWriter(ledger.path)
    if client is None:
        writer.deleted(uids, why="the embedded mock stopped with its run")
        writer.close()
        say(f"{where}: {len(uids)} users were on the embedded mock, gone with it: nothing to delete")
        return 0
    with client:
        key, sleep = client.api_key, time.sleep
        failed = delete_all(uids, client.app, key, client.run, on_threads, CONCURRENCY, sleep, Silent())
    writer.deleted(uid for uid in uids if uid not in failed)
    if failed:
        writer.failed(failed)
    writer.close()
    why = f" ({codes(failed.values())})" if failed else ""
    say(f"{where}: deleted {len(uids) - len(failed)}, left {len(failed)}{why}")
    return len(failed)


def _admin_client(ledger: Ledger, env_name: str | None, config_dir: str) -> AdminClient | None:
    """A REST client for the ledger's backend, keys from its environment file; None: embedded mock."""
    head = ledger.head
    source = env_name or head.get("env_file")
    if not source:
        raise ConfigError("the ledger names no environment file; pass --env")
    env = load_environment(source, config_dir)
    if env.embedded_mock:
        return None
    base_url = head.get("rest_base_url") or ""
    target = env.resolve(base_url or None)
    if head.get("app_id") and head["app_id"] != target.app_id:
        raise ConfigError(
            f"the run created its users in app {head['app_id']!r}, "
            f"the environment names app {target.app_id!r}",
            source=str(source),
        )
    context = client_context(target.tls_verify, target.ca_pem)
    check_hosts([base_url or target.rest_base_url], context, env.timeout)  # an unverified host gets no key
    return AdminClient(
        base_url or target.rest_base_url,
        app_id=target.app_id,
        api_key=target.rest_api_key,
        timeout=env.timeout,
        verify=context,
    )
