"""Load stage: the git commit a site is read at, for the build's input key.

Every git command of the build runs through `generator.load.history.git` (the
one git runner, shared with `read_history` and the gate): here one
``rev-parse`` on every build, cheap; the ``git log`` pass only when the commit
changed.
"""

from __future__ import annotations

from pathlib import Path

from generator.load.history import git


def git_head(site_dir: Path) -> str:
    """The commit the git history is read at ("" outside git): part of the input key."""
    try:
        proc = git(site_dir, "rev-parse", "HEAD", "--is-shallow-repository")
    except OSError:
        return ""
    return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else ""
