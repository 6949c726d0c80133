"""Build, inputs phase: the no-op key (`input_key`) and the git history's identity (`history_key`).

`find_inputs` reads ``site.toml`` once (`site_config`) for both the
attachment limits of the source discovery and the input key: a no-op build
is mostly this module, so nothing here is done twice. It imports no more
than the check needs (no Jinja, Markdown, planner or renderer): ``liangshai
build`` runs it, when the quick check (`build.quick`, file stamps alone) is
not sure, before it imports the builder (`Found.unchanged`, `build_checked`),
and hands what it found to the builder when the build is not a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from generator.build.quick import Scan, day_bounds
from generator.build.records import BuildOptions, BuildResult, fixed_as_of, held_back, resolve_as_of
from generator.core.digests import build_input_key, code_digest, history_id
from generator.core.errors import LiangshaiError
from generator.core.model import UNIT_FILE, History
from generator.load.attachments import DocumentText
from generator.load.config import LimitsConfig, SiteConfig, load_config
from generator.load.git import git_head
from generator.load.sources import Sources, Stamp, discover
from generator.render.theme import resolve_theme
from generator.write.output import missing_files
from generator.write.state import NoopKey, gc_paused, load_key

if TYPE_CHECKING:
    from generator.search.index import SearchIndex

STATE_KEY_VERSION = "1"


def site_config(site_dir: Path) -> SiteConfig | None:
    """``site.toml`` as the no-op check reads it; None while it is broken (the build then stops at its own error)."""
    try:
        return load_config(site_dir)
    except LiangshaiError:
        return None


def input_key(site_dir: Path, options: BuildOptions, config: SiteConfig | None, sources: Sources, head: str, code: str) -> str | None:
    """A hash of every input a build reads, or None when it cannot be known.

    Equal keys mean equal outputs: the code, the options, the as-of day,
    site.toml, every theme file and every content file (by stamp), and the
    git commit the history comes from. It lets a no-op build stop before
    planning, which at 10,000 posts is most of its time. ``code``: the
    builder's `core.digests.code_digest`, the code every other key hashes too.
    """
    if sources.problems or config is None:
        return None
    try:
        theme = resolve_theme(site_dir, config.theme)
    except LiangshaiError:
        return None
    themes: list[tuple[str, int, int]] = []
    for d in (*theme.template_dirs, *theme.static_dirs):
        if d.is_dir():
            themes.extend((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(d.rglob("*")) if f.is_file())
    site_toml = site_dir / "site.toml"
    config_stamp = (site_toml.stat().st_size, site_toml.stat().st_mtime_ns) if site_toml.exists() else None
    stamps = sorted((rel, s.size, s.mtime_ns) for rel, s in sources.stamps.items())
    units = sorted((slug, (site_dir / "content" / slug / UNIT_FILE).stat().st_mtime_ns) for slug in sources.units)
    as_of = resolve_as_of(options.as_of, config)
    return build_input_key(STATE_KEY_VERSION, code, options.drafts, options.keep_going, as_of, config_stamp, themes, stamps, units, head)


@dataclass(frozen=True)
class Found:
    """What the no-op check read (`find_inputs`): the inputs a build goes on with when it is not a no-op."""

    noop: NoopKey  # the last build's (empty when there is none, or a state in memory is newer)
    sources: Sources
    head: str  # the git commit ("" without one)
    key: str | None  # `input_key`
    config: SiteConfig | None = None  # site.toml as the check read it (None while broken)

    def unchanged(self, out: Path) -> bool:
        """Nothing any page depends on has changed, and every output is still there: the output is already this build's."""
        return self.key is not None and self.key == self.noop.input_key and not missing_files(out, self.noop.outputs)

    def result(self, options: BuildOptions) -> BuildResult:
        """The no-op build's result: the last build's problems, said again."""
        held = held_back(self.noop.problems, self.sources.posts) if options.keep_going else ()
        return BuildResult(self.noop.problems, outputs=len(self.noop.outputs), held=held)


def find_inputs(
    site_dir: Path, options: BuildOptions, noop: NoopKey, documents: dict[str, tuple[Stamp, DocumentText]], scan: Scan | None = None
) -> Found:
    """Read the inputs' stamps (``documents``: the PDF/DOCX texts known, `load.sources.discover`);
    ``scan``: the quick check's, taken just before (its stamps and commit are not asked for again)."""
    config = site_config(site_dir)  # (limits while site.toml is broken: the build then stops at its own error)
    sources = discover(site_dir, documents, config.limits if config else LimitsConfig(), scan.seen() if scan else None)
    head = scan.head if scan else git_head(site_dir)
    return Found(noop, sources, head, input_key(site_dir, options, config, sources, head, code_digest()), config)


def build_checked(options: BuildOptions, scan: Scan | None = None) -> tuple[BuildResult, tuple[float, float] | None]:
    """``liangshai build`` after the quick check (`build.quick.build_once`): the full no-op check first, and
    the builder (imported only then) when it is not one; with the bounds of the as-of day built
    (`build.quick.day_bounds`), None when the inputs could not be keyed (the quick check then records nothing)."""
    search = _warmed_up(options) if scan is not None else None
    try:
        # What the check makes is kept to the end of the build: two stamps per
        # file, ~100,000 objects at 50,000 posts, that set off collections walking
        # everything made so far (0.08 s of a 50,000-post no-op build).
        with gc_paused(kept=True):
            noop = load_key(options.output)
            found = find_inputs(options.site_dir.resolve(), options, noop, noop.documents, scan)
        if found.unchanged(options.output):
            result = found.result(options)
        else:
            from generator.build.builder import Builder

            result = Builder(options, search).build(found)
    finally:
        if search is not None:
            search.release()  # a service no run took: a no-op after all, or an error (after a build, nothing is left)
    config = found.config  # (the site.toml the build went on with: its time zone bounds the day built)
    if found.key is None or config is None:
        return result, None
    return result, day_bounds(resolve_as_of(options.as_of, config), config.tz, fixed_as_of(options.as_of))


def _warmed_up(options: BuildOptions) -> SearchIndex | None:
    """The quick check saw a change (it was not sure of a no-op): the search index the builder will use, its
    Pagefind service loading its dictionaries (~0.2 s) already, beside the full check and the builder's import.

    An output folder that is not there yet is a first build, whose index starts later anyway
    (`Builder._inputs` warms one up then). Were the full check to find a no-op after all
    (a file saved again unchanged), the service is stopped unused.
    """
    if options.defer_search or not options.output.is_dir():
        return None
    from generator.search.index import SearchIndex

    search = SearchIndex()
    search.warm_up(options.output)
    return search


def history_key(head: str, tz: object, history: History) -> str:
    """The identity of the git history read at ``head`` (the state keeps the history under it)."""
    return history_id(head, tz, history, history.available)


def saved_history_key(head: str, tz: object, history: History) -> str | None:
    """What the state records of the history: its identity, or None without a commit or a readable history."""
    return history_key(head, tz, history) if head and history.available else None


__all__ = ["STATE_KEY_VERSION", "Found", "build_checked", "find_inputs", "history_key", "input_key", "saved_history_key", "site_config"]
