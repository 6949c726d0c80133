"""Model stage helper: when each content file first entered git, and last changed.

One ``git log`` pass over the repository (plus one ``rev-parse`` to find it),
never a process per file. Walks commits oldest first and follows renames, so a
renamed post keeps its first-add time. When the site is not in a git
repository, git is missing, or the clone is shallow, history is unavailable and
says why, so the comparison index shows "unknown" rather than a wrong number.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from generator.core.model import History

_GIT_ENV = {"LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}


def _git(site_dir: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    import os

    env = {**os.environ, **_GIT_ENV}
    return subprocess.run(["git", "-c", "core.quotepath=false", *args], cwd=site_dir, capture_output=True, env=env, check=False)


def read_history(site_dir: Path, tz: dt.tzinfo) -> History:
    try:
        probe = _git(site_dir, "rev-parse", "--is-inside-work-tree", "--is-shallow-repository")
    except FileNotFoundError:
        return History(False, "未安装 git，无法计算公开时滞。")
    if probe.returncode != 0:
        return History(False, "站点不在 git 仓库中，无法从提交历史计算公开时滞。")
    flags = probe.stdout.decode().split()
    if len(flags) < 2 or flags[0] != "true":
        return History(False, "站点不在 git 仓库的工作区中，无法计算公开时滞。")
    if flags[1] == "true":
        return History(False, "仓库是浅克隆（shallow clone），缺少完整提交历史，公开时滞无法准确计算。请使用完整克隆（git fetch --unshallow）。")
    log = _git(
        site_dir,
        "log",
        "--reverse",
        "--no-merges",
        "--relative",
        "-M",
        "-z",
        "--name-status",
        "--format=%x01%ct",
        "--",
        "content",
    )
    if log.returncode != 0:
        err = log.stderr.decode("utf-8", "replace")
        if "does not have any commits" in err or "bad default revision" in err:
            return History(True, "", (), ())
        return History(False, f"读取 git 历史失败：{err.strip()[:200]}")
    first: dict[str, dt.datetime] = {}
    last: dict[str, dt.datetime] = {}
    edited: dict[str, dt.datetime] = {}
    for chunk in log.stdout.decode("utf-8", "replace").split("\x01"):
        if not chunk.strip():
            continue
        # With -z the header "<ct>" ends with NUL, then a newline, then NUL-separated
        # status/path fields; without changes (e.g. an empty commit) nothing follows.
        fields = [t.strip("\n") for t in chunk.split("\x00")]
        fields = [t for t in fields if t != ""]
        when = dt.datetime.fromtimestamp(int(fields[0]), tz)
        tokens = fields[1:]
        i = 0
        while i < len(tokens):
            status = tokens[i]
            code = status[:1]
            if code in ("R", "C"):
                old, new = tokens[i + 1], tokens[i + 2]
                i += 3
                if code == "R":
                    first.setdefault(new, first.pop(old, when))
                    last.pop(old, None)
                    if old in edited:
                        edited[new] = edited.pop(old)
                    # "R100" is a pure move; a lower similarity score means the
                    # content changed in the same commit.
                    if status[1:] != "100":
                        edited[new] = when
                else:
                    first.setdefault(new, when)
                last[new] = when
                continue
            path = tokens[i + 1] if i + 1 < len(tokens) else ""
            i += 2
            if code == "A":
                if path in first:  # re-added after a delete: the content may differ
                    edited[path] = when
                first.setdefault(path, when)
                last[path] = when
            elif code in ("M", "T"):
                if path in first:
                    edited[path] = when
                first.setdefault(path, when)
                last[path] = when
            elif code == "D":
                last.pop(path, None)
                # Keep first-add: a post deleted and re-added keeps its first time.
    return History(True, "", tuple(sorted(first.items())), tuple(sorted(last.items())), tuple(sorted(edited.items())))
