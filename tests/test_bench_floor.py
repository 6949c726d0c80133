"""bench/floor.py's issue-23 floors: the Markdown floor reads the corpus's posts and converts them, and the
cold-build floor arithmetic and its verdict against Hugo + Pagefind (tiny hand-made site, nothing else timed)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import load_bench_script

floor: Any = load_bench_script("floor")

POST = "---\n标题: 支部会议\n日期: 2026-03-01\n栏目: 党建\n---\n\n## 会议内容\n\n会议**认为**，要<script>x()</script>学习。\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"


def test_markdown_floor_converts_every_post_body(tmp_path):
    for name in ("a", "b", "c"):
        md = tmp_path / "content" / "jixie" / "2026" / f"{name}.md"
        md.parent.mkdir(parents=True, exist_ok=True)
        md.write_text(POST, encoding="utf-8")
    (tmp_path / "content" / "jixie" / "_unit.toml").write_text('name = "机械"\n', encoding="utf-8")
    posts = floor.read_posts(tmp_path)
    assert [p.source for p in posts] == [f"content/jixie/2026/{n}.md" for n in "abc"]
    assert posts[0].body.startswith("\n## 会议内容") and posts[0].body_line == 6 and posts[0].unit == "jixie"
    m = floor.markdown_floor(posts)
    assert m.posts == 3 and m.renderer_cpu >= 0 and m.markdown_cpu >= 0


def test_cold_floor_and_its_ratio_to_hugo_pagefind():
    assert floor.cold_floor(5.0, 2.0, 6.0, cores=2) == 5.0  # Pagefind's own wall time bounds it
    assert floor.cold_floor(1.0, 4.0, 6.0, cores=2) == 5.0  # the CPU work over both cores bounds it
    numbers = {"pagefind_services": {"wall_s": 7.0, "cpu_s": 7.0}, "pagefind_one_process": {"wall_s": 5.0, "cpu_s": 5.5}}
    rows: list[tuple[str, str]] = []
    floor.floor_rows(floor.MarkdownFloor(1000, 2.5, 1.9), 6.0, rows, numbers)
    assert numbers["cold_floor"]["seconds"] == 7.0 and numbers["cold_floor_any"]["seconds"] == 5.0
    assert "above the ≤ 1.0× target" in rows[0][1] and "within the ≤ 1.0× target" in rows[2][1]
    rows.clear()
    floor.floor_rows(floor.MarkdownFloor(1000, 2.5, 1.9), None, rows, numbers)
    assert numbers["cold_floor"]["ratio_to_hugo_pagefind"] is None and "no Hugo + Pagefind" in rows[0][1]


def test_noop_floor_stats_every_content_file_and_every_recorded_output(tmp_path):
    content, out = tmp_path / "content", tmp_path / "out"
    for rel in ("jixie/_unit.toml", "jixie/2026/a.md", "jixie/2026/img/b.png"):
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text("x", encoding="utf-8")
    out.mkdir()
    (out / ".liangshai-outputs").write_text("index.html\njixie/a/index.html\n", encoding="utf-8")
    seconds, sources, outputs = floor.noop_scan(content, out, outputs=True)
    assert (sources, outputs) == (3, 2) and seconds > 0
    assert floor.noop_scan(content, out, outputs=False)[1:] == (3, 0)
    rows: list[tuple[str, str]] = []
    numbers: dict[str, Any] = {}
    floor.noop_rows(tmp_path, out, 1, rows, numbers)
    assert numbers["noop_sources_outputs"]["outputs"] == 2 and numbers["noop_sources"]["sources"] == 3
    assert "3 files + 2 outputs" in rows[1][0]


def _edit(unit: str, pages: int, read: float, write: float) -> Any:
    return floor.ShardEdit((unit, "2026"), pages, 0.2, read, write)


def test_edit_floor_counts_the_shards_and_posts_above_each_target():
    edits = [_edit("a", 10, 0.05, 0.1), _edit("b", 300, 0.4, 0.7), _edit("c", 690, 0.9, 1.9)]
    numbers = floor.edit_floor_numbers(edits, [edits[1], _edit("b", 300, 0.6, 1.0)], know=0.3)
    # floors: a 0.45 s, b 1.4 s, c 3.1 s
    assert numbers["over"]["1.0"] == {"shards": 2, "posts": 990, "share": 0.99}
    assert numbers["over"]["1.5"] == {"shards": 1, "posts": 690, "share": 0.69}
    assert numbers["over"]["2.0"]["shards"] == 1
    assert numbers["median_shard"] == {"shard": ["b", "2026"], "pages": 300, "read_s": 0.5, "write_s": 0.85}
    assert [s["shard"] for s in numbers["shards"]] == [("a", "2026"), ("b", "2026"), ("c", "2026")]
    assert numbers["warm_s"] == 0.2 and numbers["known_s"] == 0.3


def test_shard_edit_runs_pagefind_on_a_shard_as_an_edit_does(tmp_path):
    from generator.search.pagefind import pagefind_binary

    binary = pagefind_binary()
    if binary is None or not binary.exists():
        pytest.skip("没有 Pagefind（pip install 'pagefind[extended]'）")
    out = tmp_path / "out"
    pages = [f"jixie/p{i}/index.html" for i in range(3)]
    for i, page in enumerate(pages):
        (out / page).parent.mkdir(parents=True)
        (out / page).write_text(f'<html lang="zh-CN"><body><article data-pagefind-body><h1>支部会议{i}</h1><p>学习党章。</p></article></body></html>', encoding="utf-8")
    (out / floor.MEMBERS).write_text(json.dumps({"version": 3, "filters": [{}], "pages": {p: ["2026", 0] for p in pages}}), encoding="utf-8")
    shards = floor.shard_pages(out)
    assert shards == {("jixie", "2026"): pages}
    edit = floor.shard_edit(binary, out, ("jixie", "2026"), pages, tmp_path / "work")
    assert edit.pages == 3 and edit.warm > 0 and edit.read > 0 and edit.write > 0
    assert edit.pagefind == edit.read + edit.write
    assert not (tmp_path / "work" / "site").exists()  # the scratch site goes
    rows: list[tuple[str, str]] = []
    numbers: dict[str, Any] = {"noop_sources": {"wall_s": 5.0}}
    floor.edit_floor_rows(binary, out, 2, rows, numbers, scratch=tmp_path / "scratch")
    assert not any((tmp_path / "scratch").iterdir())  # its scratch folder goes
    assert numbers["edit_floor"]["known_s"] == 5.0  # the stat of every source, when later than the warm-up
    assert numbers["edit_floor"]["over"]["2.0"] == {"shards": 1, "posts": 3, "share": 1.0}
    assert "1 of 1 shards, 100% of the 3 post pages" in rows[-1][1]
