"""`python -m authload ...` is the `authload` command."""

import sys

from .cli import main

sys.exit(main())
