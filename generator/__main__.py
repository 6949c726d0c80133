"""Entry: ``python -m generator`` is the same as ``liangshai``."""

from .cli import run

run()
