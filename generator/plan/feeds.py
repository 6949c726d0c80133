"""Plan stage: Atom feeds, ``sitemap.xml`` and ``robots.txt``.

Feeds and the sitemap need absolute URLs, so they are made only when
``[site] base_url`` is set; without it the build leaves them out and says so
once, as a warning on ``site.toml``. ``robots.txt`` is always made.

Every byte here comes from the model: a feed's ``updated`` is its newest
entry's date (the site's ``as_of`` day only for a feed with no entries), never
the wall clock, so the same input gives the same files. Pure: no disk, no Jinja.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from generator.core import urls
from generator.core.digests import code_digest
from generator.core.errors import Kind, Problem, warning
from generator.core.model import Post, SiteModel
from generator.plan.pages import FileSpec, PageSpec, Planner


def escape(text: str) -> str:
    """``xml.sax.saxutils.escape``: &, < and > as entities. Ours, because importing that module
    imports ``urllib.request`` (0.03 s of every build that plans the sitemap: every edit; issue 23)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


# Output paths (reserved in urls.RESERVED_TOP / RESERVED_UNIT).
FEED = "atom.xml"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
FEED_SIZE = 20
SUMMARY_LENGTH = 140

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"

_PLAIN = re.compile(r"[A-Za-z0-9._~/-]*")  # nothing for urls.href to encode (most paths)

NO_BASE_URL = (
    "没有设置 [site] base_url，已跳过 Atom 订阅源（atom.xml）和 sitemap.xml：它们需要完整网址。"
    "请在 site.toml 的 [site] 段写上网站的访问地址，例如 base_url = \"http://dangjian.example.edu.cn/\"。"
)


def unit_feed(slug: str) -> str:
    return f"{slug}/{FEED}"


def section_feed(key: str) -> str:
    return f"sections/{key}/{FEED}"


def absolute(base_url: str, path: str) -> str:
    """``path`` (an output path: relative, no dot segments) as an absolute URL under ``base_url``."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return base + (path if _PLAIN.fullmatch(path) else urls.href(path))


def feed_outputs(model: SiteModel, planner: Planner, paths: list[str], sitemap_key: str | None = None) -> tuple[list[PageSpec], list[FileSpec], list[Problem]]:
    """Feeds, sitemap and robots.txt; ``paths`` are every HTML page of the build, for the sitemap.

    The feeds and the sitemap are made (`FileSpec.make`) only when their key
    changed: a feed's is its inputs and the tokens of the posts it shows, the
    sitemap's its entries. An edit of one post remakes the feeds it is in, not
    all 26, and no sitemap of 13,000 lines unless a page came or went.
    ``sitemap_key``: the last build's, when the caller knows the entries are the
    same (`build.phases.finish_plan`): they are worked out only if the file is gone.
    """
    cfg = model.config
    if not cfg.base_url:
        return [], [FileSpec(ROBOTS, "站点", data=robots_txt(None))], [warning("site.toml", 1, NO_BASE_URL, Kind.CONFIG)]

    files = [FileSpec(ROBOTS, "站点", data=robots_txt(absolute(cfg.base_url, SITEMAP)))]
    if sitemap_key:
        files.append(FileSpec(SITEMAP, "站点", make=functools.partial(sitemap_xml, model, paths), key=sitemap_key))
    else:
        entries = sitemap_entries(model, paths)
        files.append(FileSpec(SITEMAP, "站点", make=functools.partial(sitemap_bytes, cfg.base_url, entries), key=_digest(code_digest(), cfg.base_url, entries)))

    def feed(path: str, owner: str, html_path: str, title: str, posts: Sequence[Post]) -> FileSpec:
        posts = list(posts)[:FEED_SIZE]
        make = functools.partial(atom_feed, model, planner, path, html_path, title, posts)
        return FileSpec(path, owner, make=make, key=_feed_key(model, planner, path, html_path, title, posts=posts))

    files.append(feed(FEED, "站点", urls.HOME, cfg.title, model.posts))
    by_unit: dict[str, list[Post]] = {u.slug: [] for u in model.units}
    by_section: dict[str, list[Post]] = {s.key: [] for s in cfg.sections}
    for p in model.posts:  # one pass, newest first, keeping only what a feed shows
        if len(by_unit[p.unit]) < FEED_SIZE:
            by_unit[p.unit].append(p)
        if len(by_section[p.section]) < FEED_SIZE:
            by_section[p.section].append(p)
    for u in model.units:
        files.append(feed(unit_feed(u.slug), u.source, urls.unit(u.slug), f"{u.name} - {cfg.title}", by_unit[u.slug]))
    for s in cfg.sections:
        files.append(feed(section_feed(s.key), "站点", urls.section(s.key), f"{s.name}（全校） - {cfg.title}", by_section[s.key]))
    return [], files, []


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _feed_key(model: SiteModel, planner: Planner, *parts: object, posts: list[Post]) -> str:
    """Everything `atom_feed` reads: its arguments, the names it shows, the as-of day (an empty feed's
    ``updated``) and each post's token (which changes with anything parsed from the post); "" (always
    made) without tokens."""
    if planner.tokens is None:
        return ""
    cfg = model.config
    names = (cfg.base_url, cfg.title, sorted(planner.section_names.items()), sorted(planner.meeting_names.items()), [(u.slug, u.name) for u in model.units])
    h = hashlib.sha256(repr((code_digest(), parts, names, model.as_of if not posts else None)).encode())
    for p in posts:
        h.update(planner.tokens[p.source].encode())
    return h.hexdigest()


# -- Atom -------------------------------------------------------------------------


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _xml(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def atom_feed(model: SiteModel, planner: Planner, path: str, html_path: str, title: str, posts: list[Post] | tuple[Post, ...]) -> bytes:
    """An Atom 1.0 feed of the newest ``FEED_SIZE`` of ``posts`` (already newest first)."""
    cfg = model.config
    posts = list(posts)[:FEED_SIZE]
    # Plain tags under a default namespace declared as an attribute: no
    # ET.register_namespace, which would change ElementTree's global prefix map.
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "zh-CN"})
    _sub(feed, "id", absolute(cfg.base_url, path))
    _sub(feed, "title", title)
    if posts:
        updated = max(p.date for p in posts)
    else:
        updated = dt.datetime.combine(model.as_of, dt.time(), cfg.tz)
    _sub(feed, "updated", updated.isoformat())
    _sub(feed, "link", rel="self", type="application/atom+xml", href=absolute(cfg.base_url, path))
    _sub(feed, "link", rel="alternate", type="text/html", href=absolute(cfg.base_url, html_path))
    author = _sub(feed, "author")
    _sub(author, "name", cfg.title)
    _sub(feed, "generator", "liangshai")
    for p in posts:
        url = absolute(cfg.base_url, urls.post(p.unit, p.slug))
        entry = _sub(feed, "entry")
        _sub(entry, "id", url)
        _sub(entry, "title", p.title)
        _sub(entry, "updated", p.date.isoformat())
        _sub(entry, "published", p.date.isoformat())
        _sub(entry, "link", rel="alternate", type="text/html", href=url)
        unit_author = _sub(entry, "author")
        _sub(unit_author, "name", planner.units[p.unit].name)
        _sub(entry, "category", term=planner.section_names[p.section])
        for key in p.meetings:
            _sub(entry, "category", term=planner.meeting_names[key])
        _sub(entry, "summary", planner.excerpt(p, SUMMARY_LENGTH), type="text")
    return _xml(feed)


# -- sitemap and robots -----------------------------------------------------------


def sitemap_entries(model: SiteModel, paths: list[str]) -> tuple[tuple[str, str], ...]:
    """(path, lastmod or "") of every HTML page but 404.html, sorted; a post's ``lastmod`` is its last change (git) or its date."""
    lastmod: dict[str, str] = {}
    changed = dict(model.history.last_changed)
    for p in model.posts:
        when = changed.get(p.source)
        lastmod[urls.post(p.unit, p.slug)] = max(p.day, when.date()).isoformat() if when else p.day.isoformat()
    return tuple((path, lastmod.get(path, "")) for path in sorted(set(paths)) if path.endswith(".html") and path != urls.NOT_FOUND)


def sitemap_bytes(base_url: str, entries: Sequence[tuple[str, str]]) -> bytes:
    """The sitemap of `sitemap_entries`. Written as text, not through ElementTree: at 10,000 posts it has ~13,000 entries."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    for path, mod in entries:
        lastmod = f"<lastmod>{mod}</lastmod>" if mod else ""
        lines.append(f"  <url><loc>{escape(absolute(base_url, path))}</loc>{lastmod}</url>")
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


def sitemap_xml(model: SiteModel, paths: list[str]) -> bytes:
    """Every HTML page but 404.html, sorted, with its ``lastmod`` (`sitemap_entries`)."""
    return sitemap_bytes(model.config.base_url, sitemap_entries(model, paths))


def robots_txt(sitemap_url: str | None) -> bytes:
    lines = ["User-agent: *", "Allow: /"]
    if sitemap_url:
        lines += ["", f"Sitemap: {sitemap_url}"]
    return ("\n".join(lines) + "\n").encode("utf-8")
