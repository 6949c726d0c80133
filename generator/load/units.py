"""Load stage: the site's units, one ``content/<slug>/_unit.toml`` each.

A unit folder whose name is one of the site's own top-level paths is refused
(its pages would collide with them); the others are parsed (`parse.post.parse_unit`).
Across the parsed units, a unit name or a branch id used twice is an error at the
later file's line: pages, the comparison tables and posts' ``branch`` name them alone.
"""

from __future__ import annotations

from pathlib import Path

from generator.core import urls
from generator.core.errors import Kind, Problem, error, toml_line_finder
from generator.core.model import UNIT_FILE, Unit
from generator.load.config import SiteConfig
from generator.load.sources import Sources


def load_units(site_dir: Path, config: SiteConfig, sources: Sources) -> tuple[dict[str, Unit], list[Problem]]:
    """slug → unit, for every unit folder that parses; and the problems of the others."""
    from generator.parse.post import parse_unit

    problems: list[Problem] = []
    units: dict[str, Unit] = {}
    texts: dict[str, bytes] = {}
    reserved = {urls.collision_key(r) for r in urls.RESERVED_TOP}
    for slug in sources.units:
        rel = f"content/{slug}/{UNIT_FILE}"
        if urls.collision_key(slug) in reserved:
            problems.append(error(rel, 1, f"单位文件夹名“{slug}”与网站自身的页面路径冲突（保留名：{'、'.join(urls.RESERVED_TOP)}），请改名。"))
            continue
        texts[slug] = (site_dir / rel).read_bytes()
        unit, probs = parse_unit(texts[slug], rel, slug, config)
        problems.extend(probs)
        if unit:
            units[slug] = unit
    problems.extend(duplicate_problems(units, texts))
    return units, problems


def duplicate_problems(units: dict[str, Unit], texts: dict[str, bytes]) -> list[Problem]:
    """A unit name or branch id that an earlier unit (in folder order) already uses, at the later
    file's ``name`` / branch ``id`` line. Each unit parsed, so its branches are its [[branches]] in order."""
    problems: list[Problem] = []
    names: dict[str, str] = {}  # unit name -> the first unit file with it
    ids: dict[str, str] = {}  # branch id -> the first unit file with it
    for slug, unit in units.items():
        find = toml_line_finder(texts[slug].decode("utf-8-sig", "replace"))
        if (first := names.setdefault(unit.name, unit.source)) != unit.source:
            problems.append(error(unit.source, find("", "name"), f"单位名称“{unit.name}”与 {first} 重复了：全站每个单位的名称必须唯一，请改名或合并这两个单位。", Kind.CONFIG))
        for i, branch in enumerate(unit.branches):
            if (first := ids.setdefault(branch.id, unit.source)) != unit.source:
                problems.append(
                    error(unit.source, find("branches", "id", i, fallback=1), f"支部 id “{branch.id}” 与 {first} 中的支部重复了：全站每个支部的 id 必须唯一（它用于网址和对标数据），请改用别的 id。", Kind.CONFIG)
                )
    return problems
