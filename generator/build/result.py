"""Build: what a build takes and returns (`BuildOptions`, `BuildResult`) and the rules on held-back posts.

Light on purpose: the quick no-op check (`build.quick`) answers ``liangshai
build`` from these and file stamps alone, before the model, the settings and
the state (dozens of frozen dataclasses, ~0.08 s of imports) are loaded;
`build.records` re-exports them beside the records of the build itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.errors import Kind, Problem, Severity

if TYPE_CHECKING:
    from generator.core.model import SiteModel

# The site's sources below its folder: an output folder may be neither inside them
# (the output would be read back as content or theme) nor contain them.
SOURCE_FOLDERS = ("content", "themes")


def output_folder_problem(site: Path, out: Path, hint: str) -> str | None:
    """Why ``out`` cannot be the output folder of ``site`` (Chinese), or None.

    Shared by ``build`` (`cli.cmd_build`), ``serve`` (`serve.check_out_dir`) and
    ``publish`` (its build folder inside the web root): writing the site into
    the site folder, a folder above it, ``content/`` or ``themes/`` would mix
    generated pages into the sources. ``hint`` (Chinese) says what to do instead.
    """
    site, out = site.resolve(), out.resolve()
    if out == site or out in site.parents:
        return f"输出文件夹 {out} 不能是站点文件夹本身或它的上级文件夹：生成的文件会写进站点的源文件中。{hint}"
    for name in SOURCE_FOLDERS:
        source = (site / name).resolve()
        if out == source or source in out.parents:
            return f"输出文件夹 {out} 不能放在 {name}/ 里面：生成的文件会被当成内容再次读取。{hint}"
        if out in source.parents:
            return f"输出文件夹 {out} 包含了站点的 {name}/ 文件夹（{source}）：生成的文件会与源文件混在一起。{hint}"
    return None


@dataclass(frozen=True)
class BuildOptions:
    site_dir: Path
    out_dir: Path | None = None
    drafts: bool = False
    as_of: dt.date | None = None
    jobs: int | None = None  # worker processes; None = the machine's cores
    # serve: return as soon as the pages are written and let the caller bring the
    # search index up to date afterwards with `Builder.update_search()`.
    defer_search: bool = False
    # serve, with defer_search: return before saving the state too. `Builder.save_deferred()`
    # saves it (serve: once the search is updated and no change is waiting); until then the
    # next build of this builder starts from it in memory.
    defer_save: bool = False
    # check FILE… / --changed: parse and check only these posts (site-relative paths);
    # every other post is only known by its file name (slug collisions). None = all.
    only: frozenset[str] | None = None
    touched: frozenset[str] = frozenset()  # with ``only``: other files whose problems are reported too (a changed _unit.toml)
    # --keep-going: a post with errors of its own is held back (left out of the site, as if
    # it did not exist) and the rest is published; see `held_back`.
    keep_going: bool = False

    @property
    def output(self) -> Path:
        return (self.out_dir or self.site_dir / "build").resolve()


@dataclass(frozen=True)
class BuildResult:
    problems: tuple[Problem, ...]
    rendered: tuple[str, ...] = ()
    written: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    outputs: int = 0
    seconds: float = 0.0
    parsed: tuple[str, ...] = ()  # sources read and parsed (not taken from the state)
    planned: tuple[str, ...] = ()  # pages whose context was built (the others' families were reused)
    model: SiteModel | None = field(default=None, compare=False, repr=False)
    held: tuple[str, ...] = ()  # --keep-going: the posts held back for their own errors (sources)
    notes: tuple[str, ...] = ()  # about the build itself, for the author (e.g. an old state discarded)

    @property
    def ok(self) -> bool:
        """The output is written: no error, or (``keep_going``) only errors of held-back posts."""
        return not blocking(self.problems, self.held)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def news(self) -> tuple[Problem, ...]:
        """The problems to show for this build: all of them except the notes (INFO, e.g. the
        ``privacy_ok`` acknowledgements) of posts it did not parse. A note says something the
        author already confirmed: shown when the post is built or checked, not again on every
        build that merely reuses it (a no-op build parses nothing). `problems` keeps them all,
        and so does the saved state, which ``check`` and the next builds read."""
        return tuple(p for p in self.problems if p.severity is not Severity.INFO or owner_post(p.path, self.parsed) is not None)

    @property
    def notes_not_repeated(self) -> int:
        """How many notes `news` leaves out."""
        return len(self.problems) - len(self.news)


def owner_post(path: str, posts: Iterable[str]) -> str | None:
    """The post (source path) a problem at ``path`` belongs to: the post file itself, or for a
    post bundle (``…/index.md``) any file in its folder (an attachment); else None."""
    sources = set(posts)
    if path in sources:
        return path
    folder = path
    while "/" in folder:
        folder = folder.rsplit("/", 1)[0]
        if f"{folder}/index.md" in sources:
            return f"{folder}/index.md"
    return None


def held_back(problems: Iterable[Problem], posts: Iterable[str]) -> tuple[str, ...]:
    """--keep-going: the posts (among ``posts``) that have an error of their own.

    Such a post is held back: left out of the site as if it did not exist, so
    no page, list, feed, sitemap entry, search record or figure shows it. Only
    content errors located in a post (or in its bundle folder) hold a post
    back; every other error (site.toml, a ``_unit.toml``, the theme, two outputs
    on one path) still stops the whole build (`blocking`).
    """
    sources = tuple(posts)
    return tuple(sorted({o for p in problems if p.is_error and p.kind in (Kind.CONTENT, Kind.PRIVACY) and (o := owner_post(p.path, sources))}))


def blocking(problems: Iterable[Problem], held: tuple[str, ...]) -> list[Problem]:
    """The errors that stop the build: all of them, but those of the held-back posts."""
    return [p for p in problems if p.is_error and not (held and p.kind in (Kind.CONTENT, Kind.PRIVACY) and owner_post(p.path, held))]


__all__ = ["SOURCE_FOLDERS", "BuildOptions", "BuildResult", "blocking", "held_back", "output_folder_problem", "owner_post"]
