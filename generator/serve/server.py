"""Entry: ``liangshai serve`` — watch, debounce, rebuild, live reload, error overlay.

Stage: entry (like cli.py it prints and picks exit codes). `run_serve` makes
ONE warm `Builder` (`preview_builder`) and hands it to the `PreviewServer`,
which calls only the builder's public methods: `Builder.preview_first` (the
pages a saved post's body or title changes, written before the build: the
builder's own planner and templates, `build.preview`), `Builder.build()` for
every rebuild, then `update_search` and `save_deferred`. There is no second
rendering path, so a served page is the built page byte for byte, apart from
the reload ``<script>`` tag added to HTML responses on the way out.

How it fits together (modules of `generator.serve`)::

    watch.Watches: watchdog observer ──events──▶ status.Changes (paths, under a lock)
                                                    │ ~100 ms of quiet
    build thread (here) ◀───────────────────────────┘  → Builder.build() → status.Hub.publish(Status)
                                                                              │
    httpd.PreviewHTTPServer: files from the output folder ◀───────────────────┤
        /__liangshai/events  (server-sent events) ◀───────────────────────────┘
        /__liangshai/status  (the same JSON, for page load and tests)
        /__liangshai/reload.js (the package file reload.js: reload, error overlay)

What this package must not do: render or write pages itself (only the builder
writes the output), write the reload script to disk, or serve anything outside
the output folder (no ``..``, no symlinks leading out, no hidden files).

Threads and processes: the builder's worker pools are its own business; the
preview relies on no particular start method (see `_on_sigterm` for the one
place a forked worker is guarded against).

Exit codes of `run_serve`: 0 when stopped with Ctrl-C or SIGTERM (stopping is
the normal way to end a preview, not a failure); 2 when the server cannot start
(port in use, bad address, output folder in a forbidden place); 130 only when
a second Ctrl-C abandons a rebuild that is still running.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from generator.build.builder import Builder, BuildOptions, BuildResult, output_folder_problem
from generator.core.exits import EXIT_FORCED, EXIT_OK, EXIT_USAGE
from generator.core.privacy import redact
from generator.serve.cms_backend import LocalEditor
from generator.serve.httpd import EVENTS_URL, SCRIPT_URL, STATUS_URL, PreviewHTTPServer, content_type, host_allowed, inject, resolve_request
from generator.serve.status import Batch, Changes, ErrorLine, Hub, Log, Status
from generator.serve.watch import Watches

# The preview's own output folder: hidden (so neither `discover` nor the watcher
# looks at it) and not build/, so a preview never overwrites a publish build.
SERVE_DIR = ".liangshai-serve"

# The addresses only this computer reaches (serve --cms is refused on any other).
LOOPBACK = ("127.0.0.1", "localhost", "::1")

QUIET_SECONDS = 0.1  # debounce: rebuild after this long without a new event

# What signal.signal returns and takes: a handler, SIG_DFL / SIG_IGN, or None (set outside Python).
_SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class ServeError(Exception):
    """The preview cannot start; the message is Chinese and meant for the terminal."""


def default_out(site: Path) -> Path:
    return site / SERVE_DIR


def check_out_dir(site: Path, out: Path) -> None:
    """Refuse output folders that would overwrite the site or feed back into the build (the same rule as ``build``)."""
    why = output_folder_problem(site, out, f"请换一个位置，例如不写 --out（默认 {default_out(site.resolve())}）。")
    if why is not None:
        raise ServeError(why)


def preview_builder(site: Path, *, drafts: bool = False, out: Path | None = None) -> Builder:
    """The builder a preview is handed: into ``out`` (default ``SITE/.liangshai-serve``).

    The search index and the saved state are brought up to date after the
    reload is sent (``defer_search``, ``defer_save``), so a save reloads the
    page without waiting for Pagefind.
    """
    site = site.resolve()
    out = (out if out is not None else default_out(site)).resolve()
    return Builder(BuildOptions(site, out, drafts=drafts, as_of=None, defer_search=True, defer_save=True))


class PreviewServer:
    """Watch, rebuild with the builder it is handed, and serve the output over HTTP.

    `start()` binds the port (OSError when it is taken), runs the first build and
    starts the threads; `close()` stops them all and joins them. Usable as a
    context manager; tests run it in-process on port 0. Raises `ServeError` when
    the builder's output folder is one a preview must not write to.
    """

    def __init__(
        self,
        builder: Builder,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        log: Log | None = None,
        quiet: float = QUIET_SECONDS,
        cms: bool = False,
    ) -> None:
        self.builder = builder
        self.site = builder.options.site_dir.resolve()
        self.out = builder.options.output
        check_out_dir(self.site, self.out)
        self.host = host
        self.port = port
        self.quiet = quiet
        self.log: Log = log or Printer()
        self.changes = Changes()
        self.hub = Hub(Status(secrets.token_hex(6), epoch=0, version=0, ok=False))
        self.base_path = "/"  # the site's, once a build has read site.toml: `httpd.resolve_request`
        self.watches = Watches(self.site, self.out, self.changes, self.log)
        self._httpd: PreviewHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._warnings: tuple[str, ...] = ()
        self._started = False
        # serve --cms: /admin/ and the local-backend API over content/ (`cms_backend`). It writes
        # files, so only this computer may reach it: never on an address the network sees.
        if cms and host not in LOOPBACK:
            raise ServeError(f"--cms 只能在本机使用（不写 --host，或 --host 127.0.0.1）：网页编辑器可以直接改写 content/ 中的文件，绑定在 {host} 时同一网络中的其他电脑也能改。")
        self.editor: LocalEditor | None = LocalEditor(self.site) if cms else None

    # -- lifecycle --------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = str(self._httpd.server_address[0]), self._httpd.server_address[1]
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
        if ":" in shown:
            shown = f"[{shown}]"
        return f"http://{shown}:{port}/"

    def start(self) -> None:
        self._httpd = PreviewHTTPServer(self.host, self.port, self)
        self._started = True
        self.watches.start()
        # Watch before the first build, so an edit made while it runs is not lost;
        # after starting the observer, so a watch that cannot be set is reported, not fatal.
        self.watches.ensure(renew=False)
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
        self.watches.stop()
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

    # -- building ---------------------------------------------------------

    def _build_loop(self) -> None:
        while (batch := self.changes.wait_batch(self.quiet)) is not None:
            self._rebuild(batch)

    def _rebuild(self, batch: Batch, *, first: bool = False) -> None:
        """One build: status "building", the build, its status and report, then search and state."""
        before = self.hub.status
        self.hub.publish(replace(before, building=True))
        first_pages: tuple[str, ...] = ()
        if not first:
            self.log(_describe_batch(batch))
            first_pages = self._render_first(batch)
            before = self.hub.status
            try:
                self.watches.ensure(renew=batch.rescan is not None)
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
        if first_pages:  # the browser reloaded for those already: again only for more than the feeds
            changed = any(not p.endswith(".xml") for p in (*result.written, *result.deleted))
        version = before.version + 1 if result.ok and (changed or first) else before.version
        errors = tuple(ErrorLine(p.path, p.line, p.format()) for p in result.errors)
        self.hub.publish(Status(before.server, before.epoch + 1, version, result.ok, False, errors))
        if result.model is not None:
            self.base_path = result.model.config.base_path
        self._report(result, first=first)
        self._after_reload(result)

    def _render_first(self, batch: Batch) -> tuple[str, ...]:
        """Saved post bodies or titles alone: the pages they change first, and the browser reloads (`Builder.preview_first`)."""
        if batch.rescan is not None:
            return ()
        try:
            pages = self.builder.preview_first(batch.paths)
        except Exception as exc:  # the build that follows is exact on its own
            self.log(f"{_now()} 先行更新页面时出错（不影响接着进行的完整生成，页面以它的结果为准）：{exc}", error=True)
            return ()
        if pages:
            more = f" 等 {len(pages)} 个页面" if len(pages) > 3 else ""
            self.log(f"{_now()} 只改了正文或标题：已先更新 {redact('、'.join(pages[:3]))}{more}，浏览器随即刷新；其余页面接着生成。")
            now = self.hub.status
            self.hub.publish(replace(now, version=now.version + 1))
        return pages

    def _after_reload(self, result: BuildResult) -> None:
        """After the reload is sent, each giving way to a change that came in meanwhile: the
        search index (it stops), then the state for the next process (the next build here
        starts from it in memory)."""
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

    # -- serving (`httpd.Preview`) ----------------------------------------

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


# -- terminal entry -------------------------------------------------------


class Printer:
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


def run_serve(site: Path, *, host: str = "127.0.0.1", port: int = 8000, drafts: bool = False, open_browser: bool = False, out: Path | None = None, cms: bool = False) -> int:
    """``liangshai serve``: returns 0 after Ctrl-C / SIGTERM, 2 when it cannot start."""
    printer = Printer()
    try:
        server = PreviewServer(preview_builder(site, drafts=drafts, out=out), host=host, port=port, log=printer, cms=cms)
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
        _announce(server, printer, open_browser=open_browser)
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


def _announce(server: PreviewServer, printer: Printer, *, open_browser: bool) -> None:
    """The lines shown once the first build is served (and the browser, with --open)."""
    printer(f"预览地址：{server.url}（按 Ctrl-C 停止）")
    if server.editor is not None:
        printer(f"在浏览器里写：{server.url}admin/（保存的文章直接写入 content/，不经过代码托管服务器）")
    printer(f"预览输出在 {server.out}（只供预览，不要发布这个文件夹）。正在监视 content/、themes/ 和 site.toml 的修改。")
    if server.host not in ("127.0.0.1", "localhost", "::1"):
        printer(f"注意：预览服务器绑定在 {server.host}，同一网络中的其他电脑也能访问（包括草稿）。", error=True)
    if open_browser:
        import webbrowser

        if not webbrowser.open(server.url):
            printer(f"无法自动打开浏览器，请手动访问 {server.url}")


def _on_sigterm() -> _SignalHandler | None:
    """SIGTERM (a terminal closed, a process manager) stops the preview like Ctrl-C.

    Only in this process. When the builder's worker pools use the fork start
    method, the workers inherit this handler, and multiprocessing ends its
    workers with SIGTERM: a worker must die at once as usual, not start a
    Python-level shutdown (that can block on a lock the pool held at fork time,
    and the rebuild then waits forever). With spawn or forkserver the workers
    never see the handler and the pid check below is simply never true; the
    preview relies on neither.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    owner = os.getpid()

    def handler(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


def _restore_sigterm(previous: _SignalHandler | None) -> None:
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)


__all__ = [
    "EVENTS_URL",
    "SCRIPT_URL",
    "SERVE_DIR",
    "STATUS_URL",
    "PreviewServer",
    "ServeError",
    "Status",
    "content_type",
    "host_allowed",
    "inject",
    "preview_builder",
    "resolve_request",
    "run_serve",
]
