"""Build, serve's fast render: the page of a post whose body alone was saved, made before the build.

Stage: build. `serve` (`serve.server.PreviewServer`) hands a batch of saved
paths to `Builder.preview_first` before it runs the build of that batch. When
every saved file is a published post whose new version differs from the one
the last build showed only in its body (same title, date, column, tags,
attachments, referenced files, and no error), the post's own page is the only
page that changes: lists, feeds, neighbours and the comparison index read no
body (`build.planning.body_edits_only`). Its page is then planned with the
same `Planner.post_families` and rendered with the same theme environment as
the build uses, from the last build's model with the new body put in, and
written at once; the full build of the batch follows straight after and finds
the page's bytes already right (a test compares them with a clean build's).

This is Hugo's "fast render" idea, narrowed to where it is exact: the author
sees the saved text after one parse and one render (issue 23: "save a post's
body → the new text served"), not after a walk of every post. Anything else in
the batch (a new or deleted post, site.toml, a unit file, the theme, a title)
returns no pages and the build alone runs, as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from generator.build.parsing import ParseJob, deps_of, parse_one
from generator.build.planning import Look, sans_body
from generator.core.model import Post, SiteModel
from generator.plan.pages import Planner
from generator.write.state import CachedPost

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


def body_edit_pages(shown: Shown, posts: Mapping[str, CachedPost], paths: Iterable[str], markup: MarkupRenderer) -> list[tuple[str, bytes]]:
    """The (path, bytes) of the pages of the posts in ``paths`` whose body alone changed; [] when
    anything in ``paths`` is more than that (then the build alone is exact).

    ``posts``: the last build's parses (its state), to compare the new parses with.
    """
    site = shown.job.site_dir
    rels: list[str] = []
    for path in paths:
        if path in posts:
            rels.append(path)
        elif (site / path).exists() or path in shown.job.files:
            return []  # something else saved, or a file the last build used deleted
        # (else an editor's temporary file, come and gone: nothing a page reads)
    if not rels or len(rels) > FAST_POSTS_MAX:
        return []
    by_source = {p.source: p for p in shown.model.posts}
    bodies: dict[str, object] = {}
    fresh: dict[str, Post] = {}
    for rel in rels:
        old = posts[rel]
        new = parse_one(rel, shown.job, markup)
        if rel not in by_source or new.post is None or new.body is None or old.body is None:
            return []  # unpublished, unreadable or refused: the build reports it
        if any(p.is_error for p in new.problems) or sans_body(new.post) != sans_body(old.post):
            return []  # refused, or other fields: other pages change (warnings: the build reports them)
        if deps_of(new.post, new.body, shown.job.files) != old.deps:
            return []  # a new image or link target: files beside the page change too
        fresh[rel], bodies[rel] = new.post, new.body
    return _render(shown, fresh, bodies)


def _render(shown: Shown, fresh: dict[str, Post], bodies: Mapping[str, object]) -> list[tuple[str, bytes]]:
    """The posts' own pages from the last model with their new versions put in (the build's planner and templates)."""
    m = shown.model
    model = replace(m, posts=tuple(fresh.get(p.source, p) for p in m.posts), bodies={**m.bodies, **bodies})  # type: ignore[dict-item]
    columns = {(p.unit, p.section) for p in fresh.values()}
    by_column: dict[tuple[str, str], list[Post]] = {c: [] for c in columns}
    for p in model.posts:  # newest first, as `Planner.families` groups them
        if (p.unit, p.section) in by_column:
            by_column[(p.unit, p.section)].append(p)
    ids = {f"post:{rel}" for rel in fresh}
    out: list[tuple[str, bytes]] = []
    for family in Planner(model, shown.look.assets).post_families(by_column, around=fresh.keys()):
        if family.id in ids:
            for spec in family.make():
                out.append((spec.path, shown.look.env.get_template(spec.template).render(spec.context).encode("utf-8")))
    return out
