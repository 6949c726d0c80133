"""Load stage: discover what is under ``content/`` and stat it.

Finds unit folders, their ``_unit.toml``, every post (``*.md`` at any depth)
and every other file (attachments), with sizes and modification stamps.
Symlinks are never followed out of a unit folder: a link that leads outside is
recorded so the parse stage can refuse to publish it. Reads no file contents
(the builder reads bytes only for what it needs to parse).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem, error, warning
from .parse import UNIT_FILE, FileFacts

CONTENT = "content"
# Editor droppings and OS metadata: never content.
_IGNORED = re.compile(r"(^\.|^~|~$|\.swp$|\.swx$|\.tmp$|^#.*#$|^\.#|^Thumbs\.db$|^desktop\.ini$)", re.IGNORECASE)


def ignored_name(name: str) -> bool:
    return bool(_IGNORED.search(name))


@dataclass(frozen=True)
class Stamp:
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Sources:
    site_dir: Path
    units: tuple[str, ...]  # unit slugs (folder names) that have a _unit.toml, sorted
    posts: tuple[str, ...]  # site-relative paths of *.md under unit folders, sorted
    files: dict[str, FileFacts]  # every file under content/, site-relative
    stamps: dict[str, Stamp]
    problems: tuple[Problem, ...]


def discover(site_dir: Path) -> Sources:
    site_dir = site_dir.resolve()
    root = site_dir / CONTENT
    problems: list[Problem] = []
    units: list[str] = []
    posts: list[str] = []
    files: dict[str, FileFacts] = {}
    stamps: dict[str, Stamp] = {}
    if not root.is_dir():
        return Sources(site_dir, (), (), {}, {}, (error(CONTENT, 1, f"找不到 {CONTENT}/ 文件夹：站点文件夹 {site_dir} 中应当有 content/，每个单位一个子文件夹。"),))

    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        rel = f"{CONTENT}/{entry.name}"
        if ignored_name(entry.name):
            continue
        if entry.is_file(follow_symlinks=False):
            if entry.name.endswith(".md"):
                problems.append(error(rel, 1, "文章不能直接放在 content/ 下，要放进所属单位的文件夹，例如 content/jixie/。"))
            continue
        if entry.is_symlink():
            problems.append(error(rel, 1, "单位文件夹不能是链接（symlink），请放入真实的文件夹。"))
            continue
        if not entry.is_dir():
            continue
        unit_real = Path(entry.path).resolve()
        if not (Path(entry.path) / UNIT_FILE).is_file():
            problems.append(
                error(rel, 1, f"文件夹 {rel}/ 缺少 {UNIT_FILE}：每个单位文件夹都要有 {UNIT_FILE}，写明 name（单位名称）、kind（类型）和 [[branches]]（支部）。")
            )
            continue
        units.append(entry.name)
        for dirpath, dirnames, filenames in os.walk(entry.path, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not ignored_name(d))
            reldir = Path(dirpath).relative_to(site_dir).as_posix()
            for d in list(dirnames):
                full = Path(dirpath) / d
                if full.is_symlink():
                    dirnames.remove(d)
                    target = full.resolve()
                    inside = target == unit_real or unit_real in target.parents
                    if not inside:
                        problems.append(error(f"{reldir}/{d}", 1, "这个文件夹是指向单位文件夹以外的链接（symlink），不能发布。请把文件复制进来。"))
                    else:
                        problems.append(warning(f"{reldir}/{d}", 1, "文件夹链接（symlink）不会被读取，请使用真实的文件夹。"))
            for name in sorted(filenames):
                if ignored_name(name):
                    continue
                rel_file = f"{reldir}/{name}"
                full = Path(dirpath) / name
                try:
                    st = full.stat()
                except OSError:
                    problems.append(error(rel_file, 1, "这是一个失效的链接（symlink），指向的文件不存在。"))
                    continue
                escapes = False
                if full.is_symlink():
                    target = full.resolve()
                    escapes = not (unit_real in target.parents)
                if name == UNIT_FILE and reldir == rel:
                    continue
                files[rel_file] = FileFacts(st.st_size, escapes)
                stamps[rel_file] = Stamp(st.st_size, st.st_mtime_ns)
                if name.endswith(".md"):
                    if escapes:
                        problems.append(error(rel_file, 1, "这篇文章是指向单位文件夹以外的链接（symlink），不能发布。"))
                        continue
                    posts.append(rel_file)
    return Sources(site_dir, tuple(units), tuple(sorted(posts)), files, stamps, tuple(problems))
