"""A real nginx for tests: deploy/nginx.conf with its placeholders filled in.

`running_nginx(webroot)` writes a minimal main configuration into its own
temporary prefix (pid, logs and temp paths all inside it), includes the site's
``deploy/nginx.conf`` with ``__WEBROOT__``, ``__LISTEN__`` and
``__SERVER_NAME__`` substituted, starts nginx in the foreground
(``daemon off``) on a free loopback port, waits until it answers and stops it
afterwards. Nothing outside the temporary folder is touched.

When the tests run as root the workers run as an unprivileged user (as in
production), so the web root must be readable by others: `public_dir` makes a
folder under the system temp dir that is (pytest's tmp_path is 0700).
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NGINX = os.environ.get("LIANGSHAI_NGINX", "/usr/sbin/nginx")
SITE_CONF = REPO / "deploy" / "nginx.conf"
MIME_TYPES = Path("/etc/nginx/mime.types")


def require_nginx() -> None:
    if not Path(NGINX).exists():
        pytest.skip(f"需要 nginx（{NGINX} 不存在）：apt-get install nginx-light 或 nginx")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker_user() -> str:
    """`user` directive for the workers when we are root: www-data, else nobody."""
    if os.geteuid() != 0:
        return ""
    for user in ("www-data", "nobody"):
        try:
            pw = pwd.getpwnam(user)
        except KeyError:
            continue
        group = grp.getgrgid(pw.pw_gid).gr_name
        return f"user {user} {group};"
    return "user root;"


def site_conf(webroot: Path, listen: str, *, subpath: str | None = None) -> str:
    """deploy/nginx.conf with placeholders filled; ``subpath`` enables the commented example."""
    text = SITE_CONF.read_text("utf-8")
    if subpath is not None:
        # Uncomment the example block "#location /sub/ { … #}" and use ``subpath``.
        lines, inside, found = [], False, False
        for line in text.splitlines():
            if re.match(r"^\s*#location /sub/ \{", line):
                inside = found = True
            if inside:
                line = re.sub(r"^(\s*)#", r"\1", line, count=1).replace("/sub/", subpath)
                if line.strip() == "}":
                    inside = False
            lines.append(line)
        assert found, "deploy/nginx.conf 里找不到子路径示例（#location /sub/ {）"
        text = "\n".join(lines) + "\n"
    for key, value in {"__WEBROOT__": str(webroot), "__LISTEN__": listen, "__SERVER_NAME__": "localhost"}.items():
        text = text.replace(key, value)
    leftover = re.findall(r"__[A-Z_]+__", text)
    assert not leftover, f"deploy/nginx.conf 里有未替换的占位符：{leftover}"
    return text


@dataclass
class Nginx:
    port: int
    prefix: Path
    process: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def error_log(self) -> str:
        try:
            return (self.prefix / "logs" / "error.log").read_text("utf-8", "replace")
        except OSError:
            return ""

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
        """GET without following redirects; returns (status, lower-cased headers, body)."""

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):  # type: ignore[override]
                return None

        opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))
        req = urllib.request.Request(self.url(path), headers=headers or {})
        try:
            with opener.open(req, timeout=timeout) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def main_conf(prefix: Path, include: Path) -> str:
    temp = prefix / "temp"
    return f"""\
{_worker_user()}
daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    include {MIME_TYPES};
    default_type application/octet-stream;
    access_log {prefix}/logs/access.log;
    sendfile on;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {include};
}}
"""


def _wait_ready(proc: subprocess.Popen, port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def running_nginx(webroot: Path, *, subpath: str | None = None) -> Iterator[Nginx]:
    """Start nginx with deploy/nginx.conf serving ``webroot``; stop it on exit."""
    require_nginx()
    prefix = Path(tempfile.mkdtemp(prefix="liangshai-nginx-"))
    try:
        (prefix / "logs").mkdir()
        (prefix / "temp").mkdir()
        for attempt in range(5):
            port = _free_port()
            (prefix / "site.conf").write_text(site_conf(webroot, f"127.0.0.1:{port}", subpath=subpath), "utf-8")
            (prefix / "nginx.conf").write_text(main_conf(prefix, prefix / "site.conf"), "utf-8")
            test = subprocess.run([NGINX, "-t", "-q", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "logs" / "error.log")], capture_output=True, text=True)
            assert test.returncode == 0, f"nginx -t 失败：{test.stderr}\n{(prefix / 'logs' / 'error.log').read_text('utf-8', 'replace')}"
            log = (prefix / "logs" / "stderr.log").open("ab")
            proc = subprocess.Popen(
                [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "logs" / "error.log")],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            log.close()
            if _wait_ready(proc, port, time.monotonic() + 10):
                break
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            errors = (prefix / "logs" / "error.log").read_text("utf-8", "replace")
            if "Address already in use" not in errors or attempt == 4:
                raise AssertionError(f"nginx 没有启动：\n{errors}")
        server = Nginx(port, prefix, proc)
        try:
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


@contextlib.contextmanager
def public_dir(prefix: str = "liangshai-www-") -> Iterator[Path]:
    """A folder the nginx workers (www-data) can traverse; removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(folder, 0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
