"""Build, plan phase helpers: the theme as a build uses it, and which families of the last build hold.

`Builder._plan` walks the page families (`plan.pages.Planner.families`); a
family whose key and outputs are as the last build left them is reused
(`Reuse.record`); in a small edit the changed posts' pages are planned first
(`early_families`), so the search index can begin on them.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from generator.core.model import Post
from generator.plan.pages import Family, FileSpec, Planner
from generator.render.theme import Theme
from generator.write.output import missing_files
from generator.write.state import BuildState, CachedPost, FamilyRecord

# Families planned outside `Planner.families` (their own keys, every build): never kept wholesale. By the id
# before any ":": "compare:<year>/<unit>" is a unit's comparison page (`build.phases.plan_compare_units`).
PLANNED_APART = frozenset({"compare", "plans", "search"})


@dataclass(frozen=True)
class Look:
    """The theme as this build uses it: its Jinja environment, fingerprinted assets and the plan key."""

    theme: Theme
    env: Any
    assets: dict[str, str]  # name in the theme → published path
    asset_specs: tuple[FileSpec, ...]
    global_key: str  # `core.digests.plan_key`; "" when nothing is reused (a check)


@dataclass(frozen=True)
class Reuse:
    """The families of the last build that may be reused as they are (``previous``: "" = none)."""

    previous: Mapping[str, FamilyRecord]
    state: BuildState | None
    out: Path | None

    def record(self, fid: str, key: str) -> FamilyRecord | None:
        """The family's record when its key is unchanged and each of its outputs is still on disk."""
        rec = self.previous.get(fid)
        if rec is None or not key or rec.key != key:
            return None
        return rec if self.on_disk(rec) else None

    def on_disk(self, rec: FamilyRecord) -> bool:
        """Each output of ``rec`` is in the state and on disk: asked of the disk file by file until
        `ask_all` has asked once for every output (`keep_previous`, or a whole plan: at 50,000 posts
        61,000 records and 62,000 files). Not before: the few families planned ahead of a small
        edit (`Builder._plan_first`) would wait for the 62,000 answers, and Pagefind for them."""
        if self.state is None or self.out is None:
            return False
        pages, files = self.state.pages, self.state.files
        missing = self.__dict__.get("_missing")
        if missing is None:
            known = all(path in pages for path, _, _ in rec.pages) and all(path in files for path, _ in rec.files)
            return known and not missing_files(self.out, [*(path for path, _, _ in rec.pages), *(path for path, _ in rec.files)])
        for path, _, _ in rec.pages:
            if path not in pages or path in missing:
                return False
        for path, _ in rec.files:
            if path not in files or path in missing:
                return False
        return True

    def ask_all(self) -> None:
        """Ask the disk once for every output of the last build (`_missing`), before asking about most of them."""
        if self.state is not None and self.out is not None:
            _ = self._missing

    @functools.cached_property
    def _missing(self) -> frozenset[str]:
        """The last build's outputs that are gone from the folder (deleted by hand, or by another tool)."""
        assert self.state is not None and self.out is not None
        return missing_files(self.out, itertools.chain(self.state.pages, self.state.files))


def compare_fields(p: Post) -> tuple[object, ...]:
    """What the comparison index reads of a post (metrics.py, compare.py): not its title or body.

    The slug too: the per-unit grid links each met slot to its record's page."""
    return (p.source, p.unit, p.slug, p.branch, p.category, p.day.isoformat(), p.draft, p.meetings, p.section)


def early_families(planner: Planner, parsed: tuple[str, ...], tokens: dict[str, str], state: BuildState, reuse: Reuse, drafts: bool, limit: int) -> list[Family]:
    """The post pages to make before anything else is planned: those of the posts parsed again
    (and of the posts beside them, where they stand now and where they stood), unless reusable.

    The pages most likely to change, and the only ones the search index reads.
    """
    changed = {rel for rel in parsed if rel in tokens and (rel not in state.posts or state.posts[rel].token != tokens[rel])}
    # where the edited and the deleted posts stood: their neighbours then change too
    gone = [c.post for rel, c in state.posts.items() if (rel in changed or rel not in tokens) and (drafts or not c.post.draft)]
    if not (changed or gone) or len(gone) > limit:
        return []
    return [f for f in planner.post_families(around=changed, was=gone) if reuse.record(f.id, f.key) is None]


def sans_body(p: Post) -> Post:
    """What pages other than the post's own read of it: everything but its body (and what is found in the body)."""
    return replace(p, body="", digest="", extra_files=())


def edits_only(state: BuildState, cache: Mapping[str, CachedPost], parsed: Collection[str], as_of: str, history: str | None) -> str | None:
    """"body" when this build's posts differ from the last build's only in the bodies of the posts parsed
    again; "title" when only in their bodies and titles; "added" when, besides, there are new posts
    (none gone); None otherwise.

    "body": every family's key but those posts' own pages' is what the last
    build recorded: lists, tags, archives, neighbours and feeds read no body
    (their keys hash list tokens, `summary_inputs`), the same posts exist, and
    the day's year and the git history (unit pages, "last changed" on post
    pages) are the same. So `keep_previous` may keep them without the 12,500
    keys of `Planner.families` being derived again (issue 23: an edit's cost at
    50,000 posts). "title": the same, but for the families that list the posts
    (`Planner.families` ``only``), whose keys are derived. "added": the same,
    but for every page of the lists that can hold one of the posts (by unit,
    column, branch, tag, month) and the indexes that count them (``whole``); the
    comparison index is keyed then. The comparison index and 目标管理 are
    keyed as always.
    """
    if not parsed or state.as_of != as_of or (state.history[0] if state.history else None) != history or not state.posts.keys() <= cache.keys():
        return None
    added = cache.keys() - state.posts.keys()
    scopes: set[str | None] = {"added"} if added else set()
    for rel in parsed:
        if rel in added:
            continue
        if rel not in cache or rel not in state.posts:
            return None  # (a post that failed to parse is in neither: no parse to compare, and no shortcut)
        scopes.add(edit_scope(state.posts[rel].post, cache[rel].post))
    if None in scopes or not added <= set(parsed):
        return None
    return "added" if "added" in scopes else "title" if "title" in scopes else "body"


def edit_scope(old: Post, new: Post) -> str | None:
    """What other pages read of a post's edit: "body" (nothing: only its own page shows it), "title"
    (the lists, home page and neighbours show that too), None (more: it may move between lists)."""
    before, after = sans_body(old), sans_body(new)
    if before == after:
        return "body"
    return "title" if replace(after, title=before.title) == before else None


def keep_previous(reuse: Reuse, done: Collection[str], keep: Callable[[str, FamilyRecord], None]) -> bool:
    """Keep every family of the last build but ``done`` (made already) and those `PLANNED_APART`, when
    each one's outputs are still as the last build left them; False (nothing kept) otherwise."""
    if not reuse.previous:
        return False
    kept: list[tuple[str, FamilyRecord]] = []
    reuse.ask_all()
    for fid, rec in reuse.previous.items():
        if fid in done or fid.partition(":")[0] in PLANNED_APART:
            continue
        if not rec.key or not reuse.on_disk(rec):  # (`Reuse.record` with its own key)
            return False
        kept.append((fid, rec))
    for fid, rec in kept:
        keep(fid, rec)
    return True
