"""Load stage: the site's units, one ``content/<slug>/_unit.toml`` each.

A unit folder whose name is one of the site's own top-level paths is refused
(its pages would collide with them); the others are parsed (`parse.post.parse_unit`).
"""

from __future__ import annotations

from pathlib import Path

from generator.core import urls
from generator.core.errors import Problem, error
from generator.core.model import UNIT_FILE, Unit
from generator.load.config import SiteConfig
from generator.load.sources import Sources


def load_units(site_dir: Path, config: SiteConfig, sources: Sources) -> tuple[dict[str, Unit], list[Problem]]:
    """slug → unit, for every unit folder that parses; and the problems of the others."""
    from generator.parse.post import parse_unit

    problems: list[Problem] = []
    units: dict[str, Unit] = {}
    reserved = {urls.collision_key(r) for r in urls.RESERVED_TOP}
    for slug in sources.units:
        rel = f"content/{slug}/{UNIT_FILE}"
        if urls.collision_key(slug) in reserved:
            problems.append(error(rel, 1, f"单位文件夹名“{slug}”与网站自身的页面路径冲突（保留名：{'、'.join(urls.RESERVED_TOP)}），请改名。"))
            continue
        unit, probs = parse_unit((site_dir / rel).read_bytes(), rel, slug, config)
        problems.extend(probs)
        if unit:
            units[slug] = unit
    return units, problems
