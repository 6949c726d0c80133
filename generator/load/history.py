"""Load stage: when each content file first entered git, and last changed.

One ``git log`` pass over the repository (plus one ``rev-parse`` to find it),
never a process per file. Walks commits oldest first and follows renames, so a
renamed post keeps its first-add time. When the site is not in a git
repository, git is missing, or the clone is shallow, history is unavailable and
says why, so the comparison index shows "unknown" rather than a wrong number.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from generator.core.model import History
from generator.load.git import git


def read_history(site_dir: Path, tz: dt.tzinfo) -> History:
    unavailable = _unavailable(site_dir)
    if unavailable is not None:
        return unavailable
    log = git(
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
    timeline = _Timeline()
    for chunk in log.stdout.decode("utf-8", "replace").split("\x01"):
        if not chunk.strip():
            continue
        # With -z the header "<ct>" ends with NUL, then a newline, then NUL-separated
        # status/path fields; without changes (e.g. an empty commit) nothing follows.
        fields = [t.strip("\n") for t in chunk.split("\x00")]
        fields = [t for t in fields if t != ""]
        timeline.commit(dt.datetime.fromtimestamp(int(fields[0]), tz), fields[1:])
    return History(True, "", *timeline.sorted())


def _unavailable(site_dir: Path) -> History | None:
    """Why the site's git history cannot be read (no git, no repository, a shallow clone), or None."""
    try:
        probe = git(site_dir, "rev-parse", "--is-inside-work-tree", "--is-shallow-repository")
    except FileNotFoundError:
        return History(False, "未安装 git，无法计算公开时滞。")
    if probe.returncode != 0:
        return History(False, "站点不在 git 仓库中，无法从提交历史计算公开时滞。")
    flags = probe.stdout.decode().split()
    if len(flags) < 2 or flags[0] != "true":
        return History(False, "站点不在 git 仓库的工作区中，无法计算公开时滞。")
    if flags[1] == "true":
        return History(False, "仓库是浅克隆（shallow clone），缺少完整提交历史，公开时滞无法准确计算。请使用完整克隆（git fetch --unshallow）。")
    return None


class _Timeline:
    """Per path, as commits are read oldest first: when it was first added, when it last
    changed while it exists, and when its content was last edited after the first add."""

    def __init__(self) -> None:
        self.first: dict[str, dt.datetime] = {}
        self.last: dict[str, dt.datetime] = {}
        self.edited: dict[str, dt.datetime] = {}

    def sorted(self) -> tuple[tuple[tuple[str, dt.datetime], ...], ...]:
        return tuple(sorted(self.first.items())), tuple(sorted(self.last.items())), tuple(sorted(self.edited.items()))

    def commit(self, when: dt.datetime, tokens: list[str]) -> None:
        """One commit's ``--name-status`` fields: a status, then one path (two for R and C)."""
        i = 0
        while i < len(tokens):
            status = tokens[i]
            if status[:1] in ("R", "C"):
                self._moved(status, tokens[i + 1], tokens[i + 2], when)
                i += 3
            else:
                self._changed(status[:1], tokens[i + 1] if i + 1 < len(tokens) else "", when)
                i += 2

    def _moved(self, status: str, old: str, new: str, when: dt.datetime) -> None:
        if status[:1] == "R":
            self.first.setdefault(new, self.first.pop(old, when))
            self.last.pop(old, None)
            if old in self.edited:
                self.edited[new] = self.edited.pop(old)
            # "R100" is a pure move; a lower similarity score means the
            # content changed in the same commit.
            if status[1:] != "100":
                self.edited[new] = when
        else:
            self.first.setdefault(new, when)
        self.last[new] = when

    def _changed(self, code: str, path: str, when: dt.datetime) -> None:
        if code in ("A", "M", "T"):
            # modified, or re-added after a delete (the content may differ)
            if path in self.first:
                self.edited[path] = when
            self.first.setdefault(path, when)
            self.last[path] = when
        elif code == "D":
            self.last.pop(path, None)
            # Keep first-add: a post deleted and re-added keeps its first time.
