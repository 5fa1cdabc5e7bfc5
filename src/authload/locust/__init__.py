"""Locust integration: the user class, options, lifecycle hooks, metrics.

The only package (with `locustfiles/`) that imports locust or gevent. It is
thin: flows come from `authload.protocol`, files from `authload.scenario`,
reports from `authload.report`. It extends Locust only through its published
hooks: `init_command_line_parser`, `init`, `test_start`, `test_stop`,
`quitting`, `request`, `report_to_master` / `worker_report` and
`register_message`. Import `authload.locust.locustfile` to register them.
"""
