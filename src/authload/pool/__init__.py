"""The identity pool: provisioning before the load, cleanup after it, and the ledger between.

One 429 policy (`_patience`) and one delete path (`_delete`) serve provisioning, the
end-of-run cleanup and `authload cleanup`. Neither Locust nor gevent: the caller brings the
transport, the concurrency and the sleep (a Locust process: greenlets; the CLI: threads).
"""
