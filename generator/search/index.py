"""Plan + write stage: the search page and the Pagefind index.

Plan: `search_outputs` gives the page ``search/index.html``; its script
(``search.js``) reads ``<root>pagefind/units.json`` and loads Pagefind's JS API
from the first shard's index, merging the others as searches need them, so search works offline and
under any sub-path. The page's context holds the
display order of the filter values (units, columns, meeting types as the site
configures them), nothing per post.

Write: `index_output` runs after the output is committed. It indexes the built
HTML with Pagefind's extended binary (it segments Chinese), which reads only
what the post template marks with ``data-pagefind-body`` / ``-meta`` /
``-filter``. The index is sharded by unit and year: one Pagefind index per
shard, ``pagefind/<unit>/<year>/``, holding the unit's posts of that year (the
year the post template marks with ``data-pagefind-filter="year:YYYY"``; a post
page without it goes to the shard ``undated``). ``pagefind/units.json`` lists
the shards in unit then year order, each with the counts of its pages'
filter values (read from the post pages with their year), and those counts
for the whole site: ``{"filters": {filter: {value: pages}}, "shards":
[{"unit": folder, "year": year, "pages": n, "filters": {...}}, ...]}``, keys
sorted. search.js fills its filter menus from it (no Pagefind filter files
when the page opens) and merges a shard (Pagefind's mergeIndex) only when a
search needs it. An edit re-indexes only its shard: about 100–200 pages at 10,000 posts instead
of a whole unit, and Pagefind's memory grows with the pages of one run.

Post pages are ``<unit>/<slug>/index.html`` (no year in the path), so a shard
cannot be picked with Pagefind's ``--glob``: each shard is a scratch site of
hard links to its pages (copies where linking fails), ``<scratch>/site-<unit>-
<year>/<unit>/<slug>/index.html``, indexed with ``--site`` on it and
``--keep-index-url`` (the service's AddDir on it, with keep_index_url), so
the result URLs are the pages' own. Which shard each
post page is in, and its filter values, are kept in a hidden file
(``MEMBERS``; deleted pages are no longer there to read). A build re-reads the post pages it wrote or
deleted (a whole unit's only when its folder came or went, or the marker names it) and indexes again the shards whose
pages changed: an edited page's shard, both shards when its year changed.
Without the list of pages, or without a readable membership file, every post
page is read and every shard indexed (never a wrong index). The shards are
indexed by at most ``JOBS`` Pagefind processes in service mode (`Service`),
each taking the next shard, biggest first, when done with one: the extended
binary takes about 0.2 s of CPU to start, once per process rather than once
per shard. Each shard is written to a scratch folder, canonicalized and
synced into its folder: content-hashed files first, the entry file last, stale
files removed, unchanged files left alone (their mtime too). Shards of units
that are gone, or of years without posts, are removed. A marker file lists the
shards whose index is behind their pages (a failed or interrupted run) so the
next build indexes them even if it changes no HTML; before that, from just
before the builder moves its pages into place until they are indexed,
``CHANGING`` lists the post pages being written or deleted (`note_changing`),
so a build stopped in between (killed, or an exception on the search thread)
leaves the next one knowing which pages to read again.

A small update (an edit or a new post) begins before the commit: once the
builder has staged its post pages, `EarlyIndex` reads them from the staging
folder and has Pagefind index their shards into the scratch folder while the
builder renders its lists, moves its pages into place and saves its state;
after the commit the shards go into place if the build changed the pages it
read, or the usual update runs.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import hashlib
import html
import json
import os
import posixpath
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from generator.core import urls
from generator.core.errors import Kind, Problem, error, warning
from generator.core.model import SiteModel
from generator.plan.pages import FileSpec, PageSpec, Planner
from generator.write.output import atomic_write

BUNDLE = "pagefind"
SCRATCH = ".liangshai-pagefind"
DIRTY = ".liangshai-pagefind-dirty"  # exists while the index is behind the pages; hidden, never published
# The post pages a build is about to write or delete (`note_changing`), until they are indexed; hidden, never published.
CHANGING = ".liangshai-pagefind-changing"
MEMBERS = ".liangshai-pagefind-shards.json"  # {"version": 2, "pages": {post page: [year, {filter: [values]}]}}; hidden, never published
MEMBERS_VERSION = 2
ENTRY = "pagefind-entry.json"
MANIFEST = "units.json"  # {"filters": {...}, "shards": [{"unit", "year", "filters"}, ...]}: the shard indexes search.js merges
BODY_MARK = b"data-pagefind-body"
YEAR_MARK = re.compile(rb'data-pagefind-filter="year:([0-9]{1,4})"')
# A filter as Pagefind reads it: data-pagefind-filter="key:value", or "key" with the element's text as the value.
FILTER_MARK = re.compile(r'data-pagefind-filter="([^"]*)"[^>]*>([^<]*)')
UNDATED = "undated"  # the shard of post pages without a year mark
UNUSED = ("pagefind-ui", "pagefind-component-ui", "pagefind-modular-ui", "pagefind-highlight")
JOBS = 2  # Pagefind processes (services) at a time, each multi-threaded already
STOP_POLL = 0.05  # seconds: how often a run with a stop event looks at it
ALL = object()  # the marker names no shards: index them all

Shard = tuple[str, str]  # (unit folder, year)


def search_outputs(model: SiteModel, planner: Planner) -> tuple[list[PageSpec], list[FileSpec], list[Problem]]:
    cfg = model.config
    ctx = planner.base(urls.SEARCH, "搜索", [("搜索", None)])
    ctx["filter_order"] = {
        "unit": [u.name for u in model.units],
        "column": [s.name for s in cfg.sections],
        "meeting": [m.name for m in cfg.meetings],
    }
    return [PageSpec(urls.SEARCH, "search.html", ctx, "站点")], [], []


def pagefind_binary() -> Path | None:
    """The extended Pagefind binary (Chinese segmentation) from the pagefind[extended] wheel."""
    override = os.environ.get("PAGEFIND_BINARY_PATH")
    if override:
        return Path(override)
    try:
        from pagefind_bin_extended import get_executable
    except ImportError:
        return None
    try:
        return get_executable()
    except FileNotFoundError:
        return None


def index_output(
    out_dir: Path, changed: bool, pages: Collection[str] | None = None, started: threading.Event | None = None, stop: threading.Event | None = None
) -> list[Problem]:
    """Run after the output is committed; ``changed`` is False when no HTML changed.

    ``stop``: once set, Pagefind is stopped (`_run_services`) and the shards
    not indexed stay marked, as after a failed run; the problems returned
    then are only that (see `Builder.update_search`).

    ``started``, when given, is set once the Pagefind processes have their work
    (or when there is none): from then on this function mostly waits for them,
    so a caller running it on a thread can use the interpreter again.

    ``pages``, when the caller knows them, are the HTML paths written or
    deleted: only the shards with a post page among them (or whose pages
    changed) are indexed again (no post page → no work). Without the list
    every shard is indexed. Shards of unit folders that are gone, or without
    posts any more, lose their index.
    """
    try:
        return _index_output(out_dir, changed, pages, started, stop)
    finally:
        if started is not None:
            started.set()


def note_changing(out_dir: Path, pages: Iterable[str]) -> None:
    """Call before the output changes: the HTML ``pages`` about to be written or deleted.

    Until `index_output` has indexed them, they stay listed in ``CHANGING``, so
    a build stopped between its commit and its search update (killed, or an
    exception) has them indexed by the next build, which may write no HTML at all.
    """
    path = out_dir / CHANGING
    known = _changing(path)
    todo = {p for p in pages if _is_post_page(p)}
    if known is ALL or not todo:
        return
    assert isinstance(known, set)
    if todo <= known:
        return
    atomic_write(path, json.dumps(sorted(known | todo), ensure_ascii=False).encode("utf-8"))


def small_update(out_dir: Path, pages: Collection[str], limit: int) -> bool:
    """Will `index_output` for these changed ``pages`` be a small update (≤ ``limit`` pages to read)?

    Not when the index would be rebuilt whole or in large part: no membership
    file or manifest, a marker of shards left behind, or a long (or unreadable)
    list of pages a stopped build left in ``CHANGING`` besides ``pages``.
    """
    if len(pages) > limit or (out_dir / DIRTY).exists():
        return False
    if not ((out_dir / MEMBERS).is_file() and (out_dir / BUNDLE / MANIFEST).is_file()):
        return False
    changing = _changing(out_dir / CHANGING)
    return changing is not ALL and len(changing) <= limit  # type: ignore[arg-type]


class EarlyIndex:
    """The search update of a small build, begun before its commit (the builder starts it once the edited posts' pages are staged).

    `run` (on a thread) reads the membership file and the staged post pages
    (``staged(page)``: the file holding a page's new bytes; an indexed page
    not among the build's post pages ``posts`` is deleted), makes the
    shards' scratch sites and sets `ready` (the build waits for it before
    its commit moves the staged files), then has Pagefind index those shards
    into the scratch folder while the builder renders its other pages and
    saves its state. Nothing in the output changes until the build calls
    `proceed` after its commit with the HTML it wrote or deleted: if the
    post pages among them are the ones indexed (plus pages that are post
    pages neither before nor after, a unit's first column page), the shards,
    membership and manifest go into place exactly as `index_output` would
    put them; otherwise the scratch is dropped and `index_output` runs on
    those pages. ``proceed(None)``: the build failed; nothing is written.
    `outcome` says which happened ("installed", "fell back", "dropped").
    """

    def __init__(self, out_dir: Path, pages: Collection[str], staged: Callable[[str], Path], posts: Collection[str]) -> None:
        self.out_dir = out_dir
        self.pages = frozenset(p for p in pages if _is_post_page(p))
        self.staged = staged
        self.posts = frozenset(posts)  # every post page of the build: an indexed page not among them is deleted
        self.ready = threading.Event()
        self.outcome = ""
        self.error: Exception | None = None  # what made the preparation fail (then it fell back)
        self._gate = threading.Event()
        self._html: Collection[str] | None = None
        self._stop = threading.Event()  # set by proceed(None): Pagefind's work would be thrown away

    def proceed(self, html: Collection[str] | None) -> None:
        self._html = html
        if html is None:
            self._stop.set()
        self._gate.set()

    def run(self) -> list[Problem]:
        try:
            prepared = self._prepare()
        except Exception as exc:
            prepared, self.error = None, exc
        finally:
            self.ready.set()
        self._gate.wait()
        html = self._html
        if html is None:
            shutil.rmtree(self.out_dir / SCRATCH, ignore_errors=True)
            self.outcome = "dropped"
            return []
        if prepared is not None and self._covers(prepared, html):
            self.outcome = "installed"
            _record(self.out_dir, prepared.members, prepared.todo, prepared.old)
            problems = [_NO_BINARY] if prepared.outcomes is None else _install_shards(self.out_dir, prepared.members, prepared.outcomes)
            if not any(p.is_error for p in problems):
                (self.out_dir / CHANGING).unlink(missing_ok=True)
            return problems
        self.outcome = "fell back"
        shutil.rmtree(self.out_dir / SCRATCH, ignore_errors=True)
        return _index_output(self.out_dir, bool(html), html, None)

    def _prepare(self) -> _Prepared | None:
        """Read the pages and index their shards into the scratch folder; None when this build's pages are not the whole update."""
        out_dir = self.out_dir
        pending = _pending(out_dir / DIRTY)
        changing = _changing(out_dir / CHANGING)
        if pending or not isinstance(changing, set):
            return None  # a bigger update than this build's pages: after the commit, as usual
        old = _read_members(out_dir / MEMBERS)
        if old is None:
            return None
        gone = {p for p in old if p not in self.posts}  # the commit deletes them
        # and a stopped build's pages (`note_changing`), from the output
        pages = self.pages | gone | changing
        folders = tuple(_unit_folders(out_dir))

        def read(page: str) -> Path | None:
            return self.staged(page) if page in self.pages else None if page in gone else out_dir / page

        update = _update_plan(out_dir, out_dir / BUNDLE, out_dir / DIRTY, pending, pages, read, old)
        if update is None or update[2] is None:
            return None
        members, todo, old = update
        scratch = _fresh_scratch(out_dir)
        shards = _shards(members)
        wanted = sorted(s for s in todo if s in shards)
        binary = pagefind_binary() if wanted else None
        if wanted and binary is None:
            return _Prepared(members, todo, old, None, pages, frozenset(gone), folders)
        if wanted:
            scratch.mkdir()
        for shard in wanted:
            if _link_site(out_dir, shard, shards[shard], scratch, read) is not None:
                return None
        self.ready.set()  # every staged page is read or linked: the build may move them
        outcomes = _run_services(binary, out_dir, [(s, shards[s]) for s in wanted], scratch, linked=True, stop=self._stop) if binary is not None else {}
        return _Prepared(members, todo, old, outcomes, pages, frozenset(gone), folders)

    def _covers(self, prepared: _Prepared, html: Collection[str]) -> bool:
        """Did the update read every page the build changed? Any other page must be a post page neither before nor after."""
        if tuple(_unit_folders(self.out_dir)) != prepared.folders:
            return False
        if any((self.out_dir / page).exists() for page in prepared.gone):  # taken as deleted, yet still there
            return False
        # Pages read from the output before the commit (a stopped build's, `note_changing`): the commit
        # may have deleted or rewritten them since.
        for page in prepared.pages - self.pages - prepared.gone:
            if _member(self.out_dir / page) != prepared.members.get(page):
                return False
        for page in {p for p in html if _is_post_page(p)} - prepared.pages:
            if page in prepared.old or _member(self.out_dir / page) is not None:
                return False
        return True


@dataclasses.dataclass(frozen=True)
class _Prepared:
    """What `EarlyIndex` read and indexed before the commit."""

    members: dict[str, Member]
    todo: set[Shard]
    old: dict[str, Member]
    outcomes: dict[Shard, Problem | None] | None  # per shard indexed into the scratch folder; None: no Pagefind binary
    pages: frozenset[str]  # the post pages read (staged, deleted, or left by a stopped build)
    gone: frozenset[str]  # indexed pages of no post of the build: read as deleted
    folders: tuple[str, ...]  # the output's unit folders then


def _changing(path: Path) -> set[str] | object:
    """The pages ``CHANGING`` lists, set() without it, ALL when it cannot be read (then every page is read again)."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return set()
    except (OSError, ValueError):
        return ALL
    if not isinstance(data, list) or not all(isinstance(p, str) for p in data):
        return ALL
    return set(data)


def _index_output(out_dir: Path, changed: bool, pages: Collection[str] | None, started: threading.Event | None, stop: threading.Event | None = None) -> list[Problem]:
    bundle = out_dir / BUNDLE
    dirty = out_dir / DIRTY
    pending = _pending(dirty)
    if not changed:
        pages = ()
    changing = _changing(out_dir / CHANGING)
    if changing is ALL:
        pages = None
    elif changing and pages is not None:
        assert isinstance(changing, set)
        pages = {*pages, *changing}  # a build that stopped before indexing them
    problems = _index_pages(out_dir, bundle, dirty, pending, pages, started, stop)
    if not any(p.is_error for p in problems):
        (out_dir / CHANGING).unlink(missing_ok=True)
    return problems


def _index_pages(
    out_dir: Path, bundle: Path, dirty: Path, pending: set[str] | object, pages: Collection[str] | None, started: threading.Event | None, stop: threading.Event | None = None
) -> list[Problem]:
    update = _update_plan(out_dir, bundle, dirty, pending, pages)
    if update is None:
        return []
    return _index_shards(out_dir, *update, started=started, stop=stop)


def _update_plan(
    out_dir: Path,
    bundle: Path,
    dirty: Path,
    pending: set[str] | object,
    pages: Collection[str] | None,
    read: Callable[[str], Path | None] | None = None,
    old: dict[str, Member] | None = None,
) -> tuple[dict[str, Member], set[Shard], dict[str, Member] | None] | None:
    """(members, shards to index, old members) for these changed ``pages``, or None when nothing is to be done.

    ``read(page)``: the file holding the page's new bytes, None for a page
    about to be deleted (`EarlyIndex`: the staged copy); the page in the
    output by default. ``old``: the membership file, when read already.
    """
    edited = None if pages is None else sorted({p for p in pages if _is_post_page(p)})
    if edited == [] and not pending and not dirty.exists() and (bundle / MANIFEST).is_file():
        return None
    folders = _unit_folders(out_dir)
    if pending is ALL or edited is None or not (bundle / MANIFEST).is_file():
        old = None
    elif old is None:
        old = _read_members(out_dir / MEMBERS)
    if old is None:
        # Everything: every post page read, every shard indexed.
        members = _scan(out_dir, folders)
        todo = set(_shards(members))
    else:
        assert isinstance(pending, set) and edited is not None
        # The units to read again whole: those the marker names and unit
        # folders that came or went (edited pages of other units: below).
        known = {p.split("/", 1)[0] for p in old}
        units = {key.split("/", 1)[0] for key in pending} | (known ^ set(folders))
        members = {p: m for p, m in old.items() if p.split("/", 1)[0] not in units}
        members.update(_scan(out_dir, sorted(units & set(folders))))
        # An edited page of another unit is read alone: a page whose bytes did not
        # change has the same shard and filters as before (a whole unit is ~500 pages).
        # (With ``read``, the output is not yet this build's: every edited page is read through it.)
        for page in edited:
            if read is not None or page.split("/", 1)[0] not in units:
                path = read(page) if read else out_dir / page
                member = None if path is None else _member(path)
                if member is None:
                    members.pop(page, None)
                else:
                    members[page] = member
        before, after = _shards(old), _shards(members)
        todo = {s for s in before.keys() | after.keys() if before.get(s) != after.get(s)}
        todo |= {(p.split("/", 1)[0], m[0]) for p in edited for m in (old.get(p), members.get(p)) if m is not None}
        for key in pending:
            unit, _, year = key.partition("/")
            todo |= {s for s in before.keys() | after.keys() if s[0] == unit and (not year or s[1] == year)}
        # A shard with posts but no index (say, deleted by hand) is indexed too.
        todo |= {s for s in after if not (bundle / _shard_dir(s) / ENTRY).is_file()}
    return members, todo, old


def _pending(dirty: Path) -> set[str] | object:
    """The shards the marker says are behind ("unit/year"; a bare unit: all its shards), ALL (unreadable), or set() when there is no marker."""
    try:
        raw = dirty.read_text("utf-8")
    except FileNotFoundError:
        return set()
    except OSError:
        return ALL
    try:
        keys = json.loads(raw)
    except ValueError:
        return ALL
    if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
        return ALL
    return set(keys)


Member = tuple[str, dict[str, list[str]]]  # a post page's year (its shard) and its filter values {filter: [values]}


def _read_members(path: Path) -> dict[str, Member] | None:
    """The membership file's {post page: (year, filters)}, or None when it is missing, unreadable or not as written."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != MEMBERS_VERSION or not isinstance(data.get("pages"), dict):
        return None
    members: dict[str, Member] = {}
    # Plain loops and exact type checks: this reads ~10,000 entries on every edit.
    for page, member in data["pages"].items():
        if type(member) is not list or len(member) != 2 or not _is_post_page(page):
            return None
        year, filters = member
        if type(year) is not str or type(filters) is not dict or not _valid_year(year):
            return None
        for values in filters.values():  # JSON object keys are always strings
            if type(values) is not list:
                return None
            for value in values:
                if type(value) is not str:
                    return None
        members[page] = (year, filters)
    return members


def _write_members(path: Path, members: dict[str, Member]) -> None:
    pages = {page: [year, filters] for page, (year, filters) in sorted(members.items())}
    data = json.dumps({"version": MEMBERS_VERSION, "pages": pages}, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    atomic_write(path, data)


def _valid_year(year: str) -> bool:
    return year == UNDATED or (year.isascii() and year.isdigit() and 1 <= len(year) <= 4)


def _scan(out_dir: Path, units: Iterable[str]) -> dict[str, Member]:
    """{post page: (year, filters)} of the post pages (those the post template marks for Pagefind) in ``units``' folders.

    Only post pages may be indexed: on pages without the mark Pagefind would
    index the whole page (a unit's column pages).
    """
    members: dict[str, Member] = {}
    for unit in units:
        for page in sorted((out_dir / unit).glob("*/index.html")):
            member = _member(page)
            if member is not None:
                members[page.relative_to(out_dir).as_posix()] = member
    return members


def _member(page: Path) -> Member | None:
    """A post page's (year, filters); None when it is gone or not a post page."""
    try:
        html = page.read_bytes()
    except OSError:
        return None
    if BODY_MARK not in html:
        return None
    year = YEAR_MARK.search(html)
    return (year.group(1).decode("ascii") if year else UNDATED, page_filters(html))


def page_filters(page: bytes) -> dict[str, list[str]]:
    """The filter values Pagefind reads from a page: {filter: [values, in page order, once each]}.

    The forms the post template uses: ``data-pagefind-filter="key:value"`` and
    ``data-pagefind-filter="key"`` on an element whose text is the value.
    """
    filters: dict[str, list[str]] = {}
    for attr, text in FILTER_MARK.findall(page.decode("utf-8", errors="replace")):
        key, colon, value = html.unescape(attr).partition(":")
        value = " ".join((value if colon else html.unescape(text)).split())
        key = key.strip()
        if key and value and value not in filters.setdefault(key, []):
            filters[key].append(value)
    return filters


def _shards(members: dict[str, Member]) -> dict[Shard, list[str]]:
    """{shard: its post pages, sorted}."""
    shards: dict[Shard, list[str]] = {}
    for page, (year, _) in sorted(members.items()):
        shards.setdefault((page.split("/", 1)[0], year), []).append(page)
    return shards


def _shard_dir(shard: Shard) -> str:
    return f"{shard[0]}/{shard[1]}"


def _index_shards(
    out_dir: Path, members: dict[str, Member], todo: set[Shard], old: dict[str, Member] | None = None, started: threading.Event | None = None, stop: threading.Event | None = None
) -> list[Problem]:
    """Index the ``todo`` shards that have posts, then write the manifest and remove stale indexes."""
    scratch = _fresh_scratch(out_dir)
    # Until the shards are indexed (or removed) their indexes are behind their
    # pages: said on disk before the membership file changes (`_record`).
    _record(out_dir, members, todo, old)
    shards = _shards(members)
    wanted = sorted(s for s in todo if s in shards)
    outcomes: dict[Shard, Problem | None] = {}
    if wanted:
        binary = pagefind_binary()
        if binary is None:
            return [_NO_BINARY]
        scratch.mkdir()
        try:
            outcomes = _run_services(binary, out_dir, [(s, shards[s]) for s in wanted], scratch, started, stop=stop)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
    return _install_shards(out_dir, members, outcomes)


_NO_BINARY = error("site.toml", 1, "找不到 Pagefind 扩展版（支持中文分词），搜索索引没有生成。请安装：pip install 'pagefind[extended]'。", Kind.CONFIG)
# A shard a stopped run did not begin (`_run_services`): it stays marked and the next run indexes it.
STOPPED = error("site.toml", 1, "搜索索引（{where}）的更新被新的修改打断，下次生成时会补上。", Kind.CONFIG)


def _fresh_scratch(out_dir: Path) -> Path:
    scratch = out_dir / SCRATCH
    if scratch.exists():
        shutil.rmtree(scratch)
    return scratch


def _record(out_dir: Path, members: dict[str, Member], todo: set[Shard], old: dict[str, Member] | None) -> None:
    """Mark the ``todo`` shards as behind their pages, then write the membership file if it changed."""
    if todo:
        _mark(out_dir / DIRTY, todo)
    if members != old:  # a body or title edit changes no page's shard or filters: no 1.5 MB rewrite
        _write_members(out_dir / MEMBERS, members)


def _install_shards(out_dir: Path, members: dict[str, Member], outcomes: dict[Shard, Problem | None]) -> list[Problem]:
    """Move the shards Pagefind indexed into the scratch folder (``outcomes``) into place, then the manifest; stale indexes go.

    Called once `_record` has marked the shards: a shard that failed keeps its
    previous index and stays marked.
    """
    bundle = out_dir / BUNDLE
    dirty = out_dir / DIRTY
    scratch = out_dir / SCRATCH
    errors: list[Problem] = []
    warnings: list[Problem] = []
    failed = []
    try:
        for shard, outcome in sorted(outcomes.items()):
            if outcome is not None and outcome.is_error:
                errors.append(outcome)
                failed.append(shard)
                continue
            if outcome is not None:
                warnings.append(outcome)
            sync_dir(scratch / _scratch_name("index", shard), bundle / _shard_dir(shard), last=ENTRY)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if failed:
        _mark(dirty, failed)
    # The manifest search.js reads: every shard with posts and an index (a
    # shard that failed keeps its previous one), in unit then year order.
    shards = _shards(members)
    listed = [s for s in sorted(shards) if (bundle / _shard_dir(s) / ENTRY).is_file()]
    manifest = _manifest(listed, shards, members)
    bundle.mkdir(parents=True, exist_ok=True)
    if not ((bundle / MANIFEST).is_file() and (bundle / MANIFEST).read_bytes() == manifest):
        atomic_write(bundle / MANIFEST, manifest)
    # Stale: shards of units gone (or of years without posts), the per-unit
    # and single indexes of older builds.
    keep: dict[str, set[str]] = {}
    for unit, year in listed:
        keep.setdefault(unit, set()).add(year)
    for path in sorted(bundle.iterdir()):
        if path.name == MANIFEST:
            continue
        if path.name in keep and path.is_dir() and not path.is_symlink():
            for sub in sorted(path.iterdir()):
                if sub.name not in keep[path.name]:
                    _remove(sub)
        else:
            _remove(path)
    if errors:
        first = errors[0]
        if len(errors) > 1:  # one message, not one per shard (a broken binary fails them all)
            first = dataclasses.replace(first, message=f"{first.message}另有 {len(errors) - 1} 份索引（其他单位或年份的文章）也没有更新。")
        return [first, *warnings[:1]]
    dirty.unlink(missing_ok=True)
    return warnings[:1]


def _manifest(listed: list[Shard], shards: dict[Shard, list[str]], members: dict[str, Member]) -> bytes:
    """units.json: the ``listed`` shards, each with the counts of its pages' filter values, and those counts for the whole site.

    search.js fills its filter menus from ``filters`` (no Pagefind filter
    files to fetch when the page opens) and loads only the shards with pages
    that have the chosen values. Keys sorted, so the same pages give the same bytes.
    """
    total: dict[str, dict[str, int]] = {}
    entries = []
    for shard in listed:
        counts: dict[str, dict[str, int]] = {}
        for page in shards[shard]:
            for key, values in members[page][1].items():
                for value in values:
                    counts.setdefault(key, {})[value] = counts.get(key, {}).get(value, 0) + 1
                    total.setdefault(key, {})[value] = total.get(key, {}).get(value, 0) + 1
        entries.append({"unit": shard[0], "year": shard[1], "pages": len(shards[shard]), "filters": counts})
    return json.dumps({"filters": total, "shards": entries}, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _mark(dirty: Path, shards: Iterable[Shard]) -> None:
    dirty.write_text(json.dumps(sorted(_shard_dir(s) for s in shards), ensure_ascii=False), encoding="utf-8")


def _scratch_name(kind: str, shard: Shard) -> str:
    return f"{kind}-{shard[0]}-{shard[1]}"


class ServiceError(Exception):
    """The Pagefind service failed: ``exit`` is its exit code when it is gone (None: it answered with an error)."""

    def __init__(self, detail: str, exit: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.exit = exit


class Service:
    """One Pagefind process in service mode (``pagefind --service``), indexing one shard after another.

    The protocol is the one the ``pagefind`` Python package speaks (base64 of
    a JSON message, then a comma, each way; one answer per request). It is
    spoken here directly and synchronously: the package's client waits 0.1 s
    before reading each answer (about 25 s for 84 shards) and reads the
    binary's stderr on the same pipe as its answers. An index made this way
    (NewIndex, AddDir, GetFiles) holds the same bytes as ``pagefind --site``
    with the same options (once canonicalized).
    """

    def __init__(self, binary: Path, scratch: Path, name: str, log_path: Path | None = None) -> None:
        self.binary = binary
        self.log_path = log_path or scratch / f"service-{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.answered = False  # has this process answered a request yet
        self._buffer = b""
        self._next_id = 0

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([str(self.binary), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        self.answered = False
        self._buffer = b""

    def request(self, payload: dict) -> dict:
        if self.proc is None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self._next_id += 1
        message = base64.b64encode(json.dumps({"message_id": self._next_id, "payload": payload}).encode("utf-8")) + b","
        try:
            self.proc.stdin.write(message)
            self.proc.stdin.flush()
            fd = self.proc.stdout.fileno()
            while b"," not in self._buffer:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise EOFError
                self._buffer += chunk
        except (OSError, EOFError):
            raise self._died() from None
        raw, _, self._buffer = self._buffer.partition(b",")
        try:
            answer = json.loads(base64.b64decode(raw))["payload"]
        except (ValueError, KeyError, TypeError):
            self.close()
            raise ServiceError(f"无法理解 Pagefind 的应答：{raw[:80]!r}") from None
        self.answered = True
        if answer.get("type") == "Error":
            raise ServiceError(str(answer.get("message") or "未知错误"))
        return answer

    def _died(self) -> ServiceError:
        """The process is gone (or stopped reading): its exit code and the end of its stderr."""
        assert self.proc is not None
        self.close()
        try:
            text = self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            text = ""
        return ServiceError(" / ".join(text.strip().splitlines()[-5:]) or "无输出", self.proc.returncode)

    def close(self) -> None:
        if self.proc is None:
            return
        proc = self.proc
        for pipe in (proc.stdin, proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=10)  # stdin closed: the service exits
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- a service warmed up while the builder works ----------------------------------
#
# The extended binary loads its Chinese dictionaries at the first page it
# segments (~0.2 s of CPU), not at start. A one-post edit indexes one shard of
# ~100 pages, so that load is a fifth of its search time. `warm_up` starts one
# service and has it segment a tiny page on a thread while the builder parses
# and renders on the other core; `_run_services` then takes it as its first
# service. Nothing about the index changes: the warm-up index is deleted.

WARM_LOG = ".liangshai-pagefind-warm.log"  # hidden: never published
_warm: tuple[Service, threading.Thread] | None = None
_warm_lock = threading.Lock()


def warm_up(out_dir: Path) -> None:
    """Start a Pagefind service and load its dictionaries in the background (no-op if there is no binary)."""
    global _warm
    binary = pagefind_binary()
    if binary is None or not out_dir.is_dir():
        return
    service = Service(binary, out_dir, "warm", out_dir / WARM_LOG)

    def run() -> None:
        try:
            index = service.request({"type": "NewIndex", "config": {"keep_index_url": True}})["index_id"]
            page = '<html lang="zh-CN"><body data-pagefind-body><p>党支部</p></body></html>'
            service.request({"type": "AddFile", "index_id": index, "url": "/warm/", "file_contents": page})
            service.request({"type": "DeleteIndex", "index_id": index})
        except (ServiceError, OSError, KeyError, TypeError):
            service.close()  # unusable: the indexing run starts its own and reports what fails

    thread = threading.Thread(target=run, name="pagefind-warm-up", daemon=True)
    with _warm_lock:
        release_warm()
        _warm = (service, thread)
    thread.start()


def _take_warm() -> Service | None:
    """The warmed-up service, once ready; None when there is none or it failed."""
    global _warm
    with _warm_lock:
        warm, _warm = _warm, None
    if warm is None:
        return None
    service, thread = warm
    thread.join()
    if service.proc is None or service.proc.poll() is not None:
        _close_warm(service)
        return None
    return service


def _close_warm(service: Service) -> None:
    service.close()
    service.log_path.unlink(missing_ok=True)


def release_warm() -> None:
    """Stop a warmed-up service nobody used (a build that failed, or needed no index)."""
    global _warm
    warm, _warm = _warm, None
    if warm is not None:
        warm[1].join()
        _close_warm(warm[0])


def _run_services(
    binary: Path,
    out_dir: Path,
    work: list[tuple[Shard, list[str]]],
    scratch: Path,
    started: threading.Event | None = None,
    linked: bool = False,
    stop: threading.Event | None = None,
) -> dict[Shard, Problem | None]:
    """Index the shards of ``work`` with at most ``JOBS`` Pagefind services, each taking the next shard (the biggest first) when it is done with one.

    ``linked``: the shards' scratch sites are made already (`_link_site`).
    ``stop``: once set, the services are killed and no shard is begun; every
    shard not indexed by then has an error outcome (`STOPPED` or the killed
    service's), so `_install_shards` leaves it marked for the next run.
    """
    queue = sorted(work, key=lambda item: (-len(item[1]), item[0]))
    lock = threading.Lock()
    outcomes: dict[Shard, Problem | None] = {}
    running: list[Service] = []
    finished = threading.Event()

    def take() -> tuple[Shard, list[str]] | None:
        with lock:
            return queue.pop(0) if queue and not (stop is not None and stop.is_set()) else None

    def watch() -> None:
        assert stop is not None
        # Until the run ends, not once: a worker that took its shard just before the stop
        # starts its service (lazily, at its first request) after it.
        while not finished.wait(STOP_POLL):
            if stop.is_set():
                with lock:
                    for service in running:
                        if service.proc is not None and service.proc.poll() is None:
                            service.proc.kill()  # its reader gets EOF: that shard fails

    warm = _take_warm()

    def worker(n: int) -> None:
        service = warm if n == 0 and warm is not None and warm.binary == binary else Service(binary, scratch, str(n))
        with lock:
            running.append(service)
        try:
            while (item := take()) is not None:
                shard, pages = item
                outcome = outcomes[shard] = _run_pagefind(service, out_dir, shard, pages, scratch, started, linked)
                if outcome is not None and outcome.is_error and service.proc is not None and service.proc.poll() is not None:
                    if not service.answered:
                        # It died before answering anything: a broken binary, which
                        # would fail the other shards the same way.
                        while (rest := take()) is not None:
                            outcomes[rest[0]] = dataclasses.replace(outcome, message=outcome.message.replace(_where(shard), _where(rest[0]), 1))
                        return
                    service.proc = None  # it crashed on that shard: a new one for the next
        finally:
            if service is warm:
                _close_warm(service)
            else:
                service.close()

    watcher = threading.Thread(target=watch, name="pagefind-stop", daemon=True) if stop is not None else None
    if watcher is not None:
        watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(JOBS, len(queue)))) as pool:
            for future in [pool.submit(worker, n) for n in range(min(JOBS, len(queue)))]:
                future.result()
    finally:
        finished.set()
        if watcher is not None:
            watcher.join()
    for shard, _ in queue:  # never begun: stopped
        outcomes[shard] = dataclasses.replace(STOPPED, message=STOPPED.message.format(where=_where(shard)))
    return outcomes


def _where(shard: Shard) -> str:
    unit, year = shard
    return f"单位 {unit} 的 {year} 年" if year != UNDATED else f"单位 {unit} 未注明年份的文章"


def _link_site(out_dir: Path, shard: Shard, pages: list[str], scratch: Path, read: Callable[[str], Path] | None = None) -> Problem | None:
    """A site of just the shard's pages, at their own paths (so their URLs): hard links to ``read(page)`` (the output's page by default)."""
    site = (scratch / _scratch_name("site", shard)).absolute()
    try:
        for page in pages:
            source = read(page) if read else out_dir / page
            target = site / page
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
    except OSError as exc:
        return error("site.toml", 1, f"无法准备搜索索引（{_where(shard)}）：{exc.strerror}。搜索索引没有更新。", Kind.CONFIG)
    return None


def _run_pagefind(
    service: Service, out_dir: Path, shard: Shard, pages: list[str], scratch: Path, started: threading.Event | None = None, linked: bool = False
) -> Problem | None:
    """Index ``shard``'s post ``pages`` into ``<scratch>/index-<unit>-<year>`` with ``service``; an error, a warning (not canonical) or None.

    ``started`` is set once the shard's pages are handed to Pagefind (see `index_output`).
    ``linked``: its scratch site is made already (`_link_site`).
    """
    where = _where(shard)
    site = (scratch / _scratch_name("site", shard)).absolute()
    dest = (scratch / _scratch_name("index", shard)).absolute()
    if not linked and (problem := _link_site(out_dir, shard, pages, scratch)) is not None:
        return problem
    # As `pagefind --site <site> --output-path <dest> --keep-index-url`.
    try:
        index = service.request({"type": "NewIndex", "config": {"keep_index_url": True}})["index_id"]
        try:
            if started is not None:
                started.set()
            service.request({"type": "AddDir", "index_id": index, "path": str(site)})
            # GetFiles, not WriteFiles: the service answers WriteFiles before every file is
            # on disk (seen under load: canonicalize then read a half-written filter file),
            # so the files come back in the answer and are written here, whole.
            files = service.request({"type": "GetFiles", "index_id": index})["files"]
            for item in files:
                rel = posixpath.normpath(str(item["path"]).lstrip("/"))
                if rel.startswith("..") or rel == ".":
                    raise ServiceError(f"Pagefind 给出的文件路径不在索引文件夹内：{item['path']!r}")
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(base64.b64decode(item["content"]))
        finally:
            if service.proc is not None and service.proc.poll() is None:
                try:
                    service.request({"type": "DeleteIndex", "index_id": index})  # its memory, before the next shard
                except ServiceError:
                    pass
    except OSError as exc:
        return error("site.toml", 1, f"无法运行 Pagefind（{service.binary}）：{exc.strerror}。搜索索引没有更新。", Kind.CONFIG)
    except ServiceError as exc:
        code = f"，退出码 {exc.exit}" if exc.exit is not None else ""
        return error("site.toml", 1, f"Pagefind 建立搜索索引失败（{where}{code}）：{exc.detail}。搜索索引没有更新。", Kind.CONFIG)
    finally:
        shutil.rmtree(site, ignore_errors=True)
    if not (dest / ENTRY).is_file():
        return error("site.toml", 1, f"Pagefind 建立搜索索引失败（{where}）：没有写出 {ENTRY}。搜索索引没有更新。", Kind.CONFIG)
    for path in dest.iterdir():  # Pagefind's own UIs: search.js uses only the JS API
        if path.name.startswith(UNUSED):
            path.unlink()
    try:
        canonicalize(dest)
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        return warning("site.toml", 1, f"无法整理 Pagefind 的筛选索引（{exc}），搜索仍然可用，但 pagefind/ 里的几个文件每次生成可能不同。请使用 pyproject.toml 中写明的 Pagefind 版本。", Kind.CONFIG)
    return None


def _unit_folders(out_dir: Path) -> list[str]:
    """The output's unit folders: top-level folders with an index page that the site itself does not own."""
    return sorted(
        p.name for p in out_dir.iterdir() if not p.name.startswith(".") and p.name not in urls.RESERVED_TOP and p.is_dir() and (out_dir / urls.unit(p.name)).is_file()
    )


def _is_post_page(path: str) -> bool:
    """Could be a post page: ``<unit>/<slug>/index.html`` (urls.post), under no site-owned folder.

    A unit's first column page has the same shape; it counts (it changes
    with its posts anyway).
    """
    return path.count("/") == 2 and path.endswith("/index.html") and path.split("/", 1)[0] not in urls.RESERVED_TOP


def sync_dir(src: Path, dst: Path, last: str) -> None:
    """Make ``dst`` hold exactly ``src``'s files, rewriting only files whose bytes differ.

    ``last`` (the entry file naming the hashed index) is replaced after every
    other new file is in place, and stale files are removed after it, so a
    reader never sees an entry pointing at a missing file.
    """
    new = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())
    dst.mkdir(parents=True, exist_ok=True)
    for rel in sorted(new, key=lambda r: r == last):
        target = dst / rel
        if target.is_file() and target.stat().st_size == (src / rel).stat().st_size and target.read_bytes() == (src / rel).read_bytes():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src / rel, target)
    keep = set(new)
    for path in sorted(dst.rglob("*"), reverse=True):
        rel = path.relative_to(dst).as_posix()
        if path.is_file() and rel not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


# -- determinism ------------------------------------------------------------------
#
# Pagefind 1.5 writes its filter indexes from a hash map, so the order of the
# filters and of their values (and with it the files' hashed names, the meta
# index naming them and the entry file) changes from run to run. Everything
# else it writes is stable. `canonicalize` sorts both orders and renames the
# files after their new content, so the same site gives the same bytes.
# The files are gzip("pagefind_dcd" + CBOR); the CBOR items used are unsigned
# and negative integers, byte and text strings, arrays and simple values.

DCD = b"pagefind_dcd"


class _Simple(bytes):
    """A CBOR simple value or float, kept as its encoded bytes."""


def _cbor_item(data: bytes, i: int) -> tuple[object, int]:
    major, info = data[i] >> 5, data[i] & 31
    start, i = i, i + 1
    if major == 7:
        size = 0 if info < 24 else {24: 1, 25: 2, 26: 4, 27: 8}[info]
        return _Simple(data[start : i + size]), i + size
    if info < 24:
        n = info
    elif info <= 27:
        width = 1 << (info - 24)
        n, i = int.from_bytes(data[i : i + width], "big"), i + width
    else:
        raise ValueError(f"CBOR 不定长或保留的头部 {data[start]:#x}")
    if major == 0:
        return n, i
    if major == 1:
        return -1 - n, i
    if major == 2:
        return bytes(data[i : i + n]), i + n
    if major == 3:
        return data[i : i + n].decode("utf-8"), i + n
    if major == 4:
        items = []
        for _ in range(n):
            item, i = _cbor_item(data, i)
            items.append(item)
        return items, i
    raise ValueError(f"CBOR 类型 {major} 不在预期之内")


def cbor_decode(data: bytes) -> object:
    value, end = _cbor_item(data, 0)
    if end != len(data):
        raise ValueError("CBOR 数据后有多余字节")
    return value


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * width):
            return bytes([major << 5 | info]) + n.to_bytes(width, "big")
    raise ValueError("CBOR 整数过大")


def cbor_encode(value: object) -> bytes:
    if isinstance(value, _Simple):
        return bytes(value)
    if isinstance(value, bool):
        raise TypeError("bool")
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _cbor_head(3, len(raw)) + raw
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(cbor_encode(v) for v in value)
    raise TypeError(type(value).__name__)


def _read_dcd(path: Path) -> object:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(DCD):
        raise ValueError(f"{path.name} 不是 Pagefind 数据文件")
    return cbor_decode(data[len(DCD) :])


def _dcd_file(lang: str, value: object, taken: set[str]) -> tuple[str, bytes]:
    """``value`` as a Pagefind data file: (name after its content, gzip bytes)."""
    data = DCD + cbor_encode(value)
    digest = hashlib.sha256(data).hexdigest()
    n = 7
    while f"{lang}_{digest[:n]}" in taken:
        n += 1
    taken.add(f"{lang}_{digest[:n]}")
    return f"{lang}_{digest[:n]}", gzip.compress(data, mtime=0)


def canonicalize(bundle: Path) -> None:
    """Sort Pagefind's filter indexes in ``bundle`` and rename them (and the meta index) by content.

    Everything is read and checked before the first file changes, so an
    unexpected format leaves Pagefind's own (working) output as it was.
    """
    entry = json.loads((bundle / ENTRY).read_text("utf-8"))
    writes: dict[Path, bytes] = {}
    removes: list[Path] = []
    for lang, info in entry["languages"].items():
        meta_path = bundle / f"pagefind.{info['hash']}.pf_meta"
        meta = _read_dcd(meta_path)
        if not (isinstance(meta, list) and len(meta) >= 4 and isinstance(meta[3], list)):
            raise ValueError(f"{meta_path.name} 的结构不在预期之内")
        taken: set[str] = set()
        renamed = []
        for name, old in sorted(meta[3], key=lambda f: f[0]):
            path = bundle / "filter" / f"{old}.pf_filter"
            index = _read_dcd(path)
            if not (isinstance(index, list) and len(index) == 2 and index[0] == name and isinstance(index[1], list)):
                raise ValueError(f"{path.name} 的结构不在预期之内")
            new, data = _dcd_file(lang, [name, sorted(index[1], key=lambda v: v[0])], taken)
            removes.append(path)
            writes[bundle / "filter" / f"{new}.pf_filter"] = data
            renamed.append([name, new])
        meta[3] = renamed
        info["hash"], data = _dcd_file(lang, meta, set())
        removes.append(meta_path)
        writes[bundle / f"pagefind.{info['hash']}.pf_meta"] = data
    for path in removes:
        path.unlink()
    for path, data in writes.items():
        path.write_bytes(data)
    (bundle / ENTRY).write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
