"""README.md's TOML examples: each parses, and the site.toml and _unit.toml examples
load with the real loaders (copied as shown, they work)."""

from __future__ import annotations

import re
import tomllib

from conftest import REPO

from generator.load.config import SiteConfig, parse_config
from generator.parse.post import parse_unit


def toml_blocks() -> list[tuple[int, str]]:
    """(line of the opening fence, text) of every ```toml block of README.md."""
    text = (REPO / "README.md").read_text("utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in re.finditer(r"^```toml\n(.*?)^```$", text, re.M | re.S)]


def test_every_toml_example_in_the_readme_parses_and_loads() -> None:
    blocks = toml_blocks()
    kinds = []
    for line, block in blocks:
        try:
            data = tomllib.loads(block)
        except tomllib.TOMLDecodeError as exc:
            raise AssertionError(f"README.md:{line}: TOML 示例无法解析：{exc}") from None
        if "branches" in data:  # a _unit.toml
            unit, problems = parse_unit(block.encode("utf-8"), "content/jixie/_unit.toml", "jixie", SiteConfig())
            assert unit is not None and not problems, (line, [p.format() for p in problems])
            kinds.append("unit")
        elif {"site", "meetings", "sections", "compare"} & set(data):  # a site.toml
            cfg = parse_config(block.encode("utf-8"))
            # every top-level key of the example took effect (none swallowed by a table above it)
            assert cfg.categories == tuple(data["categories"]) and cfg.title == data["site"]["title"], line
            assert [m.name for m in cfg.meetings] == [m["name"] for m in data["meetings"]]
            kinds.append("site")
        else:
            kinds.append("other")
    assert "site" in kinds and "unit" in kinds, kinds
