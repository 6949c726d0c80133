"""Load stage: the one git runner (`git`), and the commit a site is read at (`git_head`), for the build's input key.

Every git command of the build runs through `git` (shared with
`load.history.read_history` and the gate): here one ``rev-parse`` on every
build, cheap; the ``git log`` pass only when the commit changed. Light on
purpose (no model): the quick no-op check (`build.quick`) asks it too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

_GIT_ENV = {"LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}


def git(site_dir: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run one git command in ``site_dir`` (shared by `read_history` and `gate`);
    raises FileNotFoundError when git is not installed."""
    import os

    env = {**os.environ, **_GIT_ENV}
    return subprocess.run(["git", "-c", "core.quotepath=false", *args], cwd=site_dir, capture_output=True, env=env, check=False)


def git_head(site_dir: Path) -> str:
    """The commit the git history is read at ("" outside git): part of the input key."""
    try:
        proc = git(site_dir, "rev-parse", "HEAD", "--is-shallow-repository")
    except OSError:
        return ""
    return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else ""
