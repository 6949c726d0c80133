"""`Planner.families` with ``only`` (a title edit: serve's fast render and the build): exactly the families of the
whole plan whose pages list one of the posts, found from the posts' attributes and places (`plan.listing`) rather
than by scanning every list; and the home page's key, which holds what the home page shows and nothing more.

The oracle reads which posts each family of the whole plan shows from its `PlanCall`'s arguments (the lists it
is planned from, the page of a paginated list), not from the code under test.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from generator.core.model import Post, SiteModel
from generator.plan.pages import Family, Planner, fingerprint, post_order
from generator.plan.paging import page_slice

INDEXES = {"not_found", "tags_index", "archive_index"}  # pages listing no post: never part of ``only``


@pytest.fixture(scope="module")
def model(demo_model: SiteModel) -> SiteModel:
    """The demo with pages of 3 posts and 2 newest per column on the home page: every list is paginated."""
    return dataclasses.replace(demo_model, config=dataclasses.replace(demo_model.config, page_size=3, latest=2))


def _planner(model: SiteModel) -> Planner:
    return Planner(model, {}, None, {p.source: f"t-{p.source}" for p in model.posts})


def _shows(family: Family, size: int) -> list[Post]:
    """The posts a family of the whole plan is planned from, read from its call."""
    call = family.make
    if call.method == "post_page":
        return [p for p in call.args if p is not None]
    if call.method == "archive_year":
        return [p for posts in call.args[-1].values() for p in posts]
    posts = call.args[-1]
    return posts if call.only is None else posts[page_slice(len(posts), size, call.only)]


def _expected(planner: Planner, whole: list[Family], only: set[str]) -> list[tuple[str, str]]:
    size = planner.cfg.page_size
    return [
        (f.id, f.key)
        for f in whole
        if f.id == "home" or (f.make.method not in INDEXES and any(p.source in only for p in _shows(f, size)))
    ]


def test_the_families_listing_a_few_posts_are_those_of_the_whole_plan_that_list_them(model: SiteModel) -> None:
    planner = _planner(model)
    whole = planner.families()
    assert sum(1 for f in whole if f.id.startswith("column:") and not f.id.endswith("#0")) > 20  # paginated lists
    posts = [p.source for p in model.posts]
    rng = random.Random(23)
    picks = [{s} for s in posts[:: max(1, len(posts) // 40)]] + [set(rng.sample(posts, k)) for k in (2, 3, 5) for _ in range(5)]
    picks.append({posts[-1], "content/nowhere/2026/gone.md"})  # a source not in the model lists nowhere
    for only in picks:
        got = [(f.id, f.key) for f in planner.families(only=only)]
        assert got == _expected(planner, whole, only), sorted(only)


def test_the_home_page_is_keyed_by_what_it_shows(model: SiteModel) -> None:
    """A title edit of a post the home page does not show keeps its key and its page; of one it shows, changes both."""

    def home(m: SiteModel, edited: Post) -> tuple[str, str]:
        tokens = {p.source: f"t-{p.source}" for p in m.posts}
        tokens[edited.source] += "'"
        family = next(f for f in Planner(m, {}, None, tokens).families() if f.id == "home")
        [spec] = family.make()
        return family.key, fingerprint(spec.template, spec.context)

    def retitled(edited: Post) -> SiteModel:
        new = dataclasses.replace(edited, title=edited.title + "（修订）")
        return dataclasses.replace(model, posts=tuple(new if p is edited else p for p in model.posts))

    on_home = {p.source for s in model.config.sections for p in [q for q in model.posts if q.section == s.key][: model.config.latest]}
    hidden = next(p for p in model.posts if p.source not in on_home)
    shown = next(p for p in model.posts if p.source in on_home)
    assert home(retitled(hidden), hidden) == home(model, hidden)
    before, after = home(model, shown), home(retitled(shown), shown)
    assert before[0] != after[0] and before[1] != after[1]


def _added(model: SiteModel, old: Post, name: str) -> tuple[SiteModel, Post]:
    """``model`` with a copy of ``old`` under another file name, in its place in the newest-first order."""
    new = dataclasses.replace(old, source=old.source.replace(".md", f"-{name}.md"), slug=f"{old.slug}-{name}")
    posts = sorted([*model.posts, new], key=post_order)
    return dataclasses.replace(model, posts=tuple(posts)), new


def test_whole_lists_hold_every_family_a_new_post_changes(model: SiteModel) -> None:
    """``whole`` (a build that adds posts and keeps the rest): every family of the whole plan that is new or keyed
    otherwise than before the post came is among them, with the whole plan's key; the others are kept as they were."""
    before = {f.id: f.key for f in _planner(model).families()}
    tagged = [p for p in model.posts if p.tags]
    olds = [model.posts[0], model.posts[len(model.posts) // 2], model.posts[-1], tagged[len(tagged) // 2]]
    for i, old in enumerate(olds):
        grown, new = _added(model, old, f"copy{i}")
        planner = _planner(grown)
        whole = {f.id: f.key for f in planner.families()}
        changed = {fid for fid, key in whole.items() if before.get(fid) != key}
        assert f"post:{new.source}" in changed and any(fid.startswith("column:") for fid in changed)
        got = {f.id: f.key for f in planner.families(only={new.source}, whole=True)}
        assert changed <= set(got), sorted(changed - set(got))
        assert all(whole[fid] == key for fid, key in got.items())
        assert len(got) < len(whole) / 3  # the point: most of the site is not planned again
