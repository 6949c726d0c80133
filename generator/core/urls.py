"""Model stage: the single source of URL and output-path rules.

Every output path is relative to the output root, with forward slashes and
``index.html`` spelt out, so links work under any sub-path and from disk.
Templates get ``root`` (the way back to the site root from the page) and join
it with these paths; nothing else in the code base builds a URL by hand.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import quote

HOME = "index.html"
NOT_FOUND = "404.html"
TAGS = "tags/index.html"
ARCHIVE = "archive/index.html"
COMPARE = "compare/index.html"
COMPARE_DATA = "data/compare.json"
PLANS_DATA = "data/plans.json"  # 目标管理 figures (plan.goals_output)
SEARCH = "search/index.html"
ASSETS = "assets"

# First path segments the site itself uses: no unit folder may take them.
RESERVED_TOP = ("sections", "tags", "archive", "compare", "data", "assets", "search", "pagefind", "404.html", "index.html", "feeds", "sitemap.xml", "robots.txt", "atom.xml", "admin", "plans", "projects")
# Second segments a unit page uses: no post slug may take them.
RESERVED_UNIT = ("branch", "index.html", "atom.xml", "plan", "report")


def paged(base: str, page: int = 0) -> str:
    """``base`` is a folder ("x/y"); page 0 (the newest posts) is its index, page n lives under page/n/.

    Numbered pages count from the oldest post (`plan.paging.numbered_pages`), so a page's URL
    keeps showing the same posts as the list grows.
    """
    return f"{base}/index.html" if page <= 0 else f"{base}/page/{page}/index.html"


def unit(slug: str) -> str:
    return f"{slug}/index.html"


def unit_section(slug: str, key: str, page: int = 0) -> str:
    return paged(f"{slug}/{key}", page)


def branch(unit_slug: str, branch_id: str) -> str:
    return f"{unit_slug}/branch/{branch_id}/index.html"


def post(unit_slug: str, slug: str) -> str:
    return f"{unit_slug}/{slug}/index.html"


def post_file(unit_slug: str, slug: str, name: str) -> str:
    return f"{unit_slug}/{slug}/{name}"


def section(key: str, page: int = 0) -> str:
    return paged(f"sections/{key}", page)


@functools.lru_cache(maxsize=4096)  # a site has a few hundred tags, each slugged once per post that has it
def tag_slug(tag: str) -> str:
    s = unicodedata.normalize("NFKC", tag).strip().casefold()
    s = re.sub(r"[\s/\\?#%&:*\"<>|.]+", "-", s).strip("-")
    return s or "tag"


def tag(name: str, page: int = 0) -> str:
    return paged(f"tags/{tag_slug(name)}", page)


def archive_year(year: int) -> str:
    return f"archive/{year}/index.html"


def archive_month(year: int, month: int, page: int = 0) -> str:
    return paged(f"archive/{year}/{month:02d}", page)


def compare_year(year: int) -> str:
    return f"compare/{year}/index.html"


def compare_unit(year: int, slug: str) -> str:
    return f"compare/{year}/{slug}/index.html"


def compare_csv(year: int) -> str:
    return f"compare/{year}.csv"


def compare_xlsx(year: int) -> str:
    return f"compare/{year}.xlsx"


# -- 目标管理 (issue 18): plans, annual summaries, projects


PROJECTS = "projects/index.html"


def unit_plan(slug: str, year: int) -> str:
    return f"{slug}/plan/{year}/index.html"


def unit_report(slug: str, year: int) -> str:
    return f"{slug}/report/{year}/index.html"


def plans_year(year: int) -> str:
    return f"plans/{year}/index.html"


def project(project_id: str) -> str:
    return f"projects/{project_id}/index.html"


def root_of(path: str) -> str:
    """Relative prefix from the page at ``path`` back to the site root ("" or "../../")."""
    depth = path.count("/")
    return "../" * depth


def href(path: str) -> str:
    """Percent-encode an output path for use in an href/src (Chinese tag names, spaces).

    Every character but the unreserved ones (letters, digits, ``_.-~``) and the
    ``/`` between segments is encoded, ``#`` and ``?`` included: an output path
    is a file name, never a fragment or a query, and an attachment called
    ``a#b?.pdf`` must be linked as ``a%23b%3F.pdf`` to reach the file.
    """
    return quote(path, safe="/")


def collision_key(path: str) -> str:
    """Two outputs whose keys match would overwrite each other on a case-insensitive disk."""
    if path.isascii():  # (NFKC leaves ASCII as it is, and casefold is lower there: once per post and page)
        return path.lower()
    return unicodedata.normalize("NFKC", path).casefold()
