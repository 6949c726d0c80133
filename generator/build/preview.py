"""Build, serve's fast render: the pages a saved body or title changes, made before the build.

Stage: build. `serve` (`serve.server.PreviewServer`) hands a batch of saved
paths to `Builder.preview_first` before it runs the build of that batch. When
every saved file is a published post whose new version differs from the one
the last build showed only in its body or its title (same date, column, tags,
attachments, referenced files, and no error), the pages that change are known
without walking the site:

- a body alone: the post's own page (lists, feeds, neighbours and the
  comparison index read no body, `build.planning.edits_only`);
- a title: also every family that lists the post (`Planner.families` with
  ``only``: its columns, sections, branch, tags and archive pages, the home
  page, the posts beside it), made where its key moved from the last build's.

They are planned by the build's own `Planner` and rendered with its theme
environment, from the last build's model with the new versions put in, and
written at once; the full build of the batch follows straight after and finds
those bytes already right (tests compare them with a clean build's) and makes
the rest (feeds, the search index, pages that list no post).

This is Hugo's "fast render" idea, narrowed to where it is exact: the author
sees the saved text after one parse and a few renders (issue 23: "save → the
new text served"), not after a walk of every post. Anything else in the batch
(a new or deleted post, site.toml, a unit file, the theme, a date) returns no
pages and the build alone runs, as before.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from generator.build.parsing import BodyLoader, Parsed, ParseJob, deps_of, parse_one
from generator.build.planning import Look, edit_scope
from generator.build.records import Unsaved
from generator.core.digests import post_token
from generator.core.model import Post, SiteModel
from generator.plan.pages import PageSpec, Planner, list_token
from generator.write.output import atomic_write
from generator.write.state import OUTPUTS_FILE, BuildState, CachedPost, clear_state, file_signature

if TYPE_CHECKING:
    from generator.parse.markup import MarkupRenderer

# More saved posts than this in one batch (a `git checkout`): the build alone, which parses in parallel.
FAST_POSTS_MAX = 20


@dataclass(frozen=True)
class Shown:
    """What the last good build published: its model, its theme as used, and how it parsed posts."""

    model: SiteModel
    look: Look
    job: ParseJob

    @functools.cached_property
    def places(self) -> dict[str, int]:
        """Each published post's index in ``model.posts`` (made once per good build, not per save)."""
        return {p.source: i for i, p in enumerate(self.model.posts)}


class _Saved(Mapping[str, str]):
    """source → a token of the last build's parse (``field`` of its `CachedPost`), or of the saved posts' new parse.

    Looked up, not copied: a title edit reads the tokens of the few families it
    plans, not 50,000 of them (issue 23).
    """

    def __init__(self, posts: Mapping[str, CachedPost], field: str, fresh: dict[str, str]) -> None:
        self._posts, self._field, self._fresh = posts, field, fresh

    def __getitem__(self, source: str) -> str:
        if source in self._fresh:
            return self._fresh[source]
        return getattr(self._posts[source], self._field)

    def __iter__(self) -> Iterator[str]:
        return iter(self._posts)

    def __len__(self) -> int:
        return len(self._posts)


def edit_pages(shown: Shown, state: BuildState, paths: Iterable[str], markup: MarkupRenderer, out: Path) -> list[tuple[str, bytes]]:
    """The (path, bytes) of the pages a save of the posts in ``paths`` changes, when only their bodies
    or titles changed; [] when anything in ``paths`` is more than that (then the build alone is exact).

    ``state``: the last build's (its parses to compare with, its families' keys).
    """
    site = shown.job.site_dir
    rels: list[str] = []
    for path in paths:
        if path in state.posts:
            rels.append(path)
        elif (site / path).exists() or path in shown.job.files:
            return []  # something else saved, or a file the last build used deleted
        # (else an editor's temporary file, come and gone: nothing a page reads)
    if not rels or len(rels) > FAST_POSTS_MAX:
        return []
    published = shown.places
    fresh: dict[str, Parsed] = {}
    kinds: set[str] = set()
    for rel in rels:
        new = parse_one(rel, shown.job, markup)
        kind = _edit_kind(state.posts[rel], new, shown.job) if rel in published else None
        if kind is None:
            return []
        kinds.add(kind)
        fresh[rel] = new
    posts = {rel: r.post for rel, r in fresh.items() if r.post is not None}
    bodies = {rel: r.body for rel, r in fresh.items() if r.body is not None}
    listed = list(shown.model.posts)
    for rel, post in posts.items():
        listed[published[rel]] = post  # (same date and column: the same place in every list)
    model = replace(shown.model, posts=tuple(listed), bodies={**shown.model.bodies, **bodies})
    if "title" in kinds:
        return _lists_too(shown, model, state, fresh, out)
    return _own_pages(shown, model, fresh)


def _edit_kind(old: CachedPost, new: Parsed, job: ParseJob) -> str | None:
    """ "body", "title" (and maybe the body), or None: more than that, or a post the build must report on."""
    if new.post is None or new.body is None or old.body is None or any(p.is_error for p in new.problems):
        return None  # unreadable or refused: the build reports it (warnings too)
    if deps_of(new.post, new.body, job.files) != old.deps:
        return None  # a new image or link target: files beside the page change too
    return edit_scope(old.post, new.post)  # None: a date, column, tag…: posts move between lists


def _own_pages(shown: Shown, model: SiteModel, fresh: Mapping[str, Parsed]) -> list[tuple[str, bytes]]:
    """Bodies alone: each post's own page (no list, feed or neighbour reads a body)."""
    columns = {(r.post.unit, r.post.section) for r in fresh.values() if r.post is not None}
    by_column: dict[tuple[str, str], list[Post]] = {c: [] for c in columns}
    for p in model.posts:  # newest first, as `Planner.families` groups them
        if (p.unit, p.section) in by_column:
            by_column[(p.unit, p.section)].append(p)
    ids = {f"post:{rel}" for rel in fresh}
    families = [f for f in Planner(model, shown.look.assets).post_families(by_column, around=fresh.keys()) if f.id in ids]
    return [(spec.path, _render(shown, spec)) for family in families for spec in family.make()]


def _lists_too(shown: Shown, model: SiteModel, state: BuildState, fresh: Mapping[str, Parsed], out: Path) -> list[tuple[str, bytes]]:
    """Titles too: every family listing the posts (`Planner.families` ``only``) whose key moved, as the build plans them."""
    new_tokens: dict[str, str] = {}
    new_list_tokens: dict[str, str] = {}
    for rel, r in fresh.items():
        assert r.post is not None and r.body is not None
        new_tokens[rel], new_list_tokens[rel] = post_token(r.post, r.body.digest), list_token(r.post)
    tokens = _Saved(state.posts, "token", new_tokens)
    # (as `Builder.load` hands them over: a parse saved without one ("") has it made on first use)
    list_tokens = _Saved(state.posts, "list_token", new_list_tokens)
    html = {r.body.digest: r.body.html for r in fresh.values() if r.body is not None}
    loader = BodyLoader(model.bodies, html, out, shown.job)
    planner = Planner(model, shown.look.assets, loader, tokens, list_tokens)
    try:
        made: list[tuple[str, bytes]] = []
        for family in planner.families(only=fresh.keys()):
            record = state.families.get(family.id)
            if record is None or record.key != family.key:
                made.extend((spec.path, _render(shown, spec)) for spec in family.make())
        return made
    finally:
        loader.close()


def _render(shown: Shown, spec: PageSpec) -> bytes:
    return shown.look.env.get_template(spec.template).render(spec.context).encode("utf-8")


def write_first(unsaved: Unsaved, pages: list[tuple[str, bytes]]) -> Unsaved:
    """Write ``pages`` into the output now; the state to carry on with (``unsaved``'s, without their fingerprints).

    Their fingerprints leave every state first, on disk (`clear_state`: a saved
    state and its no-op key vouch for the old bytes) and in memory, so no state
    ever vouches for bytes written here: should the build that follows fail,
    the next one renders these pages again.
    """
    out = unsaved.out_dir
    clear_state(out)
    written = {path for path, _ in pages}
    state = replace(unsaved.state, pages={k: v for k, v in unsaved.state.pages.items() if k not in written})
    kept = replace(unsaved, state=state, record=file_signature(out / OUTPUTS_FILE))
    for path, data in pages:
        atomic_write(out / path, data)
    return kept
