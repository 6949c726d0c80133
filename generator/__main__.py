"""Entry: ``python -m generator`` is the same as ``liangshai``."""

import sys

from .cli import main

sys.exit(main())
