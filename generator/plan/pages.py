"""Plan stage: the site model → every output, each with its full template context.

`plan_pages` is the one function that decides what a page's template sees; the
page's fingerprint is a hash of exactly that context plus the templates it
uses (see `fingerprint`), so a template can never see an untracked value and
an unchanged fingerprint means unchanged bytes. Contexts are plain JSON data.
Pure: no disk, no Jinja.

Pages come in *families* (`Family`): the pages one function plans from one
set of posts — a post page, one paginated list, a branch page, the home
page. Each family has a key: a hash of what it reads of its posts and of
anything else it shows. A post's own page hashes the post's token (it
changes whenever anything parsed from its file does); every other family
reads its posts only through their summaries, so it hashes their list tokens
(`summary_inputs`: title, date, column, meetings, branch…), and a body or tag
edit plans the post's page alone. The builder keeps every family's key and page
fingerprints in its state and plans again only the families whose key
changed, so a one-post edit plans one to a few hundred pages, not the whole site.
Everything a family does not hash must be in the builder's *global* key
(site.toml, unit files, theme, assets, code), whose change plans all.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.core import urls
from generator.core.model import Post, SiteModel, Unit
from generator.load.config import SiteConfig
from generator.load.images import published_as
from generator.plan.listing import Wanted, pages_listing
from generator.plan.paging import numbered_pages, page_links, page_slice, pager_cap

# A year's archive page lists each month's newest posts, this many, and links to the month's
# full (paginated) list: a whole year in one page was 1.4 MB at 10,000 posts, too much for a
# phone, and every title edit of that year rendered it again.
YEAR_PREVIEW = 5


@dataclass(frozen=True)
class PageSpec:
    path: str
    template: str
    context: dict[str, Any]
    owner: str  # what claims this path (a source file or "站点"), for collision messages


@dataclass(frozen=True)
class FileSpec:
    """An output copied from a source file, given as bytes, or made by ``make`` when its ``key`` changed."""

    path: str
    owner: str
    source: Path | None = None
    data: bytes | None = None
    web_px: int | None = None  # a large photo: published as a copy at most this many pixels on its longest side
    make: Callable[[], bytes] | None = None  # slow to make (workbooks, feeds): called only when ``key`` (a digest
    key: str = ""  # of everything the bytes depend on; "" = always) differs from the last build's or the file is missing


@dataclass(frozen=True)
class Family:
    """Pages planned together from the same inputs; ``key`` changes whenever they may.

    ``make`` plans them. The planner's families make them with a `PlanCall`, which
    pickles (no closure), so a family can go to a worker process started by any method.
    """

    id: str
    key: str
    make: Callable[[], list[PageSpec]]


@dataclass(frozen=True)
class PlanCall:
    """``planner.<method>(*args)`` as a value: a family's `Family.make`.

    ``single``: the method plans one page (wrapped in a list); ``only``: one page of a
    paginated list, passed as ``only=`` (0: the front page). Holding the planner and
    plain arguments rather than a closure keeps a family picklable.
    """

    planner: Planner
    method: str
    args: tuple[Any, ...] = ()
    single: bool = False
    only: int | None = None

    def __call__(self) -> list[PageSpec]:
        plan = getattr(self.planner, self.method)
        if self.single:
            return [plan(*self.args)]
        if self.only is None:
            return plan(*self.args)
        return plan(*self.args, only=self.only)


class _Summaries(dict):
    """Post summaries (`Node`) made on first use: an edit plans only a few families."""

    def __init__(self, planner: Planner):
        super().__init__()
        self._planner = planner

    def __missing__(self, source: str) -> Node:
        node = Node(self._planner._summary(self._planner.posts_by_source[source]))
        self[source] = node
        return node


class _ListTokens(dict):
    """source → what a list shows of the post (`Planner._summary`'s inputs), hashed on first use.

    Every family but a post's own page reads its posts only through their
    summaries (and the order and number of posts, which the key's list holds),
    so it is keyed by these: a body, tag or attachment edit re-plans the post's
    page alone, not the ~350 list pages that show it at 10,000 posts.
    """

    def __init__(self, planner: Planner, known: Mapping[str, str]):
        super().__init__()
        self._planner = planner
        self._known = known  # tokens made already (the state's): looked up, not copied (50,000 of them)

    def __missing__(self, source: str) -> str:
        token = self[source] = self._known.get(source) or list_token(self._planner.posts_by_source[source])
        return token


def list_token(p: Post) -> str:
    """The hash of `summary_inputs`: what a list shows of the post (kept in the build state with the post)."""
    return hashlib.sha256(repr(summary_inputs(p)).encode()).hexdigest()


def summary_inputs(p: Post) -> tuple[object, ...]:
    """Every field of a post that `Planner._summary` reads, and so any list: keep the two in step
    (tests/test_incremental.py checks that a family whose key holds plans the same pages). The list families' own reads of their posts are
    among them too: home (unit, day, section), unit page (branch, section, day), branch page
    (meetings), tag and archive grouping (the posts' order and membership, in the key's list)."""
    return (p.title, p.unit, p.slug, p.day, p.section, p.meetings, p.branch, p.category, p.draft)


class Node:
    """A read-only record shared by many page contexts (a post summary).

    Templates read it like a dict or an object; fingerprints see its digest,
    computed once, so hashing a list page costs one string per post rather
    than re-serialising every summary on every page.
    """

    __slots__ = ("_data", "digest")

    def __init__(self, data: dict[str, Any]):
        self._data = data
        self.digest = hashlib.sha256(_dumps(data).encode()).hexdigest()

    def __getattr__(self, key: str) -> Any:
        try:
            return self._data[key]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)


class BodyRef:
    """A post body in a page context: hashed by its digest, loaded only when rendered."""

    __slots__ = ("_load", "digest")

    def __init__(self, digest: str, load: Callable[[], str]):
        self.digest = digest
        self._load = load

    def __html__(self) -> str:
        return self._load()

    def __str__(self) -> str:
        return self._load()


def _by_digest(obj: object) -> str:
    if isinstance(obj, (Node, BodyRef)):
        return "#" + obj.digest
    raise TypeError(f"page contexts hold plain data only, not {type(obj).__name__}")


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_by_digest)


def fingerprint(template_hash: str, context: dict[str, Any]) -> str:
    """Hash of exactly what the template sees, plus the templates it uses."""
    h = hashlib.sha256(template_hash.encode())
    h.update(_dumps(context).encode())
    return h.hexdigest()


def excerpt(text: str, length: int = 120) -> str:
    return text if len(text) <= length else text[:length].rstrip() + "…"


def size_text(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def date_text(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


class Planner:
    """Builds page contexts from one SiteModel. Holds only derived, read-only data."""

    def __init__(
        self,
        model: SiteModel,
        assets: dict[str, str],
        body_loader: Callable[[Post], str] | None = None,
        tokens: Mapping[str, str] | None = None,
        list_tokens: Mapping[str, str] | None = None,
    ):
        """``tokens``: each post's token (see `Family`); without them every family key is "" (plan all).

        ``list_tokens``: each post's `list_token`, when known already (the rest are made on first use).
        """
        self.m = model
        self.body_loader = body_loader
        self.cfg: SiteConfig = model.config
        self.assets = assets
        self.units = {u.slug: u for u in model.units}
        self.section_names = {s.key: s.name for s in self.cfg.sections}
        self.meeting_names = {m.key: m.name for m in self.cfg.meetings}
        self.posts_by_source = {p.source: p for p in model.posts}
        self.summaries: dict[str, Node] = _Summaries(self)
        # "最后修改" on a post page: only a later change of the content, never the first add
        self.edited = dict(model.history.edited)
        self.tokens = tokens
        self.list_tokens: dict[str, str] = _ListTokens(self, list_tokens or {})
        from generator.plan.goalpages import site_links  # (goalpages imports this module)

        self._goal_links = site_links(model)  # 目标管理 in the navigation (issue 18)

    # -- shared pieces --------------------------------------------------

    def _summary(self, p: Post) -> dict[str, Any]:
        # Reads only the fields `summary_inputs` names: lists are keyed by them.
        unit = self.units[p.unit]
        branch = unit.branch(p.branch) if p.branch else None
        return {
            "title": p.title,
            "url": urls.post(p.unit, p.slug),
            "date": p.day.isoformat(),
            "date_text": date_text(p.day),
            "unit": p.unit,
            "unit_name": unit.name,
            "section": p.section,
            "section_name": self.section_names[p.section],
            "meetings": [self.meeting_names[k] for k in p.meetings],
            "branch": p.branch,
            "branch_name": branch.name if branch else None,
            "category": p.category,
            "draft": p.draft,
        }

    def excerpt(self, p: Post, length: int = 90) -> str:
        """The post's summary, or the start of its text (for feeds and search, not lists)."""
        body = self.m.bodies.get(p.source)
        return p.summary or excerpt(body.text if body else "", length)

    def base(self, path: str, title: str, crumbs: list[tuple[str, str | None]] | None = None, root: str | None = None) -> dict[str, Any]:
        return {
            "root": urls.root_of(path) if root is None else root,
            "path": path,
            "page_title": title,
            "site": {
                "title": self.cfg.title,
                "sections": [{"name": s.name, "key": s.key, "url": urls.section(s.key)} for s in self.cfg.sections],
                "feeds": bool(self.cfg.base_url),
                **self._goal_links,
            },
            "assets": self.assets,
            "crumbs": [{"name": n, "url": u} for n, u in (crumbs or [])],
        }

    def _paginate(self, base_folder: str, posts: list[Post], title: str, ctx_extra: dict[str, Any], crumbs, owner: str, template: str = "list.html", only: int | None = None) -> list[PageSpec]:
        """The pages of a list, or with ``only`` just that page (see `_list_families`)."""
        size = self.cfg.page_size
        pages = numbered_pages(len(posts), size)
        out = []
        for n in range(0, pages + 1) if only is None else (only,):
            path = urls.paged(base_folder, n)
            ctx = self.base(path, title if n == 0 else f"{title}（第 {n} 页）", crumbs)
            ctx.update(ctx_extra)
            ctx["heading"] = title
            ctx["posts"] = [self.summaries[p.source] for p in posts[page_slice(len(posts), size, n)]]
            # The count, and the number of pages, change with new posts: on the front page only
            # (it changes anyway); a numbered page shows no more than pager_cap of them.
            if n == 0:
                ctx["total"] = len(posts)
            ctx["pager"] = {
                "page": n,  # 0: the front page
                "newer": None if n == 0 else urls.paged(base_folder, n + 1 if pager_cap(n, pages) > n else 0),
                "older": (urls.paged(base_folder, pages) if pages else None) if n == 0 else (urls.paged(base_folder, n - 1) if n > 1 else None),
                "links": page_links(base_folder, n, pages),
            }
            out.append(PageSpec(path, template, ctx, owner))
        return out

    # -- pages ----------------------------------------------------------

    def key(self, *parts: object, posts: Iterable[Post] = (), whole: Post | None = None) -> str:
        """A family key: ``parts``, what lists show of ``posts`` (in order) and everything of ``whole``; "" without tokens.

        ``posts`` are hashed by their list tokens (`_ListTokens`): a family may
        read them only through `summaries`, their order and their number.
        ``whole`` (a post's own page) is hashed by its token, which changes with
        anything parsed from its file.
        """
        if self.tokens is None:
            return ""
        h = hashlib.sha256(repr(parts).encode())  # plain values only: repr is exact and fast
        if whole is not None:
            h.update(self.tokens[whole.source].encode())
        tokens = self.list_tokens
        h.update("".join([tokens[p.source] for p in posts]).encode())
        return h.hexdigest()

    def _list_families(self, fid: str, posts: list[Post], make: tuple[str, tuple[Any, ...]], *parts: object, only: Collection[str] | None = None) -> list[Family]:
        """One family per page of a paginated list (`_paginate`); ``make``: (method, args) of the planner that,
        called with ``only=n``, plans page n (0: the front page).

        A page shows its own posts and its place in the list (the front page also
        the list's length, a numbered page `pager_cap`), so that is its key: a
        title edit re-plans the one page that shows the post, and a new post the
        front page (`numbered_pages`), not all 275 pages of a school-wide column
        at 10,000 posts.

        ``only`` (sources): just the pages that list one of them (`families`).
        """
        size = self.cfg.page_size
        count = len(posts)
        pages = numbered_pages(count, size)
        return [
            Family(f"{fid}#{n}", self.key(*parts, n, (pages, count) if n == 0 else pager_cap(n, pages), posts=posts[page_slice(count, size, n)]), PlanCall(self, *make, only=n))
            for n in (range(0, pages + 1) if only is None else pages_listing(posts, only, size))
        ]

    def families(self, only: Collection[str] | None = None, whole: bool = False) -> list[Family]:
        """Every page of the plan, grouped by what it is planned from (see `Family`).

        ``only`` (sources): just the families whose pages list one of these posts
        (and the home page), each as the whole plan has it: what a title edit of
        them may change (`build.preview`). A subset: pages that list no post
        (the indexes of tags and of the archive, 404) are left out.
        ``whole``: every page of the lists that hold one of them, and the indexes
        (their counts): what adding the posts may change (`build.planning.edits_only`).
        """
        posts = self.m.posts
        # (the lists that cannot hold a post of ``only`` are passed by on its attributes: `listing`)
        wanted = None if only is None else Wanted.of(p for s in only if (p := self.posts_by_source.get(s)) is not None)
        pages = None if whole else only  # the pages of a list: those showing a post of ``only``, or all
        by_unit: dict[str, list[Post]] = defaultdict(list)
        by_section: dict[str, list[Post]] = defaultdict(list)
        by_column: dict[tuple[str, str], list[Post]] = defaultdict(list)
        by_branch: dict[tuple[str, str], list[Post]] = defaultdict(list)
        for p in posts:
            by_unit[p.unit].append(p)
            by_section[p.section].append(p)
            by_column[(p.unit, p.section)].append(p)
            if p.branch:
                by_branch[(p.unit, p.branch)].append(p)
        out = [self._home_family(by_unit, by_section)]
        if only is None:
            out.append(Family("404", self.key(), PlanCall(self, "not_found", single=True)))
        for u in self.m.units:
            mine = by_unit[u.slug]
            if wanted is not None and u.slug not in wanted.units:
                continue
            # the unit page links to this year's comparison page: the as-of year is in its key
            out.append(Family(f"unit:{u.slug}", self.key(self.m.as_of.year, posts=mine), PlanCall(self, "unit_page", (u, mine), single=True)))
            for s in self.cfg.sections:
                col = by_column[(u.slug, s.key)]
                if wanted is None or (u.slug, s.key) in wanted.columns:
                    out.extend(self._list_families(f"column:{u.slug}/{s.key}", col, ("column_pages", (u, s.key, col)), only=pages))
            for b in u.branches:
                rows = by_branch[(u.slug, b.id)]
                if wanted is None or (u.slug, b.id) in wanted.branches:
                    out.append(Family(f"branch:{u.slug}/{b.id}", self.key(posts=rows), PlanCall(self, "branch_page", (u, b.id, rows), single=True)))
        out.extend(self.post_families(by_column, around=only))
        for s in self.cfg.sections:
            col = by_section[s.key]
            if wanted is None or s.key in wanted.sections:
                out.extend(self._list_families(f"section:{s.key}", col, ("section_pages", (s.key, col)), only=pages))
        out.extend(self.tag_families(only, wanted, whole))
        out.extend(self.archive_families(only, wanted, whole))
        return out

    def _home_family(self, by_unit: dict[str, list[Post]], by_section: dict[str, list[Post]]) -> Family:
        """The home page, planned from and keyed by what it shows (`home`): each unit's count and newest day, the
        number of posts, the newest posts of each column; so a title edit of a post it does not show keeps it."""
        units = [(u.slug, len(mine), mine[0].day.isoformat() if mine else None) for u in self.m.units for mine in [by_unit.get(u.slug, [])]]
        newest = {s.key: by_section.get(s.key, [])[: self.cfg.latest] for s in self.cfg.sections}
        shown = [p for posts in newest.values() for p in posts]
        return Family("home", self.key("home", units, len(self.m.posts), posts=shown), PlanCall(self, "home", (units, newest), single=True))

    def post_families(
        self, by_column: dict[tuple[str, str], list[Post]] | None = None, around: Collection[str] | None = None, was: Iterable[Post] = ()
    ) -> list[Family]:
        """Each post's own page, a family per post (its key: the post whole, and what its page shows of the posts beside it).

        ``by_column``: the posts of each (unit, column), newest first, as
        `families` groups them. ``around``: only the families of these posts
        (sources) and of the posts beside them in their columns, whose pages
        link to them, and of the posts now beside where the posts ``was``
        stood (an edited post's old version, a deleted post): a build plans
        an edited post's page first (`Builder._plan`).
        """
        if by_column is None:
            by_column = defaultdict(list)
            for p in self.m.posts:
                by_column[(p.unit, p.section)].append(p)
        columns, around = self._around(by_column, around, was)
        out: list[Family] = []
        for col in columns:
            for i, p in enumerate(col):
                newer = col[i - 1] if i > 0 else None
                older = col[i + 1] if i + 1 < len(col) else None
                if around is not None and not any(x is not None and x.source in around for x in (p, newer, older)):
                    continue
                changed = self.edited.get(p.source)
                # which neighbours exist is hashed too: (p, X) as newer or as older must differ
                near = [x for x in (newer, older) if x is not None]
                key = self.key(changed.isoformat() if changed else None, newer is None, older is None, posts=near, whole=p)
                out.append(Family(f"post:{p.source}", key, PlanCall(self, "post_page", (p, newer, older), single=True)))
        return out

    def _around(self, by_column: dict[tuple[str, str], list[Post]], around: Collection[str] | None, was: Iterable[Post]) -> tuple[Iterable[list[Post]], set[str] | None]:
        """`post_families`' columns to walk and its ``around``, with the posts beside where the posts ``was`` stood."""
        if around is None:
            return by_column.values(), None
        around = set(around)
        for old in was:  # its old neighbours link to it no more
            col = by_column.get((old.unit, old.section), [])
            i = bisect.bisect_left([post_order(p) for p in col], post_order(old))
            around.update(p.source for p in col[max(0, i - 1) : i + 2])
        # a column without a post of ``around`` has no family with one beside it either
        near_to = {(q.unit, q.section) for s in around if (q := self.posts_by_source.get(s)) is not None}
        return [col for c, col in by_column.items() if c in near_to], around

    def home(self, units: list[tuple[str, int, str | None]], newest: dict[str, list[Post]]) -> PageSpec:
        """The home page from what `_home_family` keys it by: each unit's (slug, posts, newest day), each column's newest posts."""
        ctx = self.base(urls.HOME, self.cfg.title)
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for u, (_, count, last) in zip(self.m.units, units, strict=True):
            groups[u.kind].append({"name": u.name, "url": urls.unit(u.slug), "posts": count, "branches": len(u.branches), "last": last})
        ctx["unit_groups"] = [{"kind": k, "units": v} for k, v in groups.items()]
        ctx["columns"] = [
            {
                "name": s.name,
                "key": s.key,
                "url": urls.section(s.key),
                "posts": [self.summaries[p.source] for p in newest[s.key]],
            }
            for s in self.cfg.sections
        ]
        ctx["totals"] = {"units": len(self.m.units), "branches": sum(len(u.branches) for u in self.m.units), "posts": len(self.m.posts)}
        ctx["page_title"] = self.cfg.title
        return PageSpec(urls.HOME, "home.html", ctx, "站点")

    def not_found(self) -> PageSpec:
        # Served at any depth by the web server: links must be root-absolute.
        ctx = self.base(urls.NOT_FOUND, "页面不存在", root=self.cfg.base_path)
        return PageSpec(urls.NOT_FOUND, "404.html", ctx, "站点")

    def section_pages(self, key: str, posts: list[Post], only: int | None = None) -> list[PageSpec]:
        name = self.section_names[key]
        return self._paginate(f"sections/{key}", posts, f"{name}（全校）", {"intro": f"全校各单位的{name}，按时间由新到旧排列。"}, [(name, None)], "站点", only=only)

    def column_pages(self, u: Unit, key: str, col: list[Post], only: int | None = None) -> list[PageSpec]:
        name = self.section_names[key]
        return self._paginate(f"{u.slug}/{key}", col, f"{u.name} · {name}", {"unit": self._unit_info(u)}, [(u.name, urls.unit(u.slug)), (name, None)], u.source, only=only)

    def unit_page(self, u: Unit, posts: list[Post]) -> PageSpec:
        crumbs: list[tuple[str, str | None]] = [(u.name, None)]
        ctx = self.base(urls.unit(u.slug), u.name, crumbs)
        by_branch: defaultdict[str, int] = defaultdict(int)
        for p in posts:
            if p.branch:
                by_branch[p.branch] += 1
        ctx["unit"] = self._unit_info(u)
        ctx["branches"] = [{"id": b.id, "name": b.name, "kind": b.kind, "url": urls.branch(u.slug, b.id), "posts": by_branch[b.id]} for b in u.branches]
        ctx["columns"] = []
        for s in self.cfg.sections:
            col = [p for p in posts if p.section == s.key]
            ctx["columns"].append(
                {
                    "name": s.name,
                    "key": s.key,
                    "url": urls.unit_section(u.slug, s.key),
                    "total": len(col),
                    "last": col[0].day.isoformat() if col else None,
                    "posts": [self.summaries[p.source] for p in col[: self.cfg.latest]],
                }
            )
        ctx["compare_url"] = urls.compare_unit(self.m.as_of.year, u.slug)
        ctx["plans"] = [{"year": f.year, "plan": urls.unit_plan(u.slug, f.year), "report": urls.unit_report(u.slug, f.year)} for f in reversed(self.m.plans.frameworks)]
        ctx["total"] = len(posts)
        return PageSpec(urls.unit(u.slug), "unit.html", ctx, u.source)

    def _unit_info(self, u: Unit) -> dict[str, Any]:
        return {"slug": u.slug, "name": u.name, "kind": u.kind, "url": urls.unit(u.slug)}

    def branch_page(self, u: Unit, branch_id: str, posts: list[Post]) -> PageSpec:
        b = u.branch(branch_id)
        assert b is not None
        path = urls.branch(u.slug, b.id)
        ctx = self.base(path, b.name, [(u.name, urls.unit(u.slug)), (b.name, None)])
        ctx["unit"] = self._unit_info(u)
        ctx["branch"] = {"id": b.id, "name": b.name, "kind": b.kind, "groups": b.groups, "exempt": [self.meeting_names[k] for k in b.exempt]}
        groups = []
        # Under a meeting only the posts that record it (a notice announcing it is no record: see metrics).
        recorded = {p.source: self.cfg.recorded_meetings(p.meetings, p.section) for p in posts}
        for m in self.cfg.meetings:
            if m.level != "branch":
                continue
            rows = [self.summaries[p.source] for p in posts if m.key in recorded[p.source]]
            groups.append({"name": m.name, "key": m.key, "exempt": m.key in b.exempt, "posts": rows})
        ctx["meetings"] = groups
        ctx["others"] = [self.summaries[p.source] for p in posts if not any(self.cfg.meeting_by_key(k).level == "branch" for k in recorded[p.source])]
        ctx["total"] = len(posts)
        return PageSpec(path, "branch.html", ctx, u.source)

    def post_page(self, p: Post, newer: Post | None, older: Post | None) -> PageSpec:
        u = self.units[p.unit]
        path = urls.post(p.unit, p.slug)
        section_name = self.section_names[p.section]
        ctx = self.base(path, p.title, [(u.name, urls.unit(u.slug)), (section_name, urls.unit_section(u.slug, p.section)), (p.title, None)])
        body = self.m.bodies[p.source]
        s = self.summaries[p.source].as_dict()
        s["datetime"] = p.date.isoformat()
        s["time"] = p.date.strftime("%H:%M") if p.has_time else None
        s["tags"] = [{"name": t, "url": urls.tag(t)} for t in p.tags]
        s["branch_url"] = urls.branch(p.unit, p.branch) if p.branch else None
        s["section_url"] = urls.unit_section(p.unit, p.section)
        s["unit_url"] = urls.unit(p.unit)
        s["attachments"] = [
            {"name": a.name, "url": urls.post_file(p.unit, p.slug, a.name), "kind": a.kind, "size": size_text(a.size)} for a in p.attachments
        ] + [  # the originals of large photos published smaller (`load.images.published_as`), as downloads
            {"name": n, "url": urls.post_file(p.unit, p.slug, n), "kind": "原图", "size": size_text(a.size)}
            for a in (*p.attachments, *p.extra_files) for n, _ in published_as(a.name, a.size, self.cfg.images)[1:]
        ]
        changed = self.edited.get(p.source)
        s["changed"] = changed.date().isoformat() if changed else None
        s["changed_text"] = date_text(changed.date()) if changed else None
        project = self.m.plans.project(p.project) if p.project else None
        s["project"] = {"name": project.name, "url": urls.project(project.id)} if project else None
        ctx["post"] = s
        ctx["body"] = self.body_ref(p)
        ctx["toc"] = body.toc
        # Neighbours carry only what the link shows, so a date edit of one post
        # does not re-render the posts beside it.
        ctx["newer"] = {"title": newer.title, "url": urls.post(newer.unit, newer.slug)} if newer else None
        ctx["older"] = {"title": older.title, "url": urls.post(older.unit, older.slug)} if older else None
        return PageSpec(path, "post.html", ctx, p.source)

    def body_ref(self, p: Post) -> BodyRef | str:
        """The body as the post page sees it; a BodyRef when the builder loads HTML lazily."""
        body = self.m.bodies[p.source]
        if self.body_loader is None:
            return body.html
        return BodyRef(body.digest, functools.partial(self.body_loader, p))

    def tag_families(self, only: Collection[str] | None = None, wanted: Wanted | None = None, whole: bool = False) -> list[Family]:
        """The tag index and each tag's list; with ``only`` (and its `Wanted`) the pages of the tags' lists showing them
        (``whole``: the index and every page of those lists, `families`)."""
        tags: dict[str, list[Post]] = defaultdict(list)
        display: dict[str, str] = {}
        for p in self.m.posts:
            for t in p.tags:
                key = urls.tag_slug(t)
                display.setdefault(key, t)
                tags[key].append(p)
        # The index shows names and counts only: an edit that changes no tag keeps it.
        out = [] if only is not None and not whole else [Family("tags", self.key(sorted((k, display[k], len(v)) for k, v in tags.items())), PlanCall(self, "tags_index", (dict(tags), display), single=True))]
        for key, posts in sorted(tags.items()):
            if wanted is not None and key not in wanted.tags:
                continue
            name = display[key]
            out.extend(self._list_families(f"tag:{key}", posts, ("tag_pages", (key, name, posts)), name, only=None if whole else only))
        return out

    def tags_index(self, tags: dict[str, list[Post]], display: dict[str, str]) -> PageSpec:
        """The tag index: each tag (by its URL key) with its posts; ``display``: the name it shows."""
        ctx = self.base(urls.TAGS, "标签", [("标签", None)])
        ctx["tags"] = [{"name": display[k], "url": urls.tag(display[k]), "count": len(v)} for k, v in sorted(tags.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
        return PageSpec(urls.TAGS, "tags.html", ctx, "站点")

    def tag_pages(self, key: str, name: str, posts: list[Post], only: int | None = None) -> list[PageSpec]:
        return self._paginate(f"tags/{key}", posts, f"标签：{name}", {}, [("标签", urls.TAGS), (name, None)], "站点", only=only)

    def archive_families(self, only: Collection[str] | None = None, wanted: Wanted | None = None, whole: bool = False) -> list[Family]:
        """The archive index, years and months; with ``only`` (and its `Wanted`) the pages showing them (``whole``: see `tag_families`)."""
        by_month: dict[tuple[int, int], list[Post]] = defaultdict(list)
        for p in self.m.posts:
            by_month[(p.day.year, p.day.month)].append(p)
        years: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for (y, mo), posts in sorted(by_month.items(), reverse=True):
            years[y].append((mo, len(posts)))
        # The index shows counts only: its key is the (year, month, count) list, so an edit that moves no post keeps it.
        out = [] if only is not None and not whole else [Family("archive", self.key(sorted([(y, mo, len(v)) for (y, mo), v in by_month.items()])), PlanCall(self, "archive_index", (dict(years),), single=True))]
        only = None if whole else only
        for y, months in years.items():
            if wanted is not None and y not in wanted.years:
                continue
            previews = {mo: by_month[(y, mo)][:YEAR_PREVIEW] for mo, _ in months}
            shown = [p for mo, _ in months for p in previews[mo]]
            if _lists(shown, only):
                out.append(Family(f"archive:{y}", self.key(months, posts=shown), PlanCall(self, "archive_year", (y, months, previews), single=True)))
            for mo, _ in months:
                if wanted is not None and (y, mo) not in wanted.months:
                    continue
                out.extend(self._list_families(f"archive:{y}/{mo:02d}", by_month[(y, mo)], ("archive_month", (y, mo, by_month[(y, mo)])), only=only))
        return out

    def archive_index(self, years: dict[int, list[tuple[int, int]]]) -> PageSpec:
        """The archive index: each year, newest first, with its months' (month, count)."""
        ctx = self.base(urls.ARCHIVE, "归档", [("归档", None)])
        ctx["years"] = [
            {"year": y, "url": urls.archive_year(y), "total": sum(c for _, c in months), "months": [{"month": mo, "count": c, "url": urls.archive_month(y, mo)} for mo, c in months]}
            for y, months in years.items()
        ]
        return PageSpec(urls.ARCHIVE, "archive.html", ctx, "站点")

    def archive_year(self, y: int, months: list[tuple[int, int]], previews: dict[int, list[Post]]) -> PageSpec:
        """A year's archive page: each month's count and its newest posts (``previews``, `YEAR_PREVIEW` of them)."""
        path = urls.archive_year(y)
        ctx = self.base(path, f"{y}年归档", [("归档", urls.ARCHIVE), (f"{y}年", None)])
        ctx["year"] = y
        ctx["months"] = [{"month": mo, "count": c, "url": urls.archive_month(y, mo), "posts": [self.summaries[p.source] for p in previews[mo]]} for mo, c in months]
        return PageSpec(path, "archive_year.html", ctx, "站点")

    def archive_month(self, y: int, mo: int, posts: list[Post], only: int | None = None) -> list[PageSpec]:
        crumbs: list[tuple[str, str | None]] = [("归档", urls.ARCHIVE), (f"{y}年", urls.archive_year(y)), (f"{mo}月", None)]
        return self._paginate(f"archive/{y}/{mo:02d}", posts, f"{y}年{mo}月", {}, crumbs, "站点", only=only)


def file_specs(model: SiteModel, site_dir: Path) -> list[FileSpec]:
    """Attachments and body resources, copied beside their post's page (a large photo as a smaller copy and its original)."""
    out = []
    for p in model.posts:
        for a in (*p.attachments, *p.extra_files):
            for name, px in published_as(a.name, a.size, model.config.images):
                out.append(FileSpec(urls.post_file(p.unit, p.slug, name), p.source, source=site_dir / a.source, web_px=px))
    return out


def _lists(posts: Iterable[Post], only: Collection[str] | None) -> bool:
    """Whether a family listing ``posts`` is wanted: always without ``only``, else when it lists one of them."""
    return only is None or any(p.source in only for p in posts)


def post_order(p: Post) -> tuple[float, str, str]:
    """The sort key of every post list: newest first; ties broken by unit and slug so output is deterministic."""
    return (-p.date.timestamp(), p.unit, p.slug)


def sort_posts(posts: list[Post]) -> list[Post]:
    return sorted(posts, key=post_order)


__all__ = ["Family", "FileSpec", "PageSpec", "Planner", "file_specs", "fingerprint", "post_order", "sort_posts"]
