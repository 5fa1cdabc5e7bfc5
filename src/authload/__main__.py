"""`python -m authload ...` is the `authload` command."""

import sys

from .commands.cli import main

sys.exit(main())
