"""Build, parse phase: which saved parses still hold, and taking in the fresh ones.

A post is read again only when its file stamp, its unit's context
(`core.digests.unit_context`) or a file it references changed; a fresh parse
becomes a `write.state.CachedPost` with its token (`core.digests.post_token`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from generator.build.parsing import Parsed, deps_hold, deps_of
from generator.build.records import BuildOptions
from generator.core.digests import digest_of, post_token
from generator.core.errors import Problem
from generator.core.model import Post, Unit
from generator.core.plans import PlanInputs
from generator.core.settings import SiteConfig
from generator.load.sources import Sources
from generator.plan.pages import list_token
from generator.write.state import BodyStore, BuildState, CachedPost


def reuse_parses(state: BuildState, sources: Sources, units: dict[str, Unit], contexts: dict[str, str], options: BuildOptions) -> tuple[dict[str, CachedPost], list[str]]:
    """The saved parses that still hold (by stamp, unit context and referenced files), and the posts to parse."""
    cache: dict[str, CachedPost] = {}
    todo: list[str] = []
    only = options.only
    for rel in sources.posts:
        slug = rel.split("/")[1]
        if slug not in units:
            continue  # its unit folder already has an error
        if only is not None and rel not in only:
            continue  # not selected: its name still takes part in unique_slugs
        hit = state.posts.get(rel)
        st = sources.stamps[rel]
        if (
            hit is not None
            and hit.stamp == (st.size, st.mtime_ns)
            and hit.context == contexts[slug]
            and deps_hold(hit.deps, sources.files)
            and (hit.body is not None or (hit.post.draft and not options.drafts))
        ):
            cache[rel] = hit
        else:
            todo.append(rel)
    return cache, todo


PREREAD_POSTS_MAX = 20  # an edit of more posts than this is not read ahead (they are seldom all in one shard)


def edited_pages(state: BuildState, sources: Sources, limit: int = PREREAD_POSTS_MAX) -> list[str]:
    """The pages the last build made of the posts whose files changed since, when only those changed (no post came
    or went) and they are at most ``limit``: the search reads their shard ahead (`search.index.SearchIndex.preread`).

    A guess from the file stamps alone, taken before anything is parsed: the search
    checks what it read against the pages it is given, and reads again what differs.
    """
    if len(sources.posts) != len(state.posts):
        return []
    pages: list[str] = []
    posts, families, stamps = state.posts, state.families, sources.stamps
    for rel in sources.posts:
        hit = posts.get(rel)
        if hit is None:
            return []
        st = stamps[rel]
        if hit.stamp != (st.size, st.mtime_ns):
            record = families.get(f"post:{rel}")
            if record is None or len(pages) >= limit:
                return []
            pages.extend(path for path, _, _ in record.pages)
    return pages


def take_parses(
    parsed: Iterable[Parsed], sources: Sources, contexts: dict[str, str], cache: dict[str, CachedPost], problems: list[Problem], store: BodyStore | None
) -> dict[str, str]:
    """Take fresh parses into ``cache`` (and their problems into ``problems``); the body HTML goes
    into ``store`` as it arrives, or is returned (body digest → HTML) without one."""
    fresh_html: dict[str, str] = {}
    pending: list[tuple[str, str]] = []  # HTML on its way to the store
    for r in parsed:
        problems.extend(r.problems)
        if r.post is None:
            continue
        body = r.body
        if body is not None:
            if store is None:
                fresh_html[body.digest] = body.html
            else:
                pending.append((body.digest, body.html))
                if len(pending) >= 256:
                    store.put_many(pending)
                    pending = []
            body = replace(body, html="")
        st = sources.stamps[r.rel]
        token = post_token(r.post, body.digest if body else None)
        deps = deps_of(r.post, r.body, sources.files)
        cache[r.rel] = CachedPost((st.size, st.mtime_ns), contexts[r.post.unit], deps, r.post, r.problems, body, token, list_token(r.post))
    if store is not None:
        store.put_many(pending)
    return fresh_html


def plan_inputs(site_dir: Path, sources: Sources, config: SiteConfig, units: dict[str, Unit]) -> tuple[PlanInputs, list[Problem]]:
    """The 目标管理 files (issue 18) read and checked: frameworks, unit plans, projects, 评议."""
    from generator.load.plans import read_plan_files
    from generator.parse.plans import parse_plan_inputs

    files, problems = read_plan_files(site_dir, sources)
    key = digest_of(sorted(files.items()), config, sorted(units.items()))
    if _plans_memo[0] != key:
        _plans_memo[:] = [key, parse_plan_inputs(files, config, units, config.plans.evaluation_url)]
    inputs, parsed = _plans_memo[1]
    return inputs, [*problems, *parsed]


# The plan files last read, by their bytes, the settings and the units: `serve` builds again
# on every save, and reading three years of plans for 21 units is 0.5 s of TOML.
_plans_memo: list = [None, None]


def post_plan_problems(site_dir: Path, inputs: PlanInputs, posts: list[Post]) -> list[Problem]:
    """Each post's ``tasks`` and ``project`` against the plans and projects (the file is read again only for a mistake's line)."""
    from generator.parse.projects import check_posts

    if not any(p.tasks or p.project for p in posts):
        return []
    return check_posts(inputs, posts, lambda rel: (site_dir / rel).read_text("utf-8", errors="replace"))
