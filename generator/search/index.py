"""Search stage: the Pagefind index of the built site, behind one object, `SearchIndex`.

The build and the preview use it for: the search page (`SearchIndex.outputs`,
planned with the other pages), a Pagefind service warmed up while they work
(`warm_up` / `release`), the post pages about to change (`note_changing`),
whether an update is small (`small_update`), a small update begun before the
commit (`early`, an `EarlyIndex`), and indexing the committed output
(`index_output`). It owns the warmed-up service and the pieces a test may
replace: the `indexer.ShardIndexer` that runs Pagefind, the function finding
its binary, and the one reading a post page's shard and filters.

`index_output` runs after the output is committed. It indexes the built HTML
with Pagefind's extended binary (it segments Chinese), which reads only what
the post template marks with ``data-pagefind-body`` / ``-meta`` / ``-filter``.
The index is sharded by unit and year (`shards`): an edit re-indexes only its
shard, about 100–200 pages at 10,000 posts instead of a whole unit, and
Pagefind's memory grows with the pages of one run. A build re-reads the post
pages it wrote or deleted (a whole unit's only when its folder came or went,
or the marker names it) and indexes again the shards whose pages changed: an
edited page's shard, both shards when its year changed. Without the list of
pages, or without a readable membership file, every post page is read and
every shard indexed (never a wrong index). Shards of units that are gone, or
of years without posts, are removed. A marker file lists the shards whose
index is behind their pages (a failed or interrupted run) so the next build
indexes them even if it changes no HTML; before that, from just before the
builder moves its pages into place until they are indexed, ``CHANGING`` lists
the post pages being written or deleted (`note_changing`), so a build stopped
in between (killed, or an exception on the search thread) leaves the next one
knowing which pages to read again.

A small update (an edit or a new post) begins before the commit: once the
builder has staged its post pages, `EarlyIndex` reads them from the staging
folder and has Pagefind index their shards into the scratch folder while the
builder renders its lists, moves its pages into place and saves its state;
after the commit the shards go into place if the build changed the pages it
read, or the usual update runs.

A whole update (every shard: a first build into the folder) begins before the
commit too (`WholeIndex`): the render workers read each post page's shard from
the bytes they made, and Pagefind indexes every shard while the builder stages
its other files, commits and saves its state.

Before that, an edit's shard is read ahead (`preread`): once the builder has
loaded its state it names the pages of the posts whose files changed, and
the warmed-up service reads their shard as the output has it, while the
builder parses and renders; the indexing run then gives Pagefind only the
pages whose files changed since (`indexer.Preread`: the same bytes as a fresh
reading).

The builder is handed a `SearchIndex` (`Builder(options, search=...)`), one per
builder: the index owns the warmed-up Pagefind service of that builder's builds;
tests hand in one with their own `ShardIndexer`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import threading
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from generator.core.errors import Problem
from generator.core.model import SiteModel
from generator.plan.pages import FileSpec, PageSpec, Planner
from generator.search import page as search_page
from generator.search.indexer import Preread, ShardIndexer, Work
from generator.search.pagefind import Service, Warming, pagefind_binary
from generator.search.problems import NO_BINARY
from generator.search.shards import (
    ALL,
    BUNDLE,
    CHANGING,
    DIRTY,
    MANIFEST,
    MEMBERS,
    PREREAD,
    SCRATCH,
    ManifestAhead,
    Member,
    ReadMember,
    Shard,
    Update,
    changing,
    fresh_scratch,
    install_shards,
    is_post_page,
    member,
    pending,
    plan_update,
    read_members,
    record,
    shards_of,
    unit_folders,
)
from generator.write.output import Signature, atomic_write, file_signature


class SearchIndex:
    """The search of one site's output: the operations the build and the preview need, and the Pagefind service they share.

    ``indexer`` runs Pagefind over shards (a test passes a subclass that
    records or breaks shards, or ``ShardIndexer(jobs=1)``); ``binary`` finds
    the extended Pagefind binary (None: not installed); ``read_member``
    reads a post page's shard and filters (`shards.member`).
    """

    def __init__(
        self, indexer: ShardIndexer | None = None, binary: Callable[[], Path | None] = pagefind_binary, read_member: ReadMember = member
    ) -> None:
        self.indexer = indexer or ShardIndexer()
        self.binary = binary
        self.read_member = read_member
        self._warming: Warming | None = None  # a service warmed up for the next indexing run
        self._members: tuple[Signature, dict[str, Member]] | None = None  # the membership file as `preread` read it
        self._closing: list[threading.Thread] = []  # stopping the services of runs that ended (`closed`)
        self._close_errors: list[Exception] = []
        self._lock = threading.Lock()

    # -- planning and the build's run ------------------------------------------------

    def outputs(self, model: SiteModel, planner: Planner) -> tuple[list[PageSpec], list[FileSpec], list[Problem]]:
        """The search page, planned with the other pages (`page.search_outputs`)."""
        return search_page.search_outputs(model, planner)

    def warm_up(self, out_dir: Path) -> None:
        """Start a Pagefind service and load its dictionaries in the background (no-op if there is no binary).

        The next indexing run (`index_output`, `early`) takes it as its first service.
        """
        binary = self.binary()
        if binary is None or not out_dir.is_dir():
            return
        shutil.rmtree(out_dir / PREREAD, ignore_errors=True)  # a read-ahead a killed build left (no service reads it now)
        warming = Warming(binary, out_dir)
        warming.start()  # before it is published: a run that takes it joins its thread
        with self._lock:
            previous, self._warming, self._members = self._warming, warming, None
        if previous is not None:
            previous.close()

    def preread(self, out_dir: Path, edited: Callable[[], Collection[str]]) -> None:
        """Have the warmed-up service (if any) read ahead the shard of the post pages ``edited()`` gives (the build's
        edited posts', `build.loading.edited_pages`), as the output has it now.

        The membership file is read (the indexing run does not read it again) and
        the shard's pages linked here: on another thread, beside the builder's
        work, each link would wait for the interpreter (0.17 s instead of 0.02 for
        a shard of 278 pages). The service reads them once its dictionaries are
        loaded, while the builder makes the new pages; the indexing run then gives
        it just the pages whose files changed (`indexer.Preread`).
        """
        with self._lock:
            warming, self._members = self._warming, None
        if warming is None or warming.asked:
            return
        # Not when the update will be a large one anyway (a marker of shards behind, an unreadable list of pages)
        pages = edited() if not (out_dir / DIRTY).exists() and isinstance(changing(out_dir / CHANGING), set) else ()
        if pages:
            warming.litter.append(out_dir / PREREAD)  # (what the indexing run does not take over)
        warming.then(self._preread(out_dir, pages) if pages else None)

    def _ahead(self) -> Preread | None:
        """The shard the warmed-up service read ahead (`preread`), if it has read it by now (this never waits)."""
        with self._lock:
            warming = self._warming
        result = warming.done() if warming is not None else None
        return result if isinstance(result, Preread) else None

    def _preread(self, out_dir: Path, pages: Collection[str]) -> Callable[[Service | None], Preread | None] | None:
        path = out_dir / MEMBERS
        seen = file_signature(path)  # before reading it: a file changed since does not pass for it
        members = read_members(path) if seen is not None else None
        if seen is None or members is None:
            return None
        with self._lock:
            self._members = (seen, members)
        return self.indexer.preread(out_dir, pages, members)

    def _read_members(self, path: Path) -> dict[str, Member] | None:
        """The membership file: as `preread` read it, once, when the file is still the one it read (an edit reads it once, not twice); else read now."""
        with self._lock:
            known, self._members = self._members, None
        if known is not None and file_signature(path) == known[0]:
            return known[1]
        return read_members(path)

    def release(self) -> None:
        """Stop a warmed-up service nobody used (a build that failed, or needed no index), and wait for those stopping."""
        warming = self._take_warming()
        if warming is not None:
            warming.close()
        self.closed()

    @property
    def warming(self) -> bool:
        """Is a warmed-up service waiting for an indexing run?"""
        return self._warming is not None

    def _take_warming(self) -> Warming | None:
        with self._lock:
            warming, self._warming = self._warming, None
        return warming

    def note_changing(self, out_dir: Path, pages: Iterable[str]) -> None:
        """Call before the output changes: the HTML ``pages`` about to be written or deleted.

        Until `index_output` has indexed them, they stay listed in ``CHANGING``, so
        a build stopped between its commit and its search update (killed, or an
        exception) has them indexed by the next build, which may write no HTML at all.
        """
        path = out_dir / CHANGING
        known = changing(path)
        todo = {p for p in pages if is_post_page(p)}
        if not isinstance(known, set) or not todo or todo <= known:
            return
        atomic_write(path, json.dumps(sorted(known | todo), ensure_ascii=False).encode("utf-8"))

    def small_update(self, out_dir: Path, pages: Collection[str], limit: int) -> bool:
        """Will `index_output` for these changed ``pages`` be a small update (≤ ``limit`` pages to read)?

        Not when the index would be rebuilt whole or in large part: no membership
        file or manifest, a marker of shards left behind, or a long (or unreadable)
        list of pages a stopped build left in ``CHANGING`` besides ``pages``.
        """
        if len(pages) > limit or (out_dir / DIRTY).exists():
            return False
        if not ((out_dir / MEMBERS).is_file() and (out_dir / BUNDLE / MANIFEST).is_file()):
            return False
        listed = changing(out_dir / CHANGING)
        return isinstance(listed, set) and len(listed) <= limit

    def early(self, out_dir: Path, pages: Collection[str], staged: Callable[[str], Path], posts: Collection[str]) -> EarlyIndex:
        """A small update begun before the commit (see `EarlyIndex`; run it on a thread)."""
        return EarlyIndex(out_dir, pages, staged, posts, index=self)

    def whole_update(self, out_dir: Path) -> bool:
        """Will the next indexing run read every post page and index every shard (and is there a Pagefind to run)?

        So after a first build into ``out_dir``, or when its membership file or
        manifest is gone or in another layout, or its marker or list of changing
        pages cannot be read (`shards.plan_update`). The build then begins it before its commit (`WholeIndex`).
        """
        indexed = (out_dir / BUNDLE / MANIFEST).is_file() and (out_dir / MEMBERS).is_file()
        whole = not indexed or pending(out_dir / DIRTY) is ALL or changing(out_dir / CHANGING) is ALL
        return whole and self.binary() is not None

    def whole(self, out_dir: Path, members: dict[str, Member], made: Collection[str], staged: Callable[[str], Path], pages: Collection[str]) -> WholeIndex:
        """The whole update begun before the commit (see `WholeIndex`; run it on a thread)."""
        return WholeIndex(out_dir, members, made, staged, pages, index=self)

    # -- indexing the committed output ------------------------------------------------

    def index_output(
        self, out_dir: Path, changed: bool, pages: Collection[str] | None = None, started: threading.Event | None = None, stop: threading.Event | None = None
    ) -> list[Problem]:
        """Run after the output is committed; ``changed`` is False when no HTML changed.

        ``stop``: once set, Pagefind is stopped (`ShardIndexer.run`) and the shards
        not indexed stay marked, as after a failed run; the problems returned
        then are only that (see `Builder.update_search`).

        ``started``, when given, is set once Pagefind has read the pages of the
        first shard (or when there is no work, or at once while the warmed-up
        service still loads its dictionaries): from then on this function mostly
        waits for it, and Pagefind uses one core, so a caller running it on a
        thread can go on with its own work (reading the pages keeps both cores busy).

        ``pages``, when the caller knows them, are the HTML paths written or
        deleted: only the shards with a post page among them (or whose pages
        changed) are indexed again (no post page → no work). Without the list
        every shard is indexed. Shards of unit folders that are gone, or without
        posts any more, lose their index.
        """
        try:
            return self._index_output(out_dir, changed, pages, started, stop)
        finally:
            if started is not None:
                started.set()
            self.closed()

    def _index_output(
        self, out_dir: Path, changed: bool, pages: Collection[str] | None, started: threading.Event | None, stop: threading.Event | None = None
    ) -> list[Problem]:
        marked = pending(out_dir / DIRTY)
        if not changed:
            pages = ()
        listed = changing(out_dir / CHANGING)
        if not isinstance(listed, set):
            pages = None
        elif listed and pages is not None:
            pages = {*pages, *listed}  # a build that stopped before indexing them
        update = plan_update(out_dir, marked, pages, read_member=self.read_member)
        problems = [] if update is None else self._index_shards(out_dir, update, started, stop)
        if not any(p.is_error for p in problems):
            (out_dir / CHANGING).unlink(missing_ok=True)
        return problems

    def _index_shards(self, out_dir: Path, update: Update, started: threading.Event | None, stop: threading.Event | None) -> list[Problem]:
        """Index the update's shards that have posts, then write the manifest and remove stale indexes."""
        scratch = fresh_scratch(out_dir)
        # Until the shards are indexed (or removed) their indexes are behind their
        # pages: said on disk before the membership file changes (`record`).
        record(out_dir, update.members, update.todo, update.old)
        shards = shards_of(update.members)
        wanted = sorted(s for s in update.todo if s in shards)
        if not wanted:
            return install_shards(out_dir, update.members, {})
        binary = self.binary()
        if binary is None:
            return [NO_BINARY]
        scratch.mkdir()
        begun = started if started is not None else threading.Event()  # set once Pagefind has read a shard's pages
        try:
            ahead = ManifestAhead(update.members, after=begun)  # worked out while Pagefind indexes
            outcomes = self._run(binary, out_dir, [(s, shards[s]) for s in wanted], scratch, started=begun, stop=stop)
        except BaseException:
            begun.set()  # (the manifest's thread ends)
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        return install_shards(out_dir, update.members, outcomes, ahead)

    def _run(
        self,
        binary: Path,
        out_dir: Path,
        work: Work,
        scratch: Path,
        started: threading.Event | None = None,
        linked: bool = False,
        stop: threading.Event | None = None,
        read: Callable[[str], Path | None] | None = None,
    ) -> dict[Shard, Problem | None]:
        """`ShardIndexer.run` with the warmed-up service as its first, which is stopped afterwards whatever happened.

        Stopped on a thread of its own (its exit takes ~0.015 s), beside the
        installing of the shards: `closed` waits for it.
        """
        warming = self._take_warming()
        if warming is not None and started is not None and not warming.ready():
            # It is still loading its dictionaries (a small site's build gets here first):
            # the builder need not wait for that (`EarlyIndex.read`), only for Pagefind's reading.
            started.set()
        try:
            warm = warming.take() if warming is not None else None
            preread = warming.result if warm is not None and warming is not None and isinstance(warming.result, Preread) else None
            return self.indexer.run(binary, out_dir, work, scratch, started, linked, stop, warm, preread, read)
        finally:
            if warming is not None:
                self._close_soon(warming)

    def _close_soon(self, warming: Warming) -> None:
        errors = self._close_errors

        def close() -> None:
            try:
                warming.close()
            except Exception as exc:  # raised by `closed`, to the caller
                errors.append(exc)

        closing = threading.Thread(target=close, name="liangshai-pagefind-close", daemon=True)
        try:
            closing.start()
        except RuntimeError:  # no thread to be had: here, then
            warming.close()
            return
        with self._lock:
            self._closing.append(closing)

    def closed(self) -> None:
        """Wait until the services `_run` stopped have exited (and raise what stopping one raised)."""
        with self._lock:
            closing, self._closing = self._closing, []
        for thread in closing:
            thread.join()
        if self._close_errors:
            error = self._close_errors.pop(0)
            self._close_errors.clear()
            raise error


class EarlyIndex:
    """The search update of a small build, begun before its commit (the builder starts it once the edited posts' pages are staged).

    `run` (on a thread) reads the membership file and the staged post pages
    (``staged(page)``: the file holding a page's new bytes; an indexed page
    not among the build's post pages ``posts`` is deleted), makes the
    shards' scratch sites and sets `ready` (the build waits for it before
    its commit moves the staged files), then has Pagefind index those shards
    into the scratch folder; once Pagefind has read the first shard's pages
    (`read`: the builder may wait for it) the builder renders its other
    pages and saves its state beside Pagefind's building of the index.
    Nothing in the output changes until the build calls `proceed` after its commit with the HTML it wrote or deleted: if the
    post pages among them are the ones indexed (plus pages that are post
    pages neither before nor after, a unit's first column page), the shards,
    membership and manifest go into place exactly as `index_output` would
    put them; otherwise the scratch is dropped and `index_output` runs on
    those pages. ``proceed(None)``: the build failed; nothing is written.
    `outcome` says which happened ("installed", "fell back", "dropped").
    ``index``: the `SearchIndex` it works for (`SearchIndex.early` makes it).
    """

    def __init__(
        self, out_dir: Path, pages: Collection[str], staged: Callable[[str], Path], posts: Collection[str], index: SearchIndex
    ) -> None:
        self.out_dir = out_dir
        self.pages = frozenset(p for p in pages if is_post_page(p))
        self.staged = staged
        self.posts = frozenset(posts)  # every post page of the build: an indexed page not among them is deleted
        self.index = index
        self.ready = threading.Event()
        # set once Pagefind has read the first shard's pages (or nothing is indexed, or its service still
        # loads its dictionaries): the builder may wait for it, since Pagefind's reading keeps both cores busy
        self.read = threading.Event()
        self.outcome = ""
        self.error: Exception | None = None  # what made the preparation fail (then it fell back)
        self._gate = threading.Event()
        self._html: Collection[str] | None = None
        self._stop = threading.Event()  # set by proceed(None): Pagefind's work would be thrown away
        self._gone: frozenset[str] = frozenset()  # indexed pages of no post of the build (`_prepare`)

    def proceed(self, html: Collection[str] | None) -> None:
        self._html = html
        if html is None:
            self._stop.set()
        self._gate.set()

    def run(self) -> list[Problem]:
        try:
            return self._run()
        finally:
            self.index.closed()

    def _run(self) -> list[Problem]:
        try:
            prepared = self._prepare()
        except Exception as exc:
            prepared, self.error = None, exc
        finally:
            self.ready.set()
            self.read.set()
        self._gate.wait()
        html = self._html
        if html is None:
            shutil.rmtree(self.out_dir / SCRATCH, ignore_errors=True)
            self.outcome = "dropped"
            return []
        if prepared is not None and self._covers(prepared, html):
            self.outcome = "installed"
            return self._install(prepared)
        self.outcome = "fell back"
        shutil.rmtree(self.out_dir / SCRATCH, ignore_errors=True)
        return self.index._index_output(self.out_dir, bool(html), html, None)

    def _install(self, prepared: _Prepared) -> list[Problem]:
        """Put what was indexed before the commit into place, as `index_output` would have."""
        update = prepared.update
        record(self.out_dir, update.members, update.todo, update.old)
        problems = [NO_BINARY] if prepared.outcomes is None else install_shards(self.out_dir, update.members, prepared.outcomes, prepared.manifest)
        if not any(p.is_error for p in problems):
            (self.out_dir / CHANGING).unlink(missing_ok=True)
        return problems

    def _read(self, page: str) -> Path | None:
        """The file holding ``page``'s bytes after the commit: its staged copy, None when the commit deletes it, else the output's."""
        return self.staged(page) if page in self.pages else None if page in self._gone else self.out_dir / page

    def _prepare(self) -> _Prepared | None:
        """Read the pages and index their shards into the scratch folder; None when this build's pages are not the whole update."""
        out_dir = self.out_dir
        marked = pending(out_dir / DIRTY)
        listed = changing(out_dir / CHANGING)
        if marked or not isinstance(listed, set):
            return None  # a bigger update than this build's pages: after the commit, as usual
        old = self.index._read_members(out_dir / MEMBERS)
        if old is None:
            return None
        self._gone = frozenset(p for p in old if p not in self.posts)  # the commit deletes them
        # and a stopped build's pages (`note_changing`), from the output
        pages = self.pages | self._gone | listed
        folders = tuple(unit_folders(out_dir))
        update = plan_update(out_dir, marked, pages, self._read, old, self.index.read_member)
        if update is None or update.old is None:
            return None
        scratch = fresh_scratch(out_dir)
        shards = shards_of(update.members)
        wanted = sorted(s for s in update.todo if s in shards)
        binary = self.index.binary() if wanted else None
        if wanted and binary is None:
            return _Prepared(update, None, pages, folders)
        if wanted:
            scratch.mkdir()
        indexer = self.index.indexer
        preread = self.index._ahead()  # its site is taken over if Pagefind has read it by now (else the run compares with it later)
        for shard in wanted:
            if indexer.link_site(out_dir, shard, shards[shard], scratch, self._read, ahead=preread) is not None:
                return None
        self.ready.set()  # every staged page is read or linked: the build may move them
        outcomes = {}
        ahead = None
        if binary is not None:
            work = [(s, shards[s]) for s in wanted]
            ahead = ManifestAhead(update.members, after=self.read)  # worked out while Pagefind indexes
            outcomes = self.index._run(binary, out_dir, work, scratch, started=self.read, linked=True, stop=self._stop)
        return _Prepared(update, outcomes, pages, folders, ahead)

    def _covers(self, prepared: _Prepared, html: Collection[str]) -> bool:
        """Did the update read every page the build changed? Any other page must be a post page neither before nor after."""
        if tuple(unit_folders(self.out_dir)) != prepared.folders:
            return False
        if any((self.out_dir / page).exists() for page in self._gone):  # taken as deleted, yet still there
            return False
        read_member = self.index.read_member
        members, old = prepared.update.members, prepared.update.old or {}
        # Pages read from the output before the commit (a stopped build's, `note_changing`): the commit
        # may have deleted or rewritten them since.
        for page in prepared.pages - self.pages - self._gone:
            if read_member(self.out_dir / page) != members.get(page):
                return False
        # Other post pages the build changed must have been post pages neither before nor after.
        others = {p for p in html if is_post_page(p)} - prepared.pages
        return not any(page in old or read_member(self.out_dir / page) is not None for page in others)


@dataclasses.dataclass(frozen=True)
class _Prepared:
    """What `EarlyIndex` read and indexed before the commit."""

    update: Update  # its members, shards and old members (never None: the membership file was read)
    outcomes: dict[Shard, Problem | None] | None  # per shard indexed into the scratch folder; None: no Pagefind binary
    pages: frozenset[str]  # the post pages read (staged, deleted, or left by a stopped build)
    folders: tuple[str, ...]  # the output's unit folders then
    manifest: ManifestAhead | None = None  # the manifest, made while Pagefind indexed


class WholeIndex(EarlyIndex):
    """The search update of a build that indexes every shard (`SearchIndex.whole_update`: a first build), begun before its commit.

    The render workers read each post page's shard and filters from the bytes
    they made (`render.pages.MakeJob.member`), so the builder starts this once
    every page is staged, with those ``members`` and the pages of the families
    it ``made``. Pagefind indexes every shard into the scratch folder while the
    builder stages its other files, commits and saves its state (~1.8 s at
    10,000 posts on which the other core had nothing to do). The commit does not
    wait for it: each shard's pages are linked when a service comes to it, from
    their staged files (``staged(page)`` for the staged ``pages``) or, once the
    commit has moved them into place, from the output (`indexer._link_pages`
    asks again), the same file either way. After the commit the shards go into
    place if the output's post pages are the ones read (`_covers`); otherwise,
    as with `EarlyIndex`, the scratch is dropped and `index_output` reads them all.
    """

    def __init__(
        self, out_dir: Path, members: dict[str, Member], made: Collection[str], staged: Callable[[str], Path], pages: Collection[str], index: SearchIndex
    ) -> None:
        super().__init__(out_dir, pages, staged, (), index)
        self.members = dict(sorted(members.items()))
        self.made = frozenset(made)

    def _read(self, page: str) -> Path | None:
        """The file holding ``page``'s bytes now: its staged copy until the commit moves it, then the output's."""
        if page in self.pages and (path := self.staged(page)).exists():
            return path
        return self.out_dir / page

    def _prepare(self) -> _Prepared | None:
        shards = shards_of(self.members)
        update = Update(self.members, set(shards), None)
        binary = self.index.binary() if shards else None
        if shards and binary is None:
            return _Prepared(update, None, frozenset(self.members), ())
        scratch = fresh_scratch(self.out_dir)
        self.ready.set()  # nothing to read before the commit moves the staged pages (`_read`)
        if not shards:
            return _Prepared(update, {}, frozenset(), ())
        assert binary is not None
        scratch.mkdir()
        ahead = ManifestAhead(update.members, after=self.read)  # worked out while Pagefind indexes
        outcomes = self.index._run(binary, self.out_dir, sorted(shards.items()), scratch, started=self.read, stop=self._stop, read=self._read)
        return _Prepared(update, outcomes, frozenset(self.members), (), ahead)

    def _covers(self, prepared: _Prepared, html: Collection[str]) -> bool:
        """Are the post pages in the output (as `shards.scan` finds them) the ones read? A page of a family
        the build did not make (kept as it was, or not the site's) must be no post page."""
        found: set[str] = set()
        read_member = self.index.read_member
        for unit in unit_folders(self.out_dir):
            with os.scandir(self.out_dir / unit) as entries:
                for entry in entries:
                    page = f"{unit}/{entry.name}/index.html"
                    if entry.is_dir() and os.path.exists(self.out_dir / page):  # (as `scan`'s glob: links followed)
                        found.add(page)
                        if page not in self.made and read_member(self.out_dir / page) is not None:
                            return False
        return found >= prepared.update.members.keys()
