"""Entry: ``liangshai serve`` — watch, debounce, rebuild, live reload, error overlay.

Stage: entry (like cli.py it prints and picks exit codes). It keeps ONE warm
`Builder` and calls `Builder.build()` for every rebuild: there is no second
rendering path, so a served page is the built page byte for byte, apart from
the reload ``<script>`` tag added to HTML responses on the way out.

How it fits together::

    watchdog observer ──events──▶ Changes (set of paths, under a lock)
                                     │ ~100 ms of quiet
    build thread ◀───────────────────┘  → Builder.build() → Hub.publish(Status)
                                                              │
    ThreadingHTTPServer: files from the output folder ◀───────┤
        /__liangshai/events  (server-sent events) ◀───────────┘
        /__liangshai/status  (the same JSON, for page load and tests)
        /__liangshai/reload.js (the injected script: reload, error overlay)

What this module must not do: render or write pages itself (only the builder
writes the output), write the reload script to disk, or serve anything outside
the output folder (no ``..``, no symlinks leading out, no hidden files).

Exit codes of `run_serve`: 0 when stopped with Ctrl-C or SIGTERM (stopping is
the normal way to end a preview, not a failure); 2 when the server cannot start
(port in use, bad address, output folder in a forbidden place); 130 only when
a second Ctrl-C abandons a rebuild that is still running.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import logging
import mimetypes
import os
import secrets
import shutil
import signal
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, unquote, urlsplit

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

from generator.build.builder import Builder, BuildOptions, BuildResult, output_folder_problem
from generator.load.sources import CONTENT, ignored_name
from generator.parse.privacy import redact
from generator.render.theme import BUNDLED_THEMES

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FORCED = 130

# The preview's own output folder: hidden (so neither `discover` nor the watcher
# looks at it) and not build/, so a preview never overwrites a publish build.
SERVE_DIR = ".liangshai-serve"
CONFIG_FILE = "site.toml"
THEMES = "themes"

QUIET_SECONDS = 0.1  # debounce: rebuild after this long without a new event
HEARTBEAT_SECONDS = 15.0  # SSE comment so dead connections are noticed and closed
RECONNECT_MS = 1000  # how soon a browser's EventSource retries after a restart

PREFIX = "/__liangshai/"
EVENTS_URL = PREFIX + "events"
STATUS_URL = PREFIX + "status"
SCRIPT_URL = PREFIX + "reload.js"

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


class Log(Protocol):
    def __call__(self, message: str, *, error: bool = False) -> None: ...


class ServeError(Exception):
    """The preview cannot start; the message is Chinese and meant for the terminal."""


# -- data records ---------------------------------------------------------


@dataclass(frozen=True)
class ErrorLine:
    """One build error as the overlay shows it."""

    path: str
    line: int
    text: str  # Problem.format(): "path:line: 错误：…"


@dataclass(frozen=True)
class Status:
    """What browsers are told; a new value is published after every build."""

    server: str  # random per server run: a restarted server makes open pages reload
    epoch: int  # builds finished, good or failed
    version: int  # good builds that changed the output; a page knows the version it was served at
    ok: bool
    building: bool = False
    errors: tuple[ErrorLine, ...] = ()

    def payload(self, *, pending: bool) -> dict[str, object]:
        return {
            "server": self.server,
            "epoch": self.epoch,
            "version": self.version,
            "ok": self.ok,
            "building": self.building,
            "pending": pending,
            # text is Problem.format(), masked already; a path can hold a number too (13912345678.md)
            "errors": [{"path": redact(e.path), "line": e.line, "text": e.text} for e in self.errors],
        }


@dataclass(frozen=True)
class Batch:
    """Changes collected during one quiet period, taken by the build thread at once."""

    paths: tuple[str, ...]  # site-relative, sorted
    rescan: str | None  # why every watch must be renewed (events were lost), else None


@dataclass(frozen=True)
class Root:
    """A watched folder and how its paths are shown in the terminal."""

    label: str  # "content", "themes", "site.toml" prefix, or an absolute path
    path: str  # resolved, no trailing separator
    recursive: bool


@dataclass(frozen=True)
class Resolved:
    """Where a request path leads inside the output folder."""

    status: int  # 200, 301, 400 or 404
    file: Path | None = None
    location: str | None = None


# -- changes and status, shared between threads ---------------------------


class Changes:
    """The set of changed paths, filled by the observer thread, emptied by the build thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._paths: set[str] = set()
        self._rescan: str | None = None
        self._last = 0.0
        self._closed = False
        # Set by any change (or close) since the last batch was taken: the search update after
        # a build gives way to the next build (Builder.update_search's stop).
        self.arrived = threading.Event()

    def add(self, path: str) -> None:
        with self._cond:
            self._paths.add(path)
            self._last = time.monotonic()
            self.arrived.set()
            self._cond.notify_all()

    def rescan(self, reason: str) -> None:
        """Events were lost: the next build must not trust the watches."""
        with self._cond:
            self._rescan = self._rescan or reason
            self._last = time.monotonic()
            self.arrived.set()
            self._cond.notify_all()

    @property
    def pending(self) -> bool:
        with self._cond:
            return bool(self._paths) or self._rescan is not None

    def wait_batch(self, quiet: float) -> Batch | None:
        """Block until something changed and then ``quiet`` seconds passed with no event.

        Debouncing is what turns a `git checkout` of hundreds of files, or an
        editor's write-rename-chmod, into one rebuild. None means closed.
        """
        with self._cond:
            while not self._closed and not self._paths and self._rescan is None:
                self._cond.wait()
            while not self._closed:
                remaining = self._last + quiet - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._closed:
                return None
            batch = Batch(tuple(sorted(self._paths)), self._rescan)
            self._paths.clear()
            self._rescan = None
            self.arrived.clear()
            return batch

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self.arrived.set()  # a search update in progress stops: the preview is ending
            self._cond.notify_all()


class Hub:
    """The current `Status`; server-sent-event threads wait here for the next one."""

    def __init__(self, status: Status) -> None:
        self._cond = threading.Condition()
        self._status = status
        self._closed = False

    @property
    def status(self) -> Status:
        with self._cond:
            return self._status

    @property
    def closed(self) -> bool:
        with self._cond:
            return self._closed

    def publish(self, status: Status) -> None:
        with self._cond:
            self._status = status
            self._cond.notify_all()

    def wait_change(self, seen: Status, timeout: float) -> Status | None:
        """The next status after ``seen`` (or ``seen`` again on timeout); None once closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._status is not seen, timeout)
            return None if self._closed else self._status

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


# -- watching -------------------------------------------------------------


class _Watcher(FileSystemEventHandler):
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
            if not root.recursive:
                # the site folder itself: only site.toml and the watched folders matter
                if len(parts) != 1 or parts[0] not in (CONFIG_FILE, CONTENT, THEMES):
                    return None
            if any(ignored_name(p) for p in parts):
                return None  # editor temp files, swap files, hidden files
            return "/".join([root.label, *parts]) if root.label != "." else "/".join(parts)
        return None


class _LostEvents(logging.Handler):
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


# -- the preview server ---------------------------------------------------


def default_out(site: Path) -> Path:
    return site / SERVE_DIR


def check_out_dir(site: Path, out: Path) -> None:
    """Refuse output folders that would overwrite the site or feed back into the build (the same rule as ``build``)."""
    why = output_folder_problem(site, out, f"请换一个位置，例如不写 --out（默认 {default_out(site.resolve())}）。")
    if why is not None:
        raise ServeError(why)


class PreviewServer:
    """Watch, rebuild with one warm builder, and serve the output over HTTP.

    `start()` binds the port (OSError when it is taken), runs the first build and
    starts the threads; `close()` stops them all and joins them. Usable as a
    context manager; tests run it in-process on port 0.
    """

    def __init__(
        self,
        site: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        drafts: bool = False,
        out: Path | None = None,
        log: Log | None = None,
        quiet: float = QUIET_SECONDS,
    ) -> None:
        self.site = site.resolve()
        self.out = (out if out is not None else default_out(self.site)).resolve()
        check_out_dir(self.site, self.out)
        self.host = host
        self.port = port
        self.quiet = quiet
        self.log: Log = log or _Printer()
        # The search index is brought up to date after the reload is sent, so a
        # save reloads the page without waiting for Pagefind.
        self.builder = Builder(BuildOptions(self.site, self.out, drafts=drafts, as_of=None, defer_search=True, defer_save=True))
        self.changes = Changes()
        self.hub = Hub(Status(secrets.token_hex(6), epoch=0, version=0, ok=False))
        self.base_path = "/"
        self._watcher = _Watcher(self.site, self.out, self.changes)
        self._watches: dict[str, tuple[ObservedWatch, tuple[str, int, int]]] = {}
        self._observer: BaseObserver | None = None
        self._lost = _LostEvents(self.changes)
        self._httpd: _HTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._warnings: tuple[str, ...] = ()
        self._started = False

    # -- lifecycle --------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
        if ":" in str(shown):
            shown = f"[{shown}]"
        return f"http://{shown}:{port}/"

    def start(self) -> None:
        self._httpd = _HTTPServer(self.host, self.port, self)
        self._started = True
        logging.getLogger("watchdog.observers").addHandler(self._lost)
        self._observer = Observer()
        self._observer.start()
        # Watch before the first build, so an edit made while it runs is not lost;
        # after starting the observer, so a watch that cannot be set is reported, not fatal.
        self._ensure_watches(renew=False)
        self.log(f"正在生成 {self.site} …")
        self._rebuild(Batch((), None), first=True)
        self._threads = [
            # daemon only so that a second Ctrl-C can abandon them; close() joins both
            threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="liangshai-http", daemon=True),
            threading.Thread(target=self._build_loop, name="liangshai-build", daemon=True),
        ]
        for t in self._threads:
            t.start()

    def close(self) -> None:
        """End event streams and builds, stop watching, stop HTTP, then join every thread.

        Everything that only signals comes first, so that a second Ctrl-C during
        one of the joins below still leaves no thread that would keep the
        process alive.
        """
        if not self._started:
            return
        self._started = False
        self.changes.close()  # the build thread ends after its current build
        self.hub.close()  # wakes every event-stream thread so it can return
        logging.getLogger("watchdog.observers").removeHandler(self._lost)
        if self._observer is not None:
            self._observer.stop()
            if self._observer.is_alive():
                self._observer.join()
        if self._httpd is not None:
            if any(t.name == "liangshai-http" and t.is_alive() for t in self._threads):
                self._httpd.shutdown()
            self._httpd.server_close()  # joins the request threads (daemon_threads is off)
        for t in self._threads:
            if t.name == "liangshai-build" and t.is_alive() and t is not threading.current_thread():
                t.join(0.5)
                if t.is_alive():
                    self.log("正在等待当前这次生成结束……（再按一次 Ctrl-C 强制退出）")
                    t.join()
            elif t.is_alive():
                t.join()
        self._save_state()  # normally saved after each build already

    def __enter__(self) -> PreviewServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- watches ----------------------------------------------------------

    def _ensure_watches(self, *, renew: bool) -> None:
        """(Re)schedule the watches; called by the build thread before each build.

        A folder that appeared (themes/ created after start), was replaced (a
        checkout that recreates content/) or whose watch died gets a fresh watch.
        The build that follows rescans everything anyway, so nothing that changed
        while a watch was missing is lost.
        """
        assert self._observer is not None
        wanted: list[tuple[str, Path, bool]] = [(".", self.site, False)]
        for name in (CONTENT, THEMES):
            if (self.site / name).is_dir():
                wanted.append((name, self.site / name, True))
        bundled = BUNDLED_THEMES.resolve()
        site_themes = (self.site / THEMES).resolve()
        if bundled.is_dir() and bundled != site_themes and site_themes not in bundled.parents:
            wanted.append((str(bundled), bundled, True))  # editing the shipped theme also reloads

        roots: list[Root] = []
        alive = {e.watch for e in self._observer.emitters if e.is_alive()} if self._observer.is_alive() else None
        for label, path, recursive in wanted:
            real = path.resolve()
            try:
                st = real.stat()
            except OSError:
                continue
            key = (str(real), st.st_dev, st.st_ino)
            old = self._watches.get(label)
            healthy = old is not None and old[1] == key and (alive is None or old[0] in alive)
            if old is not None and (renew or not healthy):
                try:
                    self._observer.unschedule(old[0])
                except (KeyError, OSError):
                    pass
                del self._watches[label]
                old = None
            if old is None:
                try:
                    watch = self._observer.schedule(self._watcher, str(real), recursive=recursive, event_filter=WATCHED_EVENTS)
                except OSError as exc:
                    if exc.errno in (errno.ENOSPC, errno.EMFILE):
                        why = "系统允许的监视数量已用完（可调大 fs.inotify.max_user_watches 或 max_user_instances）"
                    else:
                        why = exc.strerror or str(exc)
                    self.log(f"无法监视 {real}：{why}。这个文件夹的修改不会自动刷新，需要重新启动预览。", error=True)
                    continue
                self._watches[label] = (watch, key)
            roots.append(Root(label, str(real), recursive))
        for label in [k for k in self._watches if k not in {w[0] for w in wanted}]:
            try:
                self._observer.unschedule(self._watches.pop(label)[0])
            except (KeyError, OSError):
                pass
        # most specific root first (bundled themes may live below the site folder)
        self._watcher.roots = tuple(sorted(roots, key=lambda r: len(r.path), reverse=True))

    # -- building ---------------------------------------------------------

    def _build_loop(self) -> None:
        while (batch := self.changes.wait_batch(self.quiet)) is not None:
            self._rebuild(batch)

    def _rebuild(self, batch: Batch, *, first: bool = False) -> None:
        before = self.hub.status
        self.hub.publish(replace(before, building=True))
        if not first:
            self.log(_describe_batch(batch))
            try:
                self._ensure_watches(renew=batch.rescan is not None)
            except Exception as exc:  # keep previewing: the build below still rescans everything
                self.log(f"{_now()} 重新建立文件监视时出错：{exc}", error=True)
        try:
            result = self.builder.build()
        except Exception as exc:  # a bug or an OS error must not end the preview
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.log(f"{_now()} 生成时发生内部错误：{detail}\n{traceback.format_exc()}", error=True)
            status = Status(before.server, before.epoch + 1, before.version, False, False, (ErrorLine("", 0, f"内部错误：{detail}"),))
            self.hub.publish(status)
            return
        changed = bool(result.written or result.deleted)
        version = before.version + 1 if result.ok and (changed or first) else before.version
        errors = tuple(ErrorLine(p.path, p.line, p.format()) for p in result.errors)
        self.hub.publish(Status(before.server, before.epoch + 1, version, result.ok, False, errors))
        model = getattr(result, "model", None)
        if model is not None:
            self.base_path = model.config.base_path
        self._report(result, first=first)
        # After the reload is sent, each giving way to a change that came in meanwhile: the
        # search index (it stops), then the state for the next process (the next build here
        # starts from it in memory).
        if result.ok:
            try:
                for p in self.builder.update_search(stop=self.changes.arrived):
                    self.log(p.format(), error=p.is_error)
            except Exception as exc:  # the preview itself is fine; only search is behind
                self.log(f"{_now()} 更新搜索索引时出错：{exc}", error=True)
        if not self.changes.arrived.is_set():
            self._save_state()

    def _save_state(self) -> None:
        """Save the last build's state (`Builder.save_deferred`); a failure only costs the next process a full build."""
        try:
            self.builder.save_deferred()
        except Exception as exc:
            self.log(f"{_now()} 保存生成状态时出错：{exc}。预览不受影响；下次运行 liangshai build 或重新启动预览时会重新生成全部页面。", error=True)

    def _report(self, result: BuildResult, *, first: bool) -> None:
        warnings = tuple(p.format() for p in result.problems if not p.is_error)
        if warnings != self._warnings:
            for w in warnings:
                self.log(w)
            self._warnings = warnings
        stamp = "" if first else f"{_now()} "
        if result.ok:
            verb = "已生成" if first else "已重新生成"
            self.log(
                f"{stamp}{verb}：共 {result.outputs} 个文件，渲染 {len(result.rendered)} 页，写入 {len(result.written)} 个，"
                f"删除 {len(result.deleted)} 个，用时 {result.seconds:.2f} 秒。"
            )
        else:
            for p in result.errors:
                self.log(p.format(), error=True)
            self.log(
                f"{stamp}生成失败：{len(result.errors)} 个错误（见上）。浏览器里继续显示上次成功生成的网站，并提示这些错误；改正后保存即可。",
                error=True,
            )

    # -- serving ----------------------------------------------------------

    def script_tag(self) -> bytes:
        """The tag added to HTML responses; read before the file so a page is never older than its version."""
        s = self.hub.status
        return f'<script src="{SCRIPT_URL}" data-liangshai-server="{s.server}" data-liangshai-version="{s.version}" defer></script>'.encode()

    def status_json(self) -> bytes:
        return json.dumps(self.hub.status.payload(pending=self.changes.pending), ensure_ascii=False).encode("utf-8")


def _now() -> str:
    return time.strftime("[%H:%M:%S]")


def _describe_batch(batch: Batch, shown: int = 5) -> str:
    parts: list[str] = []
    if batch.paths:
        names = redact("、".join(batch.paths[:shown]))  # a file name can hold a number (13912345678.md)
        more = f" 等 {len(batch.paths)} 个文件" if len(batch.paths) > shown else ""
        parts.append(f"{_now()} 检测到修改：{names}{more}")
    if batch.rescan:
        parts.append(f"{_now()} 全部重新扫描：{batch.rescan}")
    return "\n".join(parts) or f"{_now()} 重新生成"


# -- HTTP -----------------------------------------------------------------

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def content_type(name: str) -> str:
    """A fixed table first, so the answer does not depend on the machine's mime.types."""
    suffix = os.path.splitext(name)[1].lower()
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    if guessed is None:
        return "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def is_html(name: str) -> bool:
    return name.lower().endswith((".html", ".htm"))


def inject(page: bytes, tag: bytes) -> bytes:
    """Insert ``tag`` before the last ``</body>`` (else ``</html>``, else at the end); nothing else changes."""
    lower = page.lower()
    for marker in (b"</body>", b"</html>"):
        at = lower.rfind(marker)
        if at >= 0:
            return page[:at] + tag + page[at:]
    return page + tag


def resolve_request(out: Path, raw_path: str, base_path: str = "/") -> Resolved:
    """Map a request path to a file inside ``out`` (already resolved), refusing everything else.

    A path that is not found is tried again without ``base_path`` (the path of
    the site's base_url), so the site's own absolute links, such as those on the
    404 page, also work in the preview.
    """
    try:
        path = unquote(raw_path, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return Resolved(HTTPStatus.BAD_REQUEST)
    if "\x00" in path or "\\" in path or not path.startswith("/"):
        return Resolved(HTTPStatus.BAD_REQUEST)
    found = _resolve(out, path, path)
    if found.status == HTTPStatus.NOT_FOUND and base_path != "/" and (path + "/").startswith(base_path):
        found = _resolve(out, "/" + path[len(base_path) :], path)
    return found


def _resolve(out: Path, path: str, requested: str) -> Resolved:
    segments = [s for s in path.split("/") if s]
    if any(s in (".", "..") for s in segments):
        return Resolved(HTTPStatus.BAD_REQUEST)
    if any(s.startswith(".") for s in segments):
        return Resolved(HTTPStatus.NOT_FOUND)  # build state, staging folder, dotfiles
    try:
        real = out.joinpath(*segments).resolve(strict=True)
    except (OSError, RuntimeError):
        return Resolved(HTTPStatus.NOT_FOUND)
    if not _inside(out, real):
        return Resolved(HTTPStatus.NOT_FOUND)  # a symlink that leads out of the output
    if real.is_dir():
        if not requested.endswith("/"):
            # the pages' relative links only work from the folder's URL
            return Resolved(HTTPStatus.MOVED_PERMANENTLY, location=quote(requested + "/"))
        try:
            real = (real / "index.html").resolve(strict=True)
        except (OSError, RuntimeError):
            return Resolved(HTTPStatus.NOT_FOUND)
        if not _inside(out, real):
            return Resolved(HTTPStatus.NOT_FOUND)
    if not real.is_file():
        return Resolved(HTTPStatus.NOT_FOUND)  # sockets, fifos, devices
    return Resolved(HTTPStatus.OK, file=real)


def _inside(out: Path, real: Path) -> bool:
    if real == out:
        return True
    if out not in real.parents:
        return False
    return not any(part.startswith(".") for part in real.relative_to(out).parts)


_FALLBACK_404 = (
    "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>页面不存在</title></head>"
    "<body><h1>页面不存在</h1><p>输出文件夹里没有这个页面（也还没有 404.html）。</p></body></html>\n"
).encode()


HOST_REFUSED = (
    "预览服务器拒绝了这个请求：请求中的主机名“{host}”不是预览服务器的地址。"
    "请用终端里显示的地址访问，例如 http://127.0.0.1:{port}/ 或 http://localhost:{port}/。"
    "（这样可以防止其他网站借助 DNS 重绑定读取预览内容。）\n"
)


def host_allowed(header: str | None, bound: str, port: int) -> bool:
    """Whether a request's ``Host`` header names this server (the DNS-rebinding check).

    A page on another site can make a browser send requests here under that
    site's own name (DNS rebinding) and read the answers — drafts, and the
    status with its messages. Such a request carries the other site's name in
    ``Host``. Accepted: ``localhost`` and the address the server is bound to,
    with the port it listens on; when bound to every address (0.0.0.0, ::),
    any IP address literal, since a name is what rebinding needs and an
    address literal cannot be rebound. A name given with ``--host`` is
    accepted too. The port, when given, must be ours.
    """
    if not header:
        return False
    h = header.strip().lower()
    if h.startswith("["):
        end = h.find("]")
        if end < 0:
            return False
        name, rest = h[1:end], h[end + 1 :]
    else:
        name, sep, tail = h.partition(":")
        rest = sep + tail
    # Without a port the name still decides (HTTP/1.0 clients and tools leave it
    # out); a different port is another server's name, refused.
    if rest not in ("", f":{port}"):
        return False
    bound = bound.lower().strip("[]")
    if name == "localhost" or name == bound:
        return True
    try:
        addr = ipaddress.ip_address(name)
    except ValueError:
        return False
    if bound in ("", "0.0.0.0", "::"):
        return True
    if bound == "localhost":
        return addr.is_loopback
    try:
        return addr == ipaddress.ip_address(bound)
    except ValueError:
        return False


class _HTTPServer(ThreadingHTTPServer):
    # Request threads are joined on close (clean Ctrl-C); event streams end when the hub closes.
    daemon_threads = False
    block_on_close = True

    def __init__(self, host: str, port: int, preview: PreviewServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.preview = preview
        super().__init__((host, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "liangshai-preview"
    sys_version = ""
    # HTTP/1.0: one request per connection, so no idle keep-alive thread delays shutdown.
    protocol_version = "HTTP/1.0"
    timeout = 30

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal shows rebuilds; a line per request would drown them

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _respond(self, *, head: bool) -> None:
        preview = self.server.preview
        path = urlsplit(self.path).path
        try:
            host = self.headers.get("Host")
            if not host_allowed(host, preview.host, self.server.server_address[1]):
                text = HOST_REFUSED.format(host=(host or "（无）")[:80], port=self.server.server_address[1])
                self._send_bytes(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", text.encode("utf-8"), head)
                return
            if path == EVENTS_URL:
                self._events(head)
            elif path == STATUS_URL:
                self._send_bytes(HTTPStatus.OK, "application/json; charset=utf-8", preview.status_json(), head)
            elif path == SCRIPT_URL:
                self._send_bytes(HTTPStatus.OK, "text/javascript; charset=utf-8", RELOAD_JS.encode("utf-8"), head)
            elif path.startswith(PREFIX):
                self._not_found(head)
            else:
                self._serve_file(path, head)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            pass  # the browser went away (navigated, reloaded): nothing to report

    def _serve_file(self, path: str, head: bool) -> None:
        preview = self.server.preview
        found = resolve_request(preview.out, path, preview.base_path)
        if found.status == HTTPStatus.MOVED_PERMANENTLY:
            query = urlsplit(self.path).query
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", found.location + (f"?{query}" if query else ""))  # type: ignore[operator]
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif found.status == HTTPStatus.BAD_REQUEST:
            self._send_bytes(HTTPStatus.BAD_REQUEST, "text/plain; charset=utf-8", "请求的路径不合法。\n".encode(), head)
        elif found.file is None:
            self._not_found(head)
        else:
            self._send_file(HTTPStatus.OK, found.file, head)

    def _not_found(self, head: bool) -> None:
        preview = self.server.preview
        page = resolve_request(preview.out, "/404.html")
        if page.file is not None:
            self._send_file(HTTPStatus.NOT_FOUND, page.file, head)
        else:
            self._send_bytes(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", inject(_FALLBACK_404, preview.script_tag()), head)

    def _send_file(self, status: int, file: Path, head: bool) -> None:
        ctype = content_type(file.name)
        if is_html(file.name):
            tag = self.server.preview.script_tag()  # before reading: see script_tag()
            try:
                data = file.read_bytes()
            except OSError:  # deleted by a rebuild between resolving and reading
                data = None
            if data is not None:
                self._send_bytes(status, ctype, inject(data, tag), head)
            elif status != HTTPStatus.NOT_FOUND:
                self._not_found(head)
            else:
                self._send_bytes(status, ctype, inject(_FALLBACK_404, tag), head)
            return
        try:
            f = file.open("rb")  # the builder replaces files atomically: this fd keeps one version
        except OSError:
            self._not_found(head)
            return
        with f:
            size = os.fstat(f.fileno()).st_size
            self._headers(status, ctype, size)
            if not head:
                shutil.copyfileobj(f, self.wfile, 1 << 16)

    def _send_bytes(self, status: int, ctype: str, data: bytes, head: bool) -> None:
        self._headers(status, ctype, len(data))
        if not head:
            self.wfile.write(data)

    def _headers(self, status: int, ctype: str, length: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")  # a reload must show the new build
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()

    def _events(self, head: bool) -> None:
        """Server-sent events: the current status at once, then one message per change."""
        preview = self.server.preview
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Accel-Buffering", "no")
        self.end_headers()
        if head:
            return
        self.wfile.write(f"retry: {RECONNECT_MS}\n\n".encode())
        status = preview.hub.status
        self._event(status)
        while True:
            following = preview.hub.wait_change(status, HEARTBEAT_SECONDS)
            if following is None:
                return  # server closing
            if following is status:
                self.wfile.write(b": ping\n\n")
            else:
                status = following
                self._event(status)

    def _event(self, status: Status) -> None:
        data = json.dumps(status.payload(pending=self.server.preview.changes.pending), ensure_ascii=False)
        self.wfile.write(f"data: {data}\n\n".encode())


# The injected script. Served from a URL, not inline, so a strict
# Content-Security-Policy (script-src 'self') still lets it run; it builds the
# overlay with DOM calls and CSSOM styles (allowed under style-src 'self') and
# textContent (never innerHTML: messages contain author text).
RELOAD_JS = r"""// liangshai 预览：保存即重新生成并刷新。此脚本只由预览服务器注入，不会写入生成结果。
(function () {
  "use strict";
  var me = document.currentScript || document.querySelector("script[data-liangshai-version]");
  var server = me ? me.getAttribute("data-liangshai-server") : "";
  var version = me ? Number(me.getAttribute("data-liangshai-version")) : 0;
  var BOX = "liangshai-overlay";
  var shown = null;
  var dismissed = null;
  var reloading = false;

  function hide() {
    var el = document.getElementById(BOX);
    if (el) el.parentNode.removeChild(el);
    shown = null;
  }

  function el(tag, css, text) {
    var node = document.createElement(tag);
    if (css) node.style.cssText = css;
    if (text) node.textContent = text;
    return node;
  }

  function show(errors) {
    var key = JSON.stringify(errors);
    if (key === shown || key === dismissed) return;
    hide();
    var box = el("div", "position:fixed;left:0;right:0;top:0;max-height:80vh;overflow:auto;z-index:2147483647;" +
      "background:#3b0a0a;color:#fff;font:15px/1.6 system-ui,'PingFang SC','Microsoft YaHei',sans-serif;" +
      "padding:1em 1.5em;box-shadow:0 4px 16px rgba(0,0,0,.5);text-align:left");
    box.id = BOX;
    box.setAttribute("role", "alert");
    box.appendChild(el("strong", "font-size:1.15em;display:block", "生成失败：" + errors.length + " 个错误"));
    box.appendChild(el("p", "margin:.3em 0 .6em", "页面显示的是上次成功生成的内容。改正下面的错误并保存，页面会自动刷新。"));
    var list = el("ol", "margin:0;padding-left:1.5em");
    errors.forEach(function (e) {
      list.appendChild(el("li", "font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;margin:.3em 0", e.text));
    });
    box.appendChild(list);
    var close = el("button", "margin-top:.6em;font:inherit;padding:.2em 1em;cursor:pointer", "关闭");
    close.type = "button";
    close.addEventListener("click", function () { dismissed = key; hide(); });
    box.appendChild(close);
    (document.body || document.documentElement).appendChild(box);
    shown = key;
  }

  function apply(s) {
    if (reloading || !s) return;
    if (s.server !== server || s.version > version) {
      reloading = true;
      location.reload();
      return;
    }
    if (s.ok) { hide(); dismissed = null; } else { show(s.errors); }
  }

  // A browser keeps only ~6 HTTP/1.1 connections per host: a hidden tab gives its
  // event stream back, and on becoming visible again asks for the status (the
  // first message of a new stream) and reloads if it missed a build.
  var source = null;
  function connect() {
    if (source || !window.EventSource) return;
    source = new EventSource("/__liangshai/events");
    source.onmessage = function (e) { apply(JSON.parse(e.data)); };
  }
  function disconnect() {
    if (source) { source.close(); source = null; }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") disconnect(); else connect();
  });
  window.addEventListener("pagehide", disconnect);
  window.addEventListener("pageshow", function () { if (document.visibilityState !== "hidden") connect(); });

  if (window.fetch) {
    fetch("/__liangshai/status", { cache: "no-store" }).then(function (r) { return r.json(); }).then(apply, function () {});
  }
  if (document.visibilityState !== "hidden") connect();
})();
"""


# -- terminal entry -------------------------------------------------------


class _Printer:
    """Terminal output shared by the build thread and the main thread (one line at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, message: str, *, error: bool = False) -> None:
        stream = sys.stderr if error else sys.stdout
        with self._lock:
            print(message, file=stream, flush=True)


def _bind_message(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"liangshai serve: 端口 {port} 已被占用（可能已经有一个预览在运行）。请换一个端口，例如：liangshai serve --port {port + 1}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"liangshai serve: 没有权限使用端口 {port}（1024 以下的端口需要管理员权限）。请换一个端口，例如：liangshai serve --port 8000"
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return f"liangshai serve: 无法使用地址 {host}：这台电脑没有这个地址。通常不需要写 --host（默认 127.0.0.1，只有本机能访问）。"
    return f"liangshai serve: 无法在 {host}:{port} 启动预览服务器：{exc.strerror or exc}。"


def run_serve(site: Path, *, host: str = "127.0.0.1", port: int = 8000, drafts: bool = False, open_browser: bool = False, out: Path | None = None) -> int:
    """``liangshai serve``: returns 0 after Ctrl-C / SIGTERM, 2 when it cannot start."""
    printer = _Printer()
    try:
        server = PreviewServer(site, host=host, port=port, drafts=drafts, out=out, log=printer)
    except ServeError as exc:
        printer(f"liangshai serve: {exc}", error=True)
        return EXIT_USAGE
    previous = _on_sigterm()
    try:
        try:
            server.start()
        except OSError as exc:
            printer(_bind_message(exc, host, port), error=True)
            server.close()
            return EXIT_USAGE
        printer(f"预览地址：{server.url}（按 Ctrl-C 停止）")
        printer(f"预览输出在 {server.out}（只供预览，不要发布这个文件夹）。正在监视 content/、themes/ 和 site.toml 的修改。")
        if host not in ("127.0.0.1", "localhost", "::1"):
            printer(f"注意：预览服务器绑定在 {host}，同一网络中的其他电脑也能访问（包括草稿）。", error=True)
        if open_browser:
            import webbrowser

            if not webbrowser.open(server.url):
                printer(f"无法自动打开浏览器，请手动访问 {server.url}")
        # Short sleeps: the kernel may deliver Ctrl-C's SIGINT to any thread, and
        # then only a main thread that wakes up on its own notices it.
        while True:
            time.sleep(0.2)
    except KeyboardInterrupt:
        printer("正在停止预览……")
    finally:
        _restore_sigterm(previous)
    try:
        server.close()
    except KeyboardInterrupt:
        printer("已强制退出：最后一次生成可能没有完成，下次启动会重新生成。", error=True)
        return EXIT_FORCED
    printer("预览已停止。")
    return EXIT_OK


def _on_sigterm() -> object:
    """SIGTERM (a terminal closed, a process manager) stops the preview like Ctrl-C.

    Only in this process: the builder forks worker processes, which inherit the
    handler, and multiprocessing ends its workers with SIGTERM. A worker must
    die at once as usual, not start a Python-level shutdown (that can block on a
    lock the pool held at fork time, and the rebuild then waits forever).
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    owner = os.getpid()

    def handler(signum: int, frame: object) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


def _restore_sigterm(previous: object) -> None:
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


__all__ = ["EVENTS_URL", "SCRIPT_URL", "SERVE_DIR", "STATUS_URL", "PreviewServer", "Status", "content_type", "inject", "resolve_request", "run_serve"]
