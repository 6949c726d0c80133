"""Entry: ``python -m generator`` is the same as ``liangshai``."""

from generator.cli import run

run()
