"""Parse stage: one slug per unit — two files would publish to one page.

Run over the parsed posts of the whole site (`unique_slugs`), or, in a
selective check, over the selected posts against the others' file names
(`slugs_beside`), which are not parsed.
"""

from __future__ import annotations

from operator import attrgetter

from generator.core import urls
from generator.core.errors import Problem, error
from generator.core.model import Post
from generator.load.config import SiteConfig


def _duplicate(slug: str, other: str) -> str:
    return f"文章网址名“{slug}”与 {other} 重复：同一单位内文件名（文章包则为文件夹名）不能相同，请改名其中一个。"


def unique_slugs(posts: list[Post], config: SiteConfig) -> tuple[list[Post], list[Problem]]:
    """The posts kept (first by source path wins), and a problem for each post left out."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], Post] = {}
    kept: list[Post] = []
    reserved = {*urls.RESERVED_UNIT, *(s.key for s in config.sections)}
    reserved_keys = {urls.collision_key(r) for r in reserved}
    for p in sorted(posts, key=attrgetter("source")):
        slug_key = urls.collision_key(p.slug)
        key = (p.unit, slug_key)
        if key in seen:
            problems.append(error(p.source, 1, _duplicate(p.slug, seen[key].source)))
            continue
        if slug_key in reserved_keys:
            problems.append(error(p.source, 1, f"文件名“{p.slug}”与单位页面的栏目或支部网址冲突（保留名：{'、'.join(sorted(reserved))}），请改名。"))
            continue
        seen[key] = p
        kept.append(p)
    return kept, problems


def slugs_beside(posts: list[Post], others: list[str]) -> list[Problem]:
    """A selective check: the selected posts' slugs against the unselected posts' file
    names (a post's slug is its file or bundle name, `parse.post.post_slug`), unparsed.
    Reported on the selected post, naming the other file."""
    from generator.parse.post import post_slug

    names: dict[tuple[str, str], str] = {}
    units = {p.unit for p in posts}  # slugs are unique per unit: only these units' names matter
    for rel in others:
        unit = rel.split("/")[1]
        if unit in units:
            names.setdefault((unit, urls.collision_key(post_slug(rel)[0])), rel)
    problems: list[Problem] = []
    for p in posts:
        other = names.get((p.unit, urls.collision_key(p.slug)))
        if other is not None:
            problems.append(error(p.source, 1, _duplicate(p.slug, other)))
    return problems
