"""Search stage: indexing shards with Pagefind services — the part of the search a test replaces.

`ShardIndexer` indexes a list of shards into the scratch folder with at most
``jobs`` Pagefind processes in service mode, each taking the next shard,
biggest first, when done with one: the extended binary takes about 0.2 s of
CPU to start, once per process rather than once per shard. Each shard's
pages are first linked into a scratch site of their own (`link_site`), since
post pages carry no year in their path and Pagefind's ``--glob`` cannot pick
a shard; the index it gives is canonicalized (`pagefind.canonicalize`).
Tests hand `SearchIndex` a subclass that records or breaks `index_shard` /
`link_site`, or a ``jobs`` of its own.

An edit's shard may be read ahead (`ShardIndexer.preread`): the warmed-up
service reads the shard's pages as the output has them while the builder
makes the new ones, and `index_shard` then gives it just the pages whose
files differ from those it read (`Preread`).
"""

from __future__ import annotations

import base64
import dataclasses
import os
import posixpath
import shutil
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from generator.core.errors import Problem
from generator.search.pagefind import ENTRY, UNUSED, Service, ServiceError, canonicalize
from generator.search.problems import STOPPED, search_error, search_warning
from generator.search.shards import BUNDLE, PREREAD, Member, Shard, scratch_name, shard_dir, where
from generator.write.output import Signature, file_signature

JOBS = 2  # Pagefind processes (services) at a time, each multi-threaded already
STOP_POLL = 0.05  # seconds: how often a run with a stop event looks at it

Work = list[tuple[Shard, list[str]]]  # (shard, its post pages)


@dataclasses.dataclass(frozen=True)
class Preread:
    """A shard's ``pages`` as a warmed-up service read them before the build made its own (`ShardIndexer.preread`).

    ``index``: that service's index holding them; ``seen``: the file each page was read from (its `Signature`: a page linked from the same file has it);
    ``site``: the links it read them through, which `link_site` takes over for the shard.
    Pagefind numbers the pages of an index in the order it first reads them (for
    ``AddDir``, the folder's listing order: the same names in the same layout list
    in the same order), and a page added again under its URL takes the place of
    the one read before. So this index, given the pages whose files changed since,
    holds the bytes a fresh ``AddDir`` of the shard's pages gives (`_add_site`).
    """

    shard: Shard
    pages: tuple[str, ...]
    index: str
    seen: Mapping[str, Signature | None]
    site: Path


class ShardIndexer:
    """Indexes shards into ``<scratch>/index-<unit>-<year>`` with Pagefind services."""

    def __init__(self, jobs: int = JOBS) -> None:
        self.jobs = jobs

    def service(self, binary: Path, scratch: Path, name: str) -> Service:
        """A new (not yet started) Pagefind service: it starts at its first request."""
        return Service(binary, scratch, name)

    def run(
        self,
        binary: Path,
        out_dir: Path,
        work: Work,
        scratch: Path,
        started: threading.Event | None = None,
        linked: bool = False,
        stop: threading.Event | None = None,
        warm: Service | None = None,
        preread: Preread | None = None,
        read: Callable[[str], Path | None] | None = None,
    ) -> dict[Shard, Problem | None]:
        """Index the shards of ``work``: {shard: None, a warning (not canonical) or an error}.

        ``linked``: the shards' scratch sites are made already (`link_site`); else each is
        linked when a service comes to it, from ``read(page)`` (as `link_site`).
        ``stop``: once set, the services are killed and no shard is begun; every
        shard not indexed by then has an error outcome (`STOPPED` or the killed
        service's), so `shards.install_shards` leaves it marked for the next run.
        ``warm``: a service warmed up for this run, taken as the first service (its owner closes it);
        ``preread``: a shard it read ahead (`preread`), which it indexes first.
        """
        return _Pool(self, binary, out_dir, work, scratch, started, linked, stop, warm, preread, read).run()

    def link_site(
        self, out_dir: Path, shard: Shard, pages: list[str], scratch: Path, read: Callable[[str], Path | None] | None = None, ahead: Preread | None = None
    ) -> Problem | None:
        """A site of just the shard's pages, at their own paths (so their URLs): hard links to ``read(page)`` (the output's page by default).

        (``read`` gives None only for a page about to be deleted, which is in no shard; a file it names
        that is gone by the time it is linked is asked for again: see `_link_pages`.)
        ``ahead``: these pages read ahead; its site is moved here and the links of the pages changed since replaced.
        """
        site = (scratch / scratch_name("site", shard)).absolute()
        source = read or (lambda page: out_dir / page)
        try:
            if ahead is not None and ahead.shard == shard and ahead.pages == tuple(pages) and _take_site(ahead, site, source):
                return None
            _link_pages(site, pages, source)
        except OSError as exc:
            return search_error(f"无法准备搜索索引（{where(shard)}）：{exc.strerror}。搜索索引没有更新。")
        return None

    def preread(self, out_dir: Path, pages: Collection[str], members: Mapping[str, Member]) -> Callable[[Service | None], Preread | None] | None:
        """Link the pages of the one shard the post ``pages`` are in (by ``members``) as the output has them now,
        into ``out_dir / PREREAD`` (the caller removes it); what has a service read them.

        None when they are in no shard or in more than one, or cannot be linked: the
        indexing run then reads the shard as usual (so too when Pagefind fails).
        """
        shards = {(page.split("/", 1)[0], members[page][0]) for page in pages if page in members}
        if len(shards) != 1 or not all(page in members for page in pages):
            return None
        shard = shards.pop()
        unit = shard[0] + "/"
        listed = sorted(page for page, (year, _) in members.items() if year == shard[1] and page.startswith(unit))  # (as `shards_of`)
        root = out_dir / PREREAD
        site = (root / scratch_name("site", shard)).absolute()
        shutil.rmtree(root, ignore_errors=True)
        try:
            _link_pages(site, listed, lambda page: out_dir / page)
            seen = {page: file_signature(site / page) for page in listed}
        except OSError:
            shutil.rmtree(root, ignore_errors=True)
            return None

        def read(service: Service | None) -> Preread | None:
            if service is None:
                return None
            try:
                index = service.request({"type": "NewIndex", "config": {"keep_index_url": True}})["index_id"]
                answer = service.request({"type": "AddDir", "index_id": index, "path": str(site)})
            except (OSError, ServiceError, KeyError, TypeError):
                return None
            if answer.get("page_count") != len(listed):  # a page it could not read would never be read again (its file unchanged)
                service.post({"type": "DeleteIndex", "index_id": index})
                return None
            return Preread(shard, tuple(listed), index, seen, site)

        return read

    def index_shard(
        self,
        service: Service,
        out_dir: Path,
        shard: Shard,
        pages: list[str],
        scratch: Path,
        started: threading.Event | None = None,
        linked: bool = False,
        preread: Preread | None = None,
        read: Callable[[str], Path | None] | None = None,
    ) -> Problem | None:
        """Index ``shard``'s post ``pages`` into ``<scratch>/index-<unit>-<year>`` with ``service``; an error, a warning (not canonical) or None.

        ``started`` is set once Pagefind has read the shard's pages (its AddDir answered or failed; see `SearchIndex.index_output`).
        ``linked``: its scratch site is made already (`link_site`; else from ``read``). ``preread``: this shard, read ahead by ``service``.
        """
        site = (scratch / scratch_name("site", shard)).absolute()
        dest = (scratch / scratch_name("index", shard)).absolute()
        if not linked and (problem := self.link_site(out_dir, shard, pages, scratch, read, ahead=preread)) is not None:
            return problem
        installed = out_dir / BUNDLE / shard_dir(shard)
        try:
            _add_site(service, site, dest, started, installed if installed.is_dir() else None, _reuse(service, preread, pages, site))
        except OSError as exc:
            return search_error(f"无法运行 Pagefind（{service.binary}）：{exc.strerror}。搜索索引没有更新。")
        except ServiceError as exc:
            code = f"，退出码 {exc.exit}" if exc.exit is not None else ""
            return search_error(f"Pagefind 建立搜索索引失败（{where(shard)}{code}）：{exc.detail}。搜索索引没有更新。")
        finally:
            shutil.rmtree(site, ignore_errors=True)
        if not (dest / ENTRY).is_file():
            return search_error(f"Pagefind 建立搜索索引失败（{where(shard)}）：没有写出 {ENTRY}。搜索索引没有更新。")
        try:
            canonicalize(dest)
        except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            return search_warning(f"无法整理 Pagefind 的筛选索引（{exc}），搜索仍然可用，但 pagefind/ 里的几个文件每次生成可能不同。请使用 pyproject.toml 中写明的 Pagefind 版本。")
        return None


def _reuse(service: Service, preread: Preread | None, pages: list[str], site: Path) -> tuple[str, list[tuple[str, str]]] | None:
    """``preread``'s index and the pages of ``site`` to give it again, when it read these very pages; else None (and its index goes)."""
    if preread is None:
        return None
    changed = _changed(site, preread) if preread.pages == tuple(pages) else None
    if changed is None:
        service.post({"type": "DeleteIndex", "index_id": preread.index})
        return None
    return preread.index, changed


def _add_site(
    service: Service, site: Path, dest: Path, started: threading.Event | None, installed: Path | None = None, reuse: tuple[str, list[tuple[str, str]]] | None = None
) -> None:
    """As `pagefind --site <site> --output-path <dest> --keep-index-url`, through ``service``.

    The scratch ``site`` is removed once Pagefind has read it. ``installed``: the
    shard's index as published, whose unchanged files are linked, not written again.
    ``reuse``: an index of ``service`` holding the site's pages as read ahead, and
    the pages whose files are not those it read, with their text (`_reuse`).
    """
    index, changed = reuse if reuse is not None else (service.request({"type": "NewIndex", "config": {"keep_index_url": True}})["index_id"], None)
    try:
        try:
            if changed is None:
                service.request({"type": "AddDir", "index_id": index, "path": str(site)})
            for page, text in changed or ():
                service.request({"type": "AddFile", "index_id": index, "url": "/" + page, "file_contents": text})
        finally:
            # Reading and segmenting the pages keeps both cores busy; what follows
            # (GetFiles: building and compressing the index) uses one.
            if started is not None:
                started.set()
        # GetFiles, not WriteFiles: the service answers WriteFiles before every file is
        # on disk (seen under load: canonicalize then read a half-written filter file),
        # so the files come back in the answer and are written here, whole.
        asked = service.send({"type": "GetFiles", "index_id": index})
        shutil.rmtree(site, ignore_errors=True)  # read already: it goes while Pagefind builds the index
        _write_files(service.receive(asked)["files"], dest, installed)
    finally:
        if service.proc is not None and service.proc.poll() is None:
            try:
                service.post({"type": "DeleteIndex", "index_id": index})  # its memory, before the next shard
            except ServiceError:
                pass


def _changed(site: Path, preread: Preread) -> list[tuple[str, str]] | None:
    """The pages of ``site`` whose files are not those ``preread`` read, with their text; None when one cannot
    be read (as UTF-8: Pagefind's own reading of such a file is not AddFile's), and the site is read as usual."""
    changed = []
    try:
        for page in preread.pages:
            if file_signature(site / page) != preread.seen[page]:  # (None, gone: not read below)
                changed.append((page, (site / page).read_bytes().decode("utf-8")))
    except (OSError, UnicodeDecodeError):
        return None
    return changed


# Pagefind names these files after their bytes, and `canonicalize` leaves them as they are.
HASHED = ("fragment/", "index/")


def _write_files(files: list[dict], dest: Path, installed: Path | None) -> None:
    """Write GetFiles' ``files`` into ``dest``; those ``installed`` has already, byte for byte, are hard links to them.

    An edit re-indexes a shard of ~130 pages whose files are nearly all as
    published: a link is one system call where a new file is three and its
    data, and `shards.sync_dir` then sees the same file on both sides.
    """
    folders: set[Path] = set()
    written: set[str] = set()
    for item in files:
        rel = posixpath.normpath(str(item["path"]).lstrip("/"))
        if rel.startswith("..") or rel == ".":
            raise ServiceError(f"Pagefind 给出的文件路径不在索引文件夹内：{item['path']!r}")
        if rel in written:  # (a second write could go through a link into the published file)
            raise ServiceError(f"Pagefind 两次给出同一个文件：{item['path']!r}")
        written.add(rel)
        if rel.startswith(UNUSED):  # Pagefind's own UIs: search.js uses only the JS API
            continue
        target = dest / rel
        if target.parent not in folders:  # each folder once (an edit's ~190 files are in 4 folders)
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        data = base64.b64decode(item["content"])
        if installed is not None and rel.startswith(HASHED) and _link_same(installed / rel, target, data):
            continue
        target.write_bytes(data)


def _link_same(published: Path, target: Path, data: bytes) -> bool:
    """Hard-link ``target`` to ``published`` if that file holds ``data``; False when it does not (or cannot be linked)."""
    try:
        if published.read_bytes() != data:
            return False
        os.link(published, target)
    except OSError:
        return False
    return True


def _take_site(ahead: Preread, site: Path, source: Callable[[str], Path | None]) -> bool:
    """Move ``ahead``'s site to ``site`` and link again there each page whose file (``source(page)``) is not the one read; False (nothing done) when it is gone.

    Only the pages' own links change, not the folders listing them (`Preread`).
    """
    try:
        os.rename(ahead.site, site)
    except OSError:
        return False
    for page in ahead.pages:
        path = source(page)
        if path is None or file_signature(path) != ahead.seen[page]:
            os.unlink(site / page)
            _link_pages(site, [page], source)
    return True


def _link_pages(site: Path, pages: list[str], read: Callable[[str], Path | None]) -> None:
    """Hard links (copies where a link cannot be made) at ``site / page`` to ``read(page)``, in the order of ``pages``; None: skipped.

    A file gone by the time it is linked is asked for once more: a whole index begun
    before the commit (`index.WholeIndex`) names a page's staged file, which the
    commit may move into place just then (the same file, at the page's own path).
    """
    for page in pages:
        source = read(page)
        if source is None:
            continue
        target = site / page
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            _link(source, target)
        except FileNotFoundError:
            again = read(page)
            if again is None or again == source:
                raise
            _link(again, target)


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except FileNotFoundError:
        raise
    except OSError:
        shutil.copyfile(source, target)


class _Pool:
    """One `ShardIndexer.run`: its queue of shards, the services working on it, and their outcomes."""

    def __init__(
        self,
        indexer: ShardIndexer,
        binary: Path,
        out_dir: Path,
        work: Work,
        scratch: Path,
        started: threading.Event | None,
        linked: bool,
        stop: threading.Event | None,
        warm: Service | None,
        preread: Preread | None = None,
        read: Callable[[str], Path | None] | None = None,
    ) -> None:
        self.indexer = indexer
        self.read = read
        self.binary = binary
        self.out_dir = out_dir
        self.scratch = scratch
        self.started = started
        self.linked = linked
        self.stop = stop
        self.warm = warm
        self.queue = sorted(work, key=lambda item: (-len(item[1]), item[0]))  # the biggest shard first
        # The shard the warm service read ahead: its own first, never another service's.
        self.preread = preread if warm is not None and warm.binary == binary else None
        self.reserved = [item for item in self.queue if self.preread is not None and item[0] == self.preread.shard]
        self.queue = [item for item in self.queue if item not in self.reserved]
        self.lock = threading.Lock()
        self.outcomes: dict[Shard, Problem | None] = {}
        self.running: list[Service] = []
        self.finished = threading.Event()

    def run(self) -> dict[Shard, Problem | None]:
        workers = min(self.indexer.jobs, len(self.queue) + len(self.reserved))
        watcher = threading.Thread(target=self._watch, name="pagefind-stop", daemon=True) if self.stop is not None else None
        if watcher is not None:
            watcher.start()
        try:
            with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                for future in [pool.submit(self._worker, n) for n in range(workers)]:
                    future.result()
        finally:
            self.finished.set()
            if self.started is not None:
                self.started.set()  # (a run stopped, or whose shards all failed, before Pagefind read any)
            if watcher is not None:
                watcher.join()
        for shard, _ in self.reserved + self.queue:  # never begun: stopped
            self.outcomes[shard] = dataclasses.replace(STOPPED, message=STOPPED.message.format(where=where(shard)))
        return self.outcomes

    def _take(self, first: bool = False) -> tuple[Shard, list[str]] | None:
        with self.lock:
            queue = self.reserved if first and self.reserved else self.queue
            return queue.pop(0) if queue and not (self.stop is not None and self.stop.is_set()) else None

    def _watch(self) -> None:
        assert self.stop is not None
        # Until the run ends, not once: a worker that took its shard just before the stop
        # starts its service (lazily, at its first request) after it.
        while not self.finished.wait(STOP_POLL):
            if self.stop.is_set():
                with self.lock:
                    for service in self.running:
                        if service.proc is not None and service.proc.poll() is None:
                            service.proc.kill()  # its reader gets EOF: that shard fails

    def _worker(self, n: int) -> None:
        warm = self.warm
        service = warm if n == 0 and warm is not None and warm.binary == self.binary else self.indexer.service(self.binary, self.scratch, str(n))
        with self.lock:
            self.running.append(service)
        try:
            while (item := self._take(first=service is warm)) is not None:
                shard, pages = item
                preread = self.preread if self.preread is not None and service is warm and shard == self.preread.shard else None
                outcome = self.outcomes[shard] = self.indexer.index_shard(service, self.out_dir, shard, pages, self.scratch, self.started, self.linked, preread, self.read)
                if outcome is not None and outcome.is_error and service.proc is not None and service.proc.poll() is not None:
                    if not service.answered:
                        # It died before answering anything: a broken binary, which
                        # would fail the other shards the same way.
                        self._fail_rest(shard, outcome)
                        return
                    service.proc = None  # it crashed on that shard: a new one for the next
        finally:
            if service is not warm:
                service.close()  # the warm one: its owner closes it

    def _fail_rest(self, shard: Shard, outcome: Problem) -> None:
        while (rest := self._take()) is not None:
            self.outcomes[rest[0]] = dataclasses.replace(outcome, message=outcome.message.replace(where(shard), where(rest[0]), 1))
