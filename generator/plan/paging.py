"""Plan stage: how a long list is cut into pages, and the pager's links (`numbered_pages`, `page_slice`, `page_links`)."""

from __future__ import annotations

from typing import Any

from generator.core import urls


def numbered_pages(count: int, size: int) -> int:
    """How many numbered pages a list of ``count`` posts has besides its front page.

    Numbered pages hold ``size`` posts each, counted from the oldest (page 1),
    and the front page holds the newest rest: ``size`` to ``2 * size - 1``
    posts (all of them in a shorter list). So a new post changes the front
    page only, and every ``size`` posts one more numbered page splits off it:
    no post ever moves from one numbered page to another, a page's URL keeps
    showing the same posts, and a new post renders a few pages instead of
    every page of every list it is in (≈ 400 at 10,000 posts).
    """
    return max(0, count // size - 1)


def page_slice(count: int, size: int, page: int) -> slice:
    """The posts (newest first) of page ``page`` of a list of ``count``: 0 the front page, else a numbered page."""
    numbered = numbered_pages(count, size)
    if page == 0:
        return slice(0, count - numbered * size)
    return slice(count - page * size, count - (page - 1) * size)


def page_links(base_folder: str, page: int, pages: int) -> list[dict[str, Any]]:
    """The pager's links, newest first, gaps marked: the front page, three numbered pages either side of this one, and page 1.

    ``pages``: the numbered pages. A reader needs no 275 page links, and listing
    them all on every page makes long lists quadratic to plan and to download.
    A numbered page's links depend on ``pages`` only through ``min(pages, page + 4)``
    (`pager_cap`): when a new page splits off the front page, only the four pages
    below it change, not every page of the list.
    """
    if page == 0:
        window = range(pages, max(0, pages - 3), -1)  # the newest numbered pages
        gap_above = False
    else:
        cap = pager_cap(page, pages)
        window = range(min(cap, page + 3), max(0, page - 4), -1)
        gap_above = cap > page + 3
    out: list[dict[str, Any]] = [{"label": "最新", "url": urls.paged(base_folder, 0), "current": page == 0, "gap": False}]
    gap = {"label": None, "url": None, "current": False, "gap": True}
    if gap_above:
        out.append(gap)
    shown = [*window, *([1] if window and window[-1] > 1 else [])]
    for i, k in enumerate(shown):
        if i and k != shown[i - 1] - 1:
            out.append(gap)
        out.append({"label": f"第 {k} 页", "url": urls.paged(base_folder, k), "current": k == page, "gap": False})
    return out


def pager_cap(page: int, pages: int) -> int:
    """All a numbered page shows of the list's length: is it the newest page, and are there more than three above it."""
    return min(pages, page + 4)


__all__ = ["numbered_pages", "page_links", "page_slice", "pager_cap"]
