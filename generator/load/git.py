"""Load stage: the git commit a site is read at, for the build's input key.

The build reads git in two places: here (`git_head`, on every build, cheap)
and `generator.load.history.read_history` (one ``git log`` pass, only when the
commit changed). Both go through `run_git`'s environment; history.py keeps its
own private copy of it for now (routing it here is a one-line edit there).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# The same environment history.py gives git: stable messages, no index lock taken.
GIT_ENV = {"LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}


def run_git(site_dir: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``git -c core.quotepath=false ARGS`` in ``site_dir``; raises OSError when git is missing."""
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", "-c", "core.quotepath=false", *args], cwd=site_dir, capture_output=True, env=env, check=False)


def git_head(site_dir: Path) -> str:
    """The commit the git history is read at ("" outside git): part of the input key."""
    try:
        proc = run_git(site_dir, "rev-parse", "HEAD", "--is-shallow-repository")
    except OSError:
        return ""
    return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else ""
