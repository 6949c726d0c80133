"""Entry (serve): watching the site — watchdog events in, site-relative paths out.

Stage: entry. `Watches` owns the watchdog observer and its watches over the
site folder, ``content/``, ``themes/`` and the bundled theme; `Watcher` (run on
the observer thread) turns events into paths in `status.Changes`; `LostEvents`
turns watchdog's log record of an inotify overflow into a full rescan.
"""

from __future__ import annotations

import errno
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from generator.load.sources import CONTENT, ignored_name
from generator.render.theme import BUNDLED_THEMES
from generator.serve.status import Changes, Log

CONFIG_FILE = "site.toml"
THEMES = "themes"

# Only what changes content: opening or reading a file (the builder reads every
# post on each build) must never look like a change, or builds would loop.
WATCHED_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
_CHANGE_TYPES = {"created", "deleted", "modified", "moved", "closed"}

# watchdog logs an inotify overflow under this logger (inotify_c and inotify below it)
_WATCHDOG_LOGGER = "watchdog.observers"

# A folder's identity: its resolved path, device and inode. A folder replaced by a
# checkout keeps its path but not its inode, and its old watch sees nothing any more.
_Key = tuple[str, int, int]


@dataclass(frozen=True)
class Root:
    """A watched folder and how its paths are shown in the terminal."""

    label: str  # "content", "themes", "site.toml" prefix, or an absolute path
    path: str  # resolved, no trailing separator
    recursive: bool


@dataclass(frozen=True)
class Wanted:
    """A folder that should be watched now (it exists)."""

    label: str
    path: Path
    recursive: bool


def wanted_folders(site: Path) -> list[Wanted]:
    """The site folder (only its top level), content/ and themes/ if present, and the bundled theme."""
    wanted = [Wanted(".", site, False)]
    for name in (CONTENT, THEMES):
        if (site / name).is_dir():
            wanted.append(Wanted(name, site / name, True))
    bundled = BUNDLED_THEMES.resolve()
    site_themes = (site / THEMES).resolve()
    if bundled.is_dir() and bundled != site_themes and site_themes not in bundled.parents:
        wanted.append(Wanted(str(bundled), bundled, True))  # editing the shipped theme also reloads
    return wanted


class Watcher(FileSystemEventHandler):
    """Turns watchdog events into site-relative paths in `Changes`.

    Runs on the observer thread, so it only classifies paths and never blocks.
    A move counts for both of its ends: an editor's atomic save (write a temp
    file, rename it over the post) shows up as the post being created.
    """

    def __init__(self, site: Path, out: Path, changes: Changes) -> None:
        super().__init__()
        self.site = str(site)
        self.out = str(out)
        self.changes = changes
        self.roots: tuple[Root, ...] = ()  # replaced as a whole by the build thread

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CHANGE_TYPES or (event.is_directory and event.event_type == "modified"):
            return
        for raw in (event.src_path, event.dest_path):
            if raw:
                rel = self.relevant(os.fsdecode(raw))
                if rel is not None:
                    self.changes.add(rel)

    def relevant(self, path: str) -> str | None:
        """The path as the terminal shows it, or None when it cannot affect the site."""
        if path == self.out or path.startswith(self.out + os.sep):
            return None  # the builder's own writes
        for root in self.roots:
            if path == root.path:
                return root.label
            if not path.startswith(root.path + os.sep):
                continue
            parts = path[len(root.path) + 1 :].split(os.sep)
            # the site folder itself: only site.toml and the watched folders matter
            if not root.recursive and (len(parts) != 1 or parts[0] not in (CONFIG_FILE, CONTENT, THEMES)):
                return None
            if any(ignored_name(p) for p in parts):
                return None  # editor temp files, swap files, hidden files
            return "/".join([root.label, *parts]) if root.label != "." else "/".join(parts)
        return None


class LostEvents(logging.Handler):
    """watchdog reports an inotify queue overflow only in its log; that means a full rescan.

    watchdog 7 logs "Inotify queue overflowed; …" from watchdog.observers.inotify_c
    and .inotify when the kernel dropped events. There is no handler callback for
    it, so the log record is the signal.
    """

    def __init__(self, changes: Changes) -> None:
        super().__init__(logging.WARNING)
        self.changes = changes

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record must not break the observer thread
            return
        if "overflow" in message.lower() or "unable to rebuild" in message.lower():
            self.changes.rescan("文件系统事件过多，部分变化没有被报告（inotify 队列溢出）")


class Watches:
    """The observer thread and its watches; `ensure` is called by the build thread before each build."""

    def __init__(self, site: Path, out: Path, changes: Changes, log: Log) -> None:
        self.site = site
        self.log = log
        self.handler = Watcher(site, out, changes)
        self._lost = LostEvents(changes)
        self._observer: BaseObserver | None = None
        self._watches: dict[str, tuple[ObservedWatch, _Key]] = {}

    def start(self) -> None:
        logging.getLogger(_WATCHDOG_LOGGER).addHandler(self._lost)
        self._observer = Observer()
        self._observer.start()

    def stop(self) -> None:
        logging.getLogger(_WATCHDOG_LOGGER).removeHandler(self._lost)
        if self._observer is not None:
            self._observer.stop()
            if self._observer.is_alive():
                self._observer.join()

    def ensure(self, *, renew: bool) -> None:
        """(Re)schedule the watches; ``renew``: replace every watch (events were lost).

        A folder that appeared (themes/ created after start), was replaced (a
        checkout that recreates content/) or whose watch died gets a fresh watch.
        The build that follows rescans everything anyway, so nothing that changed
        while a watch was missing is lost.
        """
        observer = self._observer
        assert observer is not None, "watching not started"
        wanted = wanted_folders(self.site)
        alive = {e.watch for e in observer.emitters if e.is_alive()} if observer.is_alive() else None
        roots = [root for want in wanted if (root := self._ensure_one(observer, want, renew, alive)) is not None]
        labels = {want.label for want in wanted}
        for label in [k for k in self._watches if k not in labels]:
            self._unschedule(observer, label)
        # most specific root first (bundled themes may live below the site folder)
        self.handler.roots = tuple(sorted(roots, key=lambda r: len(r.path), reverse=True))

    def _ensure_one(self, observer: BaseObserver, want: Wanted, renew: bool, alive: set[ObservedWatch] | None) -> Root | None:
        """Keep, renew or set the watch of one folder; None when it cannot be watched now."""
        real = want.path.resolve()
        try:
            st = real.stat()
        except OSError:
            return None
        key = (str(real), st.st_dev, st.st_ino)
        old = self._watches.get(want.label)
        if old is not None:
            healthy = old[1] == key and (alive is None or old[0] in alive)
            if renew or not healthy:
                self._unschedule(observer, want.label)
                old = None
        if old is None and not self._schedule(observer, want, real, key):
            return None
        return Root(want.label, str(real), want.recursive)

    def _schedule(self, observer: BaseObserver, want: Wanted, real: Path, key: _Key) -> bool:
        try:
            watch = observer.schedule(self.handler, str(real), recursive=want.recursive, event_filter=WATCHED_EVENTS)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EMFILE):
                why = "系统允许的监视数量已用完（可调大 fs.inotify.max_user_watches 或 max_user_instances）"
            else:
                why = exc.strerror or str(exc)
            self.log(f"无法监视 {real}：{why}。这个文件夹的修改不会自动刷新，需要重新启动预览。", error=True)
            return False
        self._watches[want.label] = (watch, key)
        return True

    def _unschedule(self, observer: BaseObserver, label: str) -> None:
        watch = self._watches.pop(label)[0]
        try:
            observer.unschedule(watch)
        except (KeyError, OSError):
            pass
