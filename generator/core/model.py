"""Model stage: the plain, frozen types every later stage reads.

Types only, no behaviour that touches disk. A `Post` is made in one go by
parse (`parse.post.parse_post`, its source digest included); the build's parse
phase then finishes it in one step before any other stage sees it
(`build.parsing.parse_one`): the Markdown is dropped (the body store keeps the
rendered HTML) and the files the rendered body brought are added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from generator.core.settings import SiteConfig

if TYPE_CHECKING:
    from generator.core.plans import PlanInputs
    from generator.load.attachments import DocumentText


UNIT_FILE = "_unit.toml"  # the unit's own settings, in content/<unit>/
# 目标管理's files (core.plans): here, with the other names the scan of content/ knows, so that scan need not import core.plans
PLANS_DIR = "_plans"  # content/_plans/ (the framework, 评议) and content/<unit>/_plans/ (a unit's plans)
PROJECTS_FILE = "_projects.toml"  # content/<unit>/_projects.toml


@dataclass(frozen=True)
class FileFacts:
    """What the load stage knows about a file under content/ (no bytes)."""

    size: int
    escapes: bool = False  # a symlink (or inside one) that leads out of its unit folder
    # The text inside a PDF/DOCX/XLSX/CSV/TXT, read by the load stage for the privacy
    # scan, or for images and office files whether they can be published without their
    # metadata; None for other files (and for facts made without reading, e.g. in tests).
    text: DocumentText | None = None


@dataclass(frozen=True)
class Branch:
    id: str
    name: str
    kind: str  # 教职工 | 学生 | 离退休
    groups: bool = True
    exempt: tuple[str, ...] = ()  # meeting keys
    # The branch's active interval, both ends included (成立日期, 撤销日期): only slots whose
    # period shares a day with it are due. None: open on that side.
    since: dt.date | None = None
    until: dt.date | None = None
    # months (1–12) that are no slot for its monthly meetings (寒暑假); quarterly and yearly unaffected
    exempt_months: tuple[int, ...] = ()


@dataclass(frozen=True)
class Unit:
    slug: str
    name: str
    kind: str
    order: int
    branches: tuple[Branch, ...]
    source: str  # content/<slug>/_unit.toml, relative to the site
    # who may change this unit's folder (git user names or e-mail addresses; gate.py,
    # `check --authors`, `codeowners`); never shown on a page
    editors: tuple[str, ...] = ()

    def branch(self, word: str) -> Branch | None:
        for b in self.branches:
            if word in (b.id, b.name):
                return b
        return None


@dataclass(frozen=True)
class Attachment:
    name: str  # file name as published
    source: str  # path relative to the site
    size: int
    kind: str  # "PDF 文档", "图片", ...


@dataclass(frozen=True)
class Post:
    unit: str  # unit slug
    slug: str
    source: str  # path relative to the site, e.g. content/jixie/2026/a.md
    title: str
    date: dt.datetime  # aware, in the site timezone
    has_time: bool
    section: str  # section key
    meetings: tuple[str, ...]  # meeting keys
    branch: str | None  # branch id
    category: str | None
    tags: tuple[str, ...]
    attachments: tuple[Attachment, ...]
    draft: bool
    summary: str
    body: str  # Markdown source
    body_line: int  # line of the first body line in the file
    bundle: bool
    privacy_ok: tuple[str, ...] = ()
    extra_files: tuple[Attachment, ...] = ()  # bundle resources referenced from the body
    digest: str = ""  # hash of the source file's bytes (core.digests.source_digest, set by parse)
    # 目标管理 (issue 18): the plan tasks the post is evidence for, its 立项 project, its report kind (述职)
    tasks: tuple[str, ...] = ()
    project: str | None = None
    report: str | None = None

    @cached_property
    def day(self) -> dt.date:
        # cached: the comparison index asks for it millions of times at 10,000 posts
        return self.date.date()

    @property
    def key(self) -> tuple[str, str]:
        return (self.unit, self.slug)


@dataclass(frozen=True)
class RenderedBody:
    html: str  # "" when not loaded (the builder fetches it from the body cache by digest)
    toc: str  # "" when the post is too short for a table of contents
    text: str  # plain text, for summaries and search
    links: tuple[str, ...] = ()  # site-relative targets the body references (existing or not)
    digest: str = ""  # identifies the HTML: hash of the Markdown source and settings


@dataclass(frozen=True)
class History:
    """What git says about each content file (paths relative to the site)."""

    available: bool
    reason: str  # why not available, in Chinese ("" when available)
    first_added: tuple[tuple[str, dt.datetime], ...] = ()
    last_changed: tuple[tuple[str, dt.datetime], ...] = ()  # last commit touching the file (adds too)
    # Last commit that changed the file's content after the commit that first added
    # it: the post page's "最后修改". Files committed once (or only renamed) are absent.
    edited: tuple[tuple[str, dt.datetime], ...] = ()


def _no_plans() -> PlanInputs:
    """A model without 目标管理 (core.plans imported here: a no-op build makes no model and need not define its ten classes; issue 23)."""
    from generator.core.plans import PlanInputs

    return PlanInputs()


@dataclass(frozen=True)
class SiteModel:
    config: SiteConfig
    units: tuple[Unit, ...]
    posts: tuple[Post, ...]  # published posts, newest first
    # by post source; read-only to every stage (a Mapping): the builder hands in the dict it collected
    bodies: Mapping[str, RenderedBody] = field(hash=False, compare=False)
    history: History = History(False, "未读取")
    as_of: dt.date = dt.date(1970, 1, 1)
    plans: PlanInputs = field(default_factory=_no_plans)  # 目标管理: frameworks, unit plans, projects, 评议 (core.plans)

    def unit(self, slug: str) -> Unit:
        return next(u for u in self.units if u.slug == slug)
