"""Gate of the shared repository: which posts a selective ``check`` reads.

Before the load stage: turns ``check FILE…`` / ``check content/<unit>`` and
``check --changed [REV]`` into the set of site-relative post paths the builder
parses (`BuildOptions.only`); the site-wide rules (slugs, unit files) still see
every file. Git is read with `load.git.git`. Messages are Chinese; a problem here
is a usage error (`GateError`), never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from generator.core.errors import Problem
from generator.core.model import UNIT_FILE
from generator.load.git import git
from generator.load.sources import CONTENT, ignored_name


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
        proc = git(site, *args)
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


def changed_posts(site: Path, rev: str | None) -> tuple[frozenset[str], frozenset[str], str]:
    """Posts (site-relative) added or changed since ``rev`` (default `default_base`),
    committed, staged, unstaged or untracked; deleted ones are left out. Also the other
    changed files under content/ (a changed _unit.toml is reported) and what was compared."""
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
    present = {n for n in names if (site / n).is_file()}
    posts = frozenset(n for n in present if n.endswith(".md") and len(n.split("/")) >= 3)
    return posts, frozenset(present - posts), f"{which}（{base[:8]}）"



# -- ownership: check --authors REV..REV, codeowners ---------------------------------


@dataclass(frozen=True)
class Owners:
    """Who may change what: each unit's ``editors`` and the site's ``[gate] admins``."""

    admins: tuple[str, ...]
    editors: dict[str, tuple[str, ...]]  # unit folder name → editors
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Trespass:
    """A commit that changed files its author may not edit."""

    commit: str  # short hash
    author: str  # "name <email>"
    files: tuple[str, ...]


def _matches(who: tuple[str, ...], name: str, email: str) -> bool:
    # names compare exactly (as git writes them); e-mail addresses without case
    return any(w == name or w.casefold() == email.casefold() for w in who)


def may_edit(owners: Owners, name: str, email: str, path: str) -> bool:
    """Admins may change everything; a unit's editors what is under content/<unit>/."""
    if _matches(owners.admins, name, email):
        return True
    parts = path.split("/")
    return len(parts) >= 3 and parts[0] == CONTENT and _matches(owners.editors.get(parts[1], ()), name, email)


def _owners(site_toml: bytes | None, units: dict[str, bytes]) -> Owners:
    from generator.load.config import ConfigError, SiteConfig, parse_config
    from generator.parse.post import parse_unit

    problems: list[Problem] = []
    config = SiteConfig()
    if site_toml is not None:
        try:
            config = parse_config(site_toml)
        except ConfigError as exc:
            problems.extend(exc.problems)
    editors: dict[str, tuple[str, ...]] = {}
    for slug, raw in sorted(units.items()):
        rel = f"{CONTENT}/{slug}/{UNIT_FILE}"
        unit, probs = parse_unit(raw, rel, slug, config)
        problems.extend(p for p in probs if p.is_error)
        if unit is not None:
            editors[slug] = unit.editors
    return Owners(config.admins, editors, tuple(problems))


def owners_in_tree(site: Path) -> Owners:
    """The owners as the working tree says (for `codeowners`)."""
    site = site.resolve()
    toml = site / "site.toml"
    units = {d.name: (d / UNIT_FILE).read_bytes() for d in sorted((site / CONTENT).iterdir()) if d.is_dir() and (d / UNIT_FILE).is_file()} if (site / CONTENT).is_dir() else {}
    return _owners(toml.read_bytes() if toml.is_file() else None, units)


def owners_at(site: Path, rev: str) -> Owners:
    """The owners as commit ``rev`` says: the rules in force before the range, so a commit
    cannot grant its own author a unit (or admin rights) and pass."""
    rc, out, err = _git_text(site, "ls-tree", "-r", "--name-only", rev, "--", "site.toml", CONTENT)
    if rc != 0:
        raise GateError(f"读取 {rev} 的文件列表失败：{err[:200]}")
    names = [n for n in out.splitlines() if n]

    def show(name: str) -> bytes:
        proc = git(site, "show", f"{rev}:./{name}")
        return proc.stdout if proc.returncode == 0 else b""

    units = {n.split("/")[1]: show(n) for n in names if len(n.split("/")) == 3 and n.endswith("/" + UNIT_FILE)}
    return _owners(show("site.toml") if "site.toml" in names else None, units)


def check_authors(site: Path, span: str) -> tuple[list[Trespass], Owners, int]:
    """Every non-merge commit in ``span`` (``A..B``) that changed a file (under the site
    folder) its author may not edit, by the owners at ``A``. Also the number of commits read."""
    site = site.resolve()
    if ".." not in span or span.startswith("..") or "..." in span:
        raise GateError(f"--authors 需要一个提交范围“起点..终点”，例如 origin/main..HEAD，现在是“{span}”。")
    start, end = span.split("..", 1)
    rc, out, _ = _git_text(site, "rev-parse", "--is-inside-work-tree")
    if rc != 0 or out.strip() != "true":
        raise GateError(f"站点 {site} 不在 git 仓库中，无法使用 --authors。")
    for rev in (start, end or "HEAD"):
        rc, _, _ = _git_text(site, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        if rc != 0:
            raise GateError(f"git 中找不到“{rev}”：请写提交号、分支名或标签，例如 origin/main..HEAD。")
    owners = owners_at(site, start)
    rc, out, err = _git_text(site, "log", "--reverse", "--no-merges", "--no-renames", "--relative", "-z", "--name-only", "--format=%x01%h%x1f%an%x1f%ae", span, "--")
    if rc != 0:
        raise GateError(f"读取 git 提交失败：{err[:200]}")
    found: list[Trespass] = []
    commits = 0
    for chunk in out.split("\x01"):
        fields = [t.strip("\n") for t in chunk.split("\x00")]
        fields = [t for t in fields if t]
        if not fields:
            continue
        commits += 1
        short, name, email = fields[0].split("\x1f")
        bad = tuple(sorted(f for f in fields[1:] if not may_edit(owners, name, email, f)))
        if bad:
            found.append(Trespass(short, f"{name} <{email}>", bad))
    return found, owners, commits


def trespass_report(found: list[Trespass]) -> list[str]:
    lines: list[str] = []
    for t in found:
        lines.append(f"提交 {t.commit}（作者 {t.author}）修改了无权修改的文件：")
        lines.extend(f"  {f}" for f in t.files)
    return lines


def codeowners_text(owners: Owners, style: str = "gitlab") -> tuple[str, list[str]]:
    """A CODEOWNERS file: everything owned by the admins, each unit folder by its editors
    (and the admins). GitLab/GitHub: gitignore-like paths, the last matching line wins;
    Gitea: a regular expression per line. Names become ``@name`` (the server's user
    name), e-mail addresses are written as they are. Also warnings (Chinese)."""
    warnings: list[str] = []

    def who(items: tuple[str, ...]) -> str:
        return " ".join(i if "@" in i else f"@{i}" for i in items)

    lines = [
        "# 由 liangshai codeowners 生成，请勿手改：修改 site.toml 的 [gate] admins 或各单位 _unit.toml 的 editors 后重新生成。",
        "# Generated by `liangshai codeowners` from site.toml [gate] admins and each content/<unit>/_unit.toml editors.",
    ]
    if owners.admins:
        lines.append(f"{'.*' if style == 'gitea' else '*'} {who(owners.admins)}")
    else:
        warnings.append("site.toml 没有 [gate] admins：单位文件夹以外的文件（site.toml、themes/ 等）没有负责人。")
    for slug, editors in sorted(owners.editors.items()):
        everyone = tuple(dict.fromkeys((*editors, *owners.admins)))
        if not editors:
            warnings.append(f"content/{slug}/{UNIT_FILE} 没有 editors：这个单位的文件夹只有管理员可以修改。")
        if not everyone:
            continue
        path = f"^{CONTENT}/{re.escape(slug)}/" if style == "gitea" else f"/{CONTENT}/{slug}/"
        lines.append(f"{path} {who(everyone)}")
    return "\n".join(lines) + "\n", warnings
