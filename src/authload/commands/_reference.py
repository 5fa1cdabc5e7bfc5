"""docs/cli.md, made from the parser itself, so the page and the command cannot disagree (a
test compares them): `python -m authload.commands._reference > docs/cli.md`."""

from __future__ import annotations

import argparse
import os

from .cli import _parser

HEAD = """# The command line

Every command and option of `authload`, as `authload COMMAND --help` prints them (this page
is generated from the parser: `python -m authload.commands._reference > docs/cli.md`).
Exit codes: 0 every threshold holds, 1 a threshold failed, 2 a configuration error (nothing
ran), 3 the run could not complete.
"""


def reference() -> str:
    """The page's text."""
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal: the same width everywhere
    parser = _parser()
    parts = [HEAD, "## authload\n", "```text\n" + parser.format_help().rstrip() + "\n```\n"]
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        parts += [f"## authload {name}\n", "```text\n" + sub.format_help().rstrip() + "\n```\n"]
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
