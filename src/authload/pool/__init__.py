"""The identity pool: provisioning before the load, cleanup after it, and the ledger between.

One 429 policy (`_patience`) and one delete path (`_delete`) serve provisioning, the
end-of-run cleanup and `authload cleanup`. Neither Locust nor gevent: the caller brings the
transport, the concurrency and the sleep (a Locust process: greenlets; the CLI: threads).
"""

from ._book import UserBook
from ._concurrency import Cancel, ForEach, Progress, Silent, on_threads
from ._delete import delete_all, delete_one
from ._identities import IdentityPool
from ._ledger import KEPT, UNSETTLED, Ledger, LedgerWriter, cleanup_record, header, ledger_path, run_ledgers
from ._patience import ATTEMPTS, MAX_WAIT, patiently
from ._provision import Outcome, Transport, pool_uids, provision
from ._settle import NOT_CLEANED, Delete, codes, record, settle

__all__ = [
    "ATTEMPTS",
    "KEPT",
    "MAX_WAIT",
    "NOT_CLEANED",
    "UNSETTLED",
    "Cancel",
    "Delete",
    "ForEach",
    "IdentityPool",
    "Ledger",
    "LedgerWriter",
    "Outcome",
    "Progress",
    "Silent",
    "Transport",
    "UserBook",
    "cleanup_record",
    "codes",
    "delete_all",
    "delete_one",
    "header",
    "ledger_path",
    "on_threads",
    "patiently",
    "pool_uids",
    "provision",
    "record",
    "run_ledgers",
    "settle",
]
