"""The commands, at the top: `authload run|ui|mock|validate|cleanup|compare|schema`.

`cli.py` parses and calls the public API; `_runner.py` composes Locust's own command
line for `run` and `ui`; `_config.py` is `Config`, from which the CLI's run options are
generated; the other modules are one command each.
"""
