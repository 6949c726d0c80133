"""Entry (serve): the HTTP side — files from the output folder, the status, events and reload script.

Stage: entry. `PreviewHTTPServer` answers every request on its own thread
(`Handler`); what it serves comes from a `Preview` (the running
`server.PreviewServer`):

- files from the output folder, with the reload ``<script>`` tag added to HTML
  on the way out (`inject`); nothing outside the folder (no ``..``, no symlinks
  leading out, no hidden files: `resolve_request`);
- ``/__liangshai/events``: server-sent events, one `status.Status` per build;
- ``/__liangshai/status``: the same JSON, for page load and tests;
- ``/__liangshai/reload.js``: the injected script, the package file
  ``generator/serve/reload.js`` (reload, error overlay).

Every request is first checked against DNS rebinding (`host_allowed`).
"""

from __future__ import annotations

import ipaddress
import json
import mimetypes
import os
import shutil
import socket
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, unquote, urlsplit

from generator.serve.cms_backend import ADMIN, API_PATH, MAX_BODY, LocalEditor
from generator.serve.status import Changes, Hub, Status

HEARTBEAT_SECONDS = 15.0  # SSE comment so dead connections are noticed and closed
RECONNECT_MS = 1000  # how soon a browser's EventSource retries after a restart

PREFIX = "/__liangshai/"
EVENTS_URL = PREFIX + "events"
STATUS_URL = PREFIX + "status"
SCRIPT_URL = PREFIX + "reload.js"

# The injected script, a file of this package (package data). Served from a URL,
# not inline, so a strict Content-Security-Policy (script-src 'self') still lets
# it run; it builds the overlay with DOM calls and CSSOM styles (allowed under
# style-src 'self') and textContent (never innerHTML: messages contain author
# text). Read once at import: a wheel without it fails at once, not per request.
RELOAD_JS: bytes = resources.files("generator.serve").joinpath("reload.js").read_bytes()


class Preview(Protocol):
    """What the request handler needs from the running preview (`server.PreviewServer`)."""

    host: str  # as bound (--host): the DNS-rebinding check accepts it
    out: Path  # the output folder, resolved
    hub: Hub
    changes: Changes

    @property
    def base_path(self) -> str: ...  # the path of the site's base_url, "/" by default

    def script_tag(self) -> bytes: ...

    @property
    def editor(self) -> LocalEditor | None: ...  # serve --cms: /admin/ and the local-backend API

    def status_json(self) -> bytes: ...


@dataclass(frozen=True)
class Resolved:
    """Where a request path leads inside the output folder."""

    status: int  # 200, 301, 400 or 404
    file: Path | None = None
    location: str | None = None


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
    '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>页面不存在</title></head>'
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


def _length(header: str | None) -> int:
    """A request's Content-Length; -1 when missing or not a number."""
    try:
        return int(header or "-1")
    except ValueError:
        return -1


class PreviewHTTPServer(ThreadingHTTPServer):
    """Binds at construction (OSError when the port is taken); `serve_forever` on a thread of its own."""

    # Request threads are joined on close (clean Ctrl-C); event streams end when the hub closes.
    daemon_threads = False
    block_on_close = True

    def __init__(self, host: str, port: int, preview: Preview) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.preview = preview
        super().__init__((host, port), Handler)


class Handler(BaseHTTPRequestHandler):
    """One request: checked Host first, then a preview URL or a file of the output folder."""

    server: PreviewHTTPServer
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
                self._send_bytes(HTTPStatus.OK, "text/javascript; charset=utf-8", RELOAD_JS, head)
            elif path.startswith(PREFIX):
                self._not_found(head)
            elif preview.editor is not None and self._editor_page(preview.editor, path, host or "", head):
                pass
            else:
                self._serve_file(path, head)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            pass  # the browser went away (navigated, reloaded): nothing to report

    def _editor_page(self, editor: LocalEditor, path: str, host: str, head: bool) -> bool:
        """``/admin/…`` with ``serve --cms``: the editor's page (reload script kept from reloading it), or False."""
        base = self.server.preview.base_path
        rest = "/" + path[len(base) :] if base != "/" and path.startswith(base) else path
        if rest == f"/{ADMIN}":
            self._redirect(path + "/")
            return True
        if not rest.startswith(f"/{ADMIN}/"):
            return False
        try:
            found = editor.page(rest[len(ADMIN) + 2 :], host)
        except Exception as exc:  # site.toml being edited: say so, keep previewing
            self._send_bytes(HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", f"编辑器暂时无法打开：{exc}\n".encode(), head)
            return True
        if found is None:
            return False
        ctype, data = found
        if ctype.startswith("text/html"):
            data = inject(data, self.server.preview.script_tag().replace(b"<script ", b"<script data-liangshai-keep ", 1))
        self._send_bytes(HTTPStatus.OK, ctype, data, head)
        return True

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", quote(location))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        """The local-backend API of ``serve --cms`` (Decap's ``local_backend``); nothing else takes a POST."""
        preview = self.server.preview
        host = self.headers.get("Host")
        try:
            if not host_allowed(host, preview.host, self.server.server_address[1]):
                self._send_bytes(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", b"", False)
                return
            if preview.editor is None or urlsplit(self.path).path != API_PATH:
                self._send_bytes(HTTPStatus.NOT_FOUND, "application/json; charset=utf-8", '{"error": "没有这个接口。"}'.encode(), False)
                return
            # Only the editor's own page may write: a page of another origin would send its
            # Origin (and could not send JSON without a preflight this server never grants).
            origin = self.headers.get("Origin")
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if (origin is not None and origin != f"http://{host}") or ctype != "application/json":
                self._send_bytes(HTTPStatus.FORBIDDEN, "application/json; charset=utf-8", '{"error": "只接受编辑器页面自己的请求。"}'.encode(), False)
                return
            length = _length(self.headers.get("Content-Length"))
            if not 0 <= length <= MAX_BODY:
                self._send_bytes(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "application/json; charset=utf-8", '{"error": "请求太大或缺少长度。"}'.encode(), False)
                return
            answer = preview.editor.backend.handle(self.rfile.read(length))
            self._send_bytes(answer.status, "application/json; charset=utf-8", answer.body, False)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            pass

    def _serve_file(self, path: str, head: bool) -> None:
        preview = self.server.preview
        found = resolve_request(preview.out, path, preview.base_path)
        if found.status == HTTPStatus.MOVED_PERMANENTLY and found.location is not None:
            query = urlsplit(self.path).query
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", found.location + (f"?{query}" if query else ""))
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
