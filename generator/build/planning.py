"""Build, plan phase helpers: the theme as a build uses it, and which families of the last build hold.

`Builder._plan` walks the page families (`plan.pages.Planner.families`); a
family whose key and outputs are as the last build left them is reused
(`Reuse.record`); in a small edit the changed posts' pages are planned first
(`early_families`), so the search index can begin on them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.core.model import Post
from generator.plan.pages import Family, FileSpec, Planner
from generator.render.theme import Theme
from generator.write.state import BuildState, FamilyRecord


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
        if rec is None or not key or rec.key != key or self.state is None:
            return None
        state, out = self.state, self.out
        on_disk = all(path in state.pages and os.path.isfile(f"{out}/{path}") for path, _, _ in rec.pages) and all(
            path in state.files and os.path.isfile(f"{out}/{path}") for path, _ in rec.files
        )
        return rec if on_disk else None


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
