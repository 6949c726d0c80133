"""Commands: ``liangshai init`` — a university's own content repository, ready to commit.

Writes ``site.toml`` (every default spelled out, `site_toml`), ``content/``, a
``.gitignore``, a short README for unit staff, the CI files for GitLab and
Gitea/Forgejo (check on every push and merge request, publish from the main
branch, the tool's version pinned to this one) and a pre-commit configuration.
The texts are package data (``init_files/``), filled in with the version and the
site's title. Nothing is overwritten: when any of the files exists already,
nothing is written and the error lists them. ``--units`` imports a sheet of units
and branches (`units_io`), checked before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from generator import __version__
from generator.commands.site_toml import default_site_toml
from generator.commands.units_io import ImportPlan, plan_import
from generator.core.settings import CONFIG_NAME, SiteConfig

# written file -> its template in init_files/ (no leading dots there: package data globs skip hidden files)
TEMPLATES = {
    ".gitignore": "gitignore",
    "README.md": "README.md",
    ".gitlab-ci.yml": "gitlab-ci.yml",
    ".gitea/workflows/liangshai.yml": "gitea-workflow.yml",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
}


class InitError(Exception):
    """``init`` cannot write the site (Chinese message)."""


@dataclass(frozen=True)
class InitResult:
    folder: Path
    written: tuple[str, ...]  # site-relative paths, in the order written
    units: ImportPlan | None


def template(name: str) -> str:
    return resources.files("generator.commands").joinpath("init_files", name).read_text(encoding="utf-8")


def site_files(title: str | None) -> dict[str, str]:
    """Every file ``init`` writes (site-relative path → text)."""
    shown = title if title is not None else SiteConfig().title
    files = {CONFIG_NAME: default_site_toml(title)}
    for rel, name in TEMPLATES.items():
        files[rel] = template(name).replace("@@VERSION@@", __version__).replace("@@TITLE@@", shown)
    return files


def init_site(folder: Path, *, title: str | None = None, units: Path | None = None) -> InitResult:
    """Create the content repository in ``folder`` (made when missing). Raises `InitError`
    when a file exists already, `units_io.UnitsError` when the sheet has problems."""
    if title is not None and (not title.strip() or "\n" in title or "\r" in title):
        raise InitError("网站名称（--title）不能为空，也不能含有换行。")
    if folder.exists() and not folder.is_dir():
        raise InitError(f"“{folder}”已存在，但不是文件夹。")
    files = site_files(title.strip() if title is not None else None)
    present = [rel for rel in files if (folder / rel).exists()]
    if present:
        raise InitError(
            f"文件夹 {folder} 中已经有这些文件：{'、'.join(present)}。init 不会覆盖已有的文件，什么也没有写入。"
            "请换一个空文件夹，或先移走这些文件。"
        )
    plan = plan_import(folder, units, shown=str(units)) if units is not None else None
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "content").mkdir(exist_ok=True)
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        with (folder / rel).open("x", encoding="utf-8") as out:  # "x": never replaces a file that appeared meanwhile
            out.write(text)
    if plan is not None:
        plan.apply()
    return InitResult(folder, tuple(files), plan)
