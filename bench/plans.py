"""Benchmark: the 目标管理 plan stage (issue 18) at 10,000 posts.

Builds, in memory, a site model of 21 units × 3 years of frameworks (6 一级,
24 二级指标, 5 规定动作), a plan per unit and year (30 tasks: measured with
selectors and evidenced), 60 projects and 评议 rows, and N posts of which a
quarter name a task and a tenth a project; then times what a build adds for
them: reading the plan files (`parse.plans.parse_plan_inputs`, from TOML
text), checking the posts' references (`parse.projects.check_posts`), the
figures (`plan.goals.compute`), ``data/plans.json`` (`goals_output`) and the
plans family's key (`build.phases.plan_goals`). Usage::

    python bench/plans.py [--posts 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.build.phases import goal_fields
from generator.core.model import Branch, Post, SiteModel, Unit
from generator.core.settings import SiteConfig
from generator.parse.plans import parse_plan_inputs
from generator.parse.projects import check_posts
from generator.plan.goals import compute
from generator.plan.goals_output import data_file, dumps

YEARS = (2024, 2025, 2026)
AS_OF = dt.date(2026, 11, 27)
MEETINGS = ("study-group", "unit-committee", "theme-day", "committee", "lecture")
CATEGORIES = ("理论学习", "推进工作", "组织生活", "队伍建设")


def units() -> dict[str, Unit]:
    out = {}
    for i in range(21):
        slug = f"u{i:02d}"
        branches = tuple(Branch(f"{slug}-b{j}", f"单位{i}第{j}支部", "教职工") for j in range(14))
        out[slug] = Unit(slug, f"第{i}单位党委", "教学单位" if i < 17 else "机关", i, branches, f"content/{slug}/_unit.toml")
    return out


def framework() -> str:
    lines = ['goal = "年度总体目标"']
    for top in range(1, 7):
        lines += ["[[indicators]]", f'code = "{top}"', f'name = "一级指标{top}"']
        for sub in range(1, 5):
            lines += ["[[indicators]]", f'code = "{top}.{sub}"', f'name = "二级指标{top}.{sub}"']
    for r in range(1, 6):
        lines += ["[[required]]", f'id = "Y{r:02d}"', f'indicator = "{r}.1"', f'title = "规定动作{r}"', f"count = {r * 2}", f'meeting = "{MEETINGS[r - 1]}"', "due = 2026-12-31"]
    return "\n".join(lines) + "\n"


def plan(year: int) -> str:
    lines = ['goal = "单位年度目标"']
    for r in range(1, 6):
        lines += ["[[tasks]]", f'id = "T{r:02d}"', f'required = "Y{r:02d}"']
    for t in range(6, 31):
        lines += ["[[tasks]]", f'id = "T{t:02d}"', f'indicator = "{t % 6 + 1}.{t % 4 + 1}"', 'kind = "自选"', f'title = "自选任务{t}"', f"due = {year}-{t % 12 + 1:02d}-28"]
        if t % 2:
            lines += [f"count = {t % 5 + 1}", f'category = "{CATEGORIES[t % 4]}"']
        else:
            lines += ['status = "完成"']
    return "\n".join(lines) + "\n"


def projects(slug: str) -> str:
    lines = []
    for p in range(3):
        lines += ["[[projects]]", f'id = "{slug}-P{p}"', f'name = "项目{p}"', f'type = "{("特色阵地", "研究课题")[p % 2]}"', f'level = "{("重点", "一般")[p % 2]}"']
        lines += [f'branches = ["{slug}-b{p}"]', f"funding = {p * 5000}", "start = 2025-03-01", f"end = 2026-{p * 4 + 1:02d}-28", f'status = "{("立项", "中期", "结项")[p]}"']
    return "\n".join(lines) + "\n"


def files(us: dict[str, Unit]) -> dict[str, bytes]:
    out = {}
    for y in YEARS:
        out[f"content/_plans/{y}.toml"] = framework().encode()
        rows = "".join(f"{u.name},{100 + i},9{i % 10}.5%,{50 + i},8{i % 10}\n" for i, u in enumerate(us.values()))
        out[f"content/_plans/{y}-评议.csv"] = ("\ufeff单位,线上参评人数,线上满意率,线下参评人数,线下满意率\n" + rows).encode()
        for slug in us:
            out[f"content/{slug}/_plans/{y}.toml"] = plan(y).encode()
    for slug in us:
        out[f"content/{slug}/_projects.toml"] = projects(slug).encode()
    return out


def posts(n: int, us: dict[str, Unit]) -> tuple[Post, ...]:
    rng = random.Random(1)
    tz = ZoneInfo("Asia/Shanghai")
    slugs = sorted(us)
    out = []
    for i in range(n):
        slug = slugs[i % len(slugs)]
        day = AS_OF - dt.timedelta(days=rng.randrange(3 * 365))
        names = (f"T{rng.randrange(1, 31):02d}",) if i % 4 == 0 and day.year in YEARS else ()
        out.append(
            Post(
                slug, f"p{i}", f"content/{slug}/{day.year}/p{i}.md", f"文章{i}", dt.datetime(day.year, day.month, day.day, tzinfo=tz), False,
                "news", (rng.choice(MEETINGS),), None, rng.choice(CATEGORIES), (), (), False, "", "", 5, False,
                tasks=names, project=f"{slug}-P{i % 3}" if i % 10 == 0 else None, report="述职" if i % 500 == 0 else None,
            )
        )
    return tuple(sorted(out, key=lambda p: (-p.date.timestamp(), p.unit, p.slug)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    us = units()
    raw = files(us)
    site_posts = posts(args.posts, us)
    config = SiteConfig()
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        inputs, problems = parse_plan_inputs(raw, config, us)
        assert not [p for p in problems if p.is_error], problems[:3]
        t1 = time.perf_counter()
        post_problems = check_posts(inputs, site_posts, lambda rel: "")
        assert not post_problems, post_problems[:3]
        t2 = time.perf_counter()
        model = SiteModel(config, tuple(us.values()), site_posts, {}, as_of=AS_OF, plans=inputs)
        gm = compute(model)
        t3 = time.perf_counter()
        data = dumps(data_file(gm))
        t4 = time.perf_counter()
        # the plans family's key (build.phases.plan_goals): what the figures read of every post, hashed
        hashlib.sha256(repr(("plans", AS_OF.isoformat(), inputs, [goal_fields(p) for p in site_posts])).encode()).hexdigest()
        t5 = time.perf_counter()
        print(
            f"{args.posts} posts, {len(inputs.plans)} plans × 30 tasks, {len(inputs.projects)} projects: "
            f"read {t1 - t0:.3f}s, check posts {t2 - t1:.3f}s, compute {t3 - t2:.3f}s, data file {t4 - t3:.3f}s ({len(data) // 1024} KB); "
            f"family key {t5 - t4:.3f}s; total {t5 - t0:.3f}s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
