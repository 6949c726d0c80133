"""Plan stage: which lists can hold a few given posts, so a title edit plans its families without scanning every list.

`Planner.families` with ``only`` (serve's fast render of a title, and the
build of a title edit) wants just the families whose pages list one of a few
posts. Every list is made of the posts sharing one attribute (a unit, a
column, a branch, a column school-wide, a tag, a month), so `Wanted` answers
"can this list hold one of them?" from those attributes, and `pages_listing`
finds the pages of a paginated list that do, from the posts' positions. At
50,000 posts the scan of every page of every list it replaces cost about
0.2 s of a 1.2 s save → list pages served (issue 23).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from generator.core import urls
from generator.core.model import Post
from generator.plan.paging import numbered_pages


@dataclass(frozen=True)
class Wanted:
    """The posts of ``only`` (those in the model) by what puts a post in a list."""

    units: frozenset[str]
    columns: frozenset[tuple[str, str]]  # (unit, column)
    sections: frozenset[str]  # the columns school-wide
    branches: frozenset[tuple[str, str]]  # (unit, branch)
    tags: frozenset[str]  # `urls.tag_slug` keys, as the tag lists are grouped
    months: frozenset[tuple[int, int]]  # (year, month) of the archive

    @classmethod
    def of(cls, posts: Iterable[Post]) -> Wanted:
        posts = list(posts)
        return cls(
            units=frozenset(p.unit for p in posts),
            columns=frozenset((p.unit, p.section) for p in posts),
            sections=frozenset(p.section for p in posts),
            branches=frozenset((p.unit, p.branch) for p in posts if p.branch),
            tags=frozenset(urls.tag_slug(t) for p in posts for t in p.tags),
            months=frozenset((p.day.year, p.day.month) for p in posts),
        )

    @property
    def years(self) -> frozenset[int]:
        return frozenset(y for y, _ in self.months)


def pages_listing(posts: Sequence[Post], sources: Collection[str], size: int) -> list[int]:
    """The pages (0: the front page, else numbered, `paging.page_slice`) of a list of ``posts`` showing one of ``sources``, in order."""
    count = len(posts)
    front = count - numbered_pages(count, size) * size  # the front page holds posts[:front]
    found = {0 if i < front else (count - i - 1) // size + 1 for i, p in enumerate(posts) if p.source in sources}
    return sorted(found)


__all__ = ["Wanted", "pages_listing"]
