"""Gate of the shared repository: which posts a selective ``check`` reads.

Before the load stage: turns ``check FILE…`` / ``check content/<unit>`` and
``check --changed [REV]`` into the set of site-relative post paths the builder
parses (`BuildOptions.only`); the site-wide rules (slugs, unit files) still see
every file. Git is read with `history._git`. Messages are Chinese; a problem here
is a usage error (`GateError`), never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

from .history import _git
from .sources import CONTENT, ignored_name


class GateError(Exception):
    """A selection that cannot be made (Chinese message for the author)."""


def _under_content(site: Path, path: Path) -> str | None:
    """``path`` relative to the site when it is inside content/<unit>/, else None."""
    try:
        rel = path.relative_to(site).as_posix()
    except ValueError:
        return None
    parts = rel.split("/")
    return rel if len(parts) >= 2 and parts[0] == CONTENT else None


def select_paths(site: Path, paths: list[Path], cwd: Path) -> frozenset[str]:
    """The posts named by ``paths`` (files or folders, relative to ``cwd``)."""
    site = site.resolve()
    chosen: set[str] = set()
    for given in paths:
        full = (cwd / given).resolve() if not given.is_absolute() else given.resolve()
        if not full.exists():
            raise GateError(f"找不到“{given}”：请写出要检查的文章文件或单位文件夹（相对于当前文件夹），例如 content/jixie/2026-03-支委会.md 或 content/jixie。")
        rel = _under_content(site, full)
        if rel is None:
            raise GateError(f"“{given}”不在站点 {site} 的 content/ 文件夹里：只能检查 content/单位/ 下的文章（.md 文件）或单位文件夹；要检查整个站点请不写文件名。")
        if full.is_dir():
            found = [
                f"{rel}/{p.relative_to(full).as_posix()}"
                for p in sorted(full.rglob("*.md"))
                if p.is_file() and not any(ignored_name(part) for part in p.relative_to(full).parts)
            ]
            if not found:
                raise GateError(f"文件夹“{given}”中没有文章（.md 文件）。")
            chosen.update(found)
        elif full.suffix == ".md" and len(rel.split("/")) >= 3:
            chosen.add(rel)
        else:
            raise GateError(f"“{given}”不是文章：只能检查 content/单位/ 下的 .md 文件或整个单位文件夹（附件随所在的文章一起检查）。")
    return frozenset(chosen)


MAIN_BRANCHES = ("main", "master", "origin/main", "origin/master")


def _git_text(site: Path, *args: str) -> tuple[int, str, str]:
    try:
        proc = _git(site, *args)
    except FileNotFoundError:
        raise GateError("未安装 git，无法使用 --changed / --authors。") from None
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace").strip()


def default_base(site: Path) -> tuple[str, str]:
    """The merge base of HEAD with the main branch (main, master, origin/main, origin/master): (commit, which)."""
    rc, out, _ = _git_text(site, "rev-parse", "--is-inside-work-tree")
    if rc != 0 or out.strip() != "true":
        raise GateError(f"站点 {site} 不在 git 仓库中，无法使用 --changed。请在 git 仓库中运行，或直接写出要检查的文件：liangshai check 文件…")
    for name in MAIN_BRANCHES:
        rc, out, _ = _git_text(site, "merge-base", "HEAD", name)
        if rc == 0 and out.strip():
            return out.strip(), name
    raise GateError(
        f"找不到主分支（试过 {'、'.join(MAIN_BRANCHES)}），或当前分支与它没有共同的提交，无法确定从哪里比较。"
        "请写出比较的起点，例如 liangshai check --changed HEAD~1 或 --changed origin/develop。"
    )


def changed_posts(site: Path, rev: str | None) -> tuple[frozenset[str], str]:
    """Posts (site-relative) added or changed since ``rev`` (default `default_base`),
    committed, staged, unstaged or untracked; deleted ones are left out. Also says what was compared."""
    site = site.resolve()
    if rev:
        rc, out, err = _git_text(site, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        if rc != 0:
            raise GateError(f"git 中找不到“{rev}”：请写提交号、分支名或标签，例如 HEAD~1、main、origin/main。")
        base, which = out.strip(), rev
    else:
        base, which = default_base(site)
    # paths relative to the site folder even when it is a sub-folder of the repository
    rc, out, err = _git_text(site, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=d", "--relative", base, "--", CONTENT)
    if rc != 0:
        raise GateError(f"读取 git 改动失败：{err[:200]}")
    names = {n for n in out.split("\0") if n}
    rc, out, err = _git_text(site, "ls-files", "-z", "--others", "--exclude-standard", "--", CONTENT)
    if rc != 0:
        raise GateError(f"读取 git 未跟踪文件失败：{err[:200]}")
    names.update(n for n in out.split("\0") if n)
    posts = frozenset(n for n in names if n.endswith(".md") and len(n.split("/")) >= 3 and (site / n).is_file())
    return posts, f"{which}（{base[:8]}）"

