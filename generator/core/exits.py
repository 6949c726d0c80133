"""Core: the exit codes of every ``liangshai`` command, in one place.

`cli` chooses them; the commands that run long enough to decide their own
(`publish`, `stats`, `serve`) return them.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CONTENT = 1  # content or configuration errors
EXIT_USAGE = 2  # a command line that cannot be carried out
EXIT_HELD = 3  # --keep-going: published, but some posts were held back for their errors
EXIT_FORCED = 130  # interrupted (Ctrl-C), as a shell reports SIGINT

__all__ = ["EXIT_CONTENT", "EXIT_FORCED", "EXIT_HELD", "EXIT_OK", "EXIT_USAGE"]
