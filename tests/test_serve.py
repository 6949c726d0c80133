"""Entry: ``liangshai serve`` end to end — the real server, real files, real HTTP.

Each test writes a small site into tmp_path, starts ``python -m generator serve``
in a subprocess on a free port, changes files on disk and polls over HTTP with
a deadline until the change is served. Every test ends by sending Ctrl-C
(SIGINT) and checking the server stops cleanly with exit code 0.
"""

from __future__ import annotations

import http.client
import inspect
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from conftest import REPO, UNIT_TOML, free_port, post_text, run_cli, write_site

DEADLINE = 15.0
# The same as-of date for the preview and for the clean build it is compared with.
ENV = {"SOURCE_DATE_EPOCH": "1780000000", "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
TAG_RE = re.compile(rb'<script src="/__liangshai/reload\.js" [^>]*></script>')
SECRET = "不应被读到-SECRET-7f3a"

T = TypeVar("T")


def poll(check: Callable[[], T], what: str, timeout: float = DEADLINE) -> T:
    """Call ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            last = check()
        except (OSError, http.client.HTTPException, ValueError) as exc:
            last = exc
        else:
            if last:
                return last  # type: ignore[return-value]
        if time.monotonic() > deadline:
            pytest.fail(f"{timeout:.0f} 秒内没有等到：{what}（最后一次：{last!r:.300}）")
        time.sleep(0.05)


def request(port: int, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request: the path is sent exactly as given (no normalising, no redirects)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Preview:
    """``python -m generator serve SITE --port P`` in a subprocess, with its output collected."""

    def __init__(self, site: Path, out: Path | None, *extra: str, env: dict[str, str] | None = None) -> None:
        self.site = site
        self.out = out if out is not None else site / ".liangshai-serve"
        self.port = free_port()
        args = [sys.executable, "-m", "generator", "serve", str(site), "--port", str(self.port)]
        if out is not None:
            args += ["--out", str(out)]
        self.proc = subprocess.Popen(
            [*args, *extra],
            cwd=REPO,
            env={**os.environ, **ENV, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            # As from a terminal: a test run started in the background (`pytest &` in a script)
            # has SIGINT ignored, and the server would inherit that and never see the Ctrl-C.
            preexec_fn=_default_sigint,
        )
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._readers = [threading.Thread(target=self._read, args=(s,), daemon=True) for s in (self.proc.stdout, self.proc.stderr)]
        for t in self._readers:
            t.start()

    def _read(self, stream) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            with self._lock:
                self._lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        with self._lock:
            return "\n".join(self._lines)

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                pytest.fail(f"预览服务器意外退出（{self.proc.returncode}）：\n{self.output}")
            return "预览地址" in self.output and self.status()["epoch"] >= 1

        poll(ready, "预览服务器启动")

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        return request(self.port, path)

    def text(self, path: str) -> str:
        status, _, body = self.get(path)
        return body.decode("utf-8") if status == 200 else ""

    def status(self) -> dict:
        return json.loads(self.get("/__liangshai/status")[2])

    def wait_served(self, path: str, text: str, timeout: float = DEADLINE) -> str:
        return poll(lambda: (page := self.text(path)) and text in page and page, f"{path} 显示“{text}”", timeout)

    def settle(self, timeout: float = DEADLINE, quiet: float = 1.0) -> dict:
        """Wait until no build is running or pending and the epoch held still for ``quiet`` seconds."""
        seen: dict = {"epoch": -1, "since": 0.0}

        def settled() -> dict | None:
            s = self.status()
            now = time.monotonic()
            if s["building"] or s["pending"] or s["epoch"] != seen["epoch"]:
                seen.update(epoch=s["epoch"], since=now)
                return None
            return s if now - seen["since"] >= quiet else None

        return poll(settled, "重新生成结束并保持稳定", timeout)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"Ctrl-C 后 {DEADLINE:.0f} 秒内没有退出：\n{self.output}")
        for t in self._readers:
            t.join(5)
        return self.proc.returncode


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Preview]]:
    started: list[Preview] = []

    def start(site: Path, *extra: str, out: Path | str | None = "tmp", env: dict[str, str] | None = None) -> Preview:
        p = Preview(site, tmp_path / f"out{len(started)}" if out == "tmp" else out, *extra, env=env)  # type: ignore[arg-type]
        started.append(p)
        p.wait_ready()
        return p

    yield start
    for p in started:
        was_running = p.proc.poll() is None
        rc = p.stop()
        if was_running:
            # Ctrl-C is the normal way to end a preview: exit 0, threads stopped, no traceback.
            assert rc == 0, p.output
            assert "预览已停止" in p.output
            assert "Traceback" not in p.output, p.output


def basic_site(root: Path, **files: str) -> Path:
    return write_site(
        root,
        {
            "content/jx/a.md": post_text(title="甲篇会议纪要", body="原来的正文。"),
            "content/jx/b.md": post_text(title="乙篇会议纪要", date="2026-03-06", body="乙篇的正文。"),
            **files,
        },
        config=f'# {SECRET}\n[site]\ntitle = "机械学院晾晒预览"\n',
    )


POST = "/jx/a/index.html"


# -- serving exactly the build output ---------------------------------------


def test_served_page_is_the_built_file_plus_only_the_script_tag(tmp_path: Path, serve) -> None:
    site = basic_site(tmp_path / "site")
    p = serve(site)
    status, headers, body = p.get(POST)
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    built = (p.out / "jx/a/index.html").read_bytes()
    assert len(TAG_RE.findall(body)) == 1
    assert body != built
    assert TAG_RE.sub(b"", body) == built
    assert body.index(TAG_RE.search(body).group(0)) == built.lower().rindex(b"</body>")  # type: ignore[union-attr]

    # the script lives only in responses, never in the output folder
    for f in p.out.rglob("*"):
        if f.is_file():
            assert b"__liangshai" not in f.read_bytes(), f

    # other files are the built bytes, with their own content type
    css = next((p.out / "assets").glob("style.*.css"))
    status, headers, body = p.get(f"/assets/{css.name}")
    assert (status, headers["content-type"], body) == (200, "text/css; charset=utf-8", css.read_bytes())

    # "/" is index.html; HEAD has the same headers and no body
    status, headers, home = p.get("/")
    assert status == 200 and TAG_RE.sub(b"", home) == (p.out / "index.html").read_bytes()
    status, head_headers, head_body = request(p.port, "/", "HEAD")
    assert status == 200 and head_body == b"" and int(head_headers["content-length"]) == len(home)

    status, headers, js = p.get("/__liangshai/reload.js")
    assert status == 200 and headers["content-type"] == "text/javascript; charset=utf-8" and b"EventSource" in js
    assert js == (REPO / "generator/serve/reload.js").read_bytes()  # the package file, as it is

    # bound to 127.0.0.1 only (not 0.0.0.0): another address, even a loopback one, is refused
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", p.port), timeout=5).close()


def test_missing_page_is_the_sites_404_page_with_status_404_and_folders_redirect(tmp_path: Path, serve) -> None:
    p = serve(basic_site(tmp_path / "site"))
    status, headers, body = p.get("/jx/no-such-post/index.html")
    assert status == 404
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert TAG_RE.sub(b"", body) == (p.out / "404.html").read_bytes()
    assert "页面不存在" in body.decode("utf-8")
    assert request(p.port, "/jx/no-such-post/", "HEAD")[0] == 404

    status, headers, _ = p.get("/jx/a")
    assert status == 301 and headers["location"] == "/jx/a/"
    status, _, body = p.get("/jx/a/")
    assert status == 200 and TAG_RE.sub(b"", body) == (p.out / "jx/a/index.html").read_bytes()


def test_nothing_outside_the_output_is_served(tmp_path: Path, serve) -> None:
    site = basic_site(tmp_path / "site")
    p = serve(site)
    (p.out / "leak.html").symlink_to(site / "site.toml")
    (p.out / "leakdir").symlink_to(site, target_is_directory=True)
    for path in (
        "/../site.toml",
        "/%2e%2e/site.toml",
        "/%2E%2E/site.toml",
        "/%2e%2e%2fsite.toml",
        "/jx/../../site.toml",
        "/jx/%2e%2e/%2e%2e/site.toml",
        "/..%2f..%2fsite.toml",
        "/assets/..%5c..%5csite.toml",
        "/%00/../site.toml",
        "/leak.html",
        "/leakdir/site.toml",
        "/leakdir/content/jx/a.md",
    ):
        status, _, body = p.get(path)
        assert status in (400, 404), path
        assert SECRET.encode() not in body and b"title:" not in body, path
    # hidden files: the builder's state and caches, the staging folder, any dotfile
    (p.out / ".secret.html").write_text(SECRET, encoding="utf-8")
    hidden = sorted(f.name for f in p.out.iterdir() if f.name.startswith(".liangshai"))
    assert hidden, "the builder keeps its state next to the output"
    for path in ("/.secret.html", "/%2esecret.html", "/.liangshai-staging/index.html", *(f"/{name}" for name in hidden)):
        status, _, body = p.get(path)
        assert status == 404, path
        assert SECRET.encode() not in body, path


# -- rebuilding on change ----------------------------------------------------


def test_edited_post_is_served_and_the_terminal_shows_the_rebuild(tmp_path: Path, serve) -> None:
    site = basic_site(tmp_path / "site")
    p = serve(site)
    assert "原来的正文" in p.text(POST)
    (site / "content/jx/a.md").write_text(post_text(title="甲篇会议纪要", body="修改后的正文。"), encoding="utf-8")
    p.wait_served(POST, "修改后的正文")
    out = poll(lambda: "已重新生成" in p.output and p.output, "终端显示重新生成")
    assert "检测到修改：content/jx/a.md" in out
    # only the body changed: its page was written before the build (build.preview), which then found it right
    assert "只改了正文或标题：已先更新 jx/a/index.html，" in out, out
    assert re.search(r"已重新生成：共 \d+ 个文件，渲染 1 页，写入 0 个，删除 0 个，用时 [\d.]+ 秒", out), out
    # a title too: the post and its lists first
    (site / "content/jx/a.md").write_text(post_text(title="甲篇会议纪要（修订）", body="修改后的正文。"), encoding="utf-8")
    p.wait_served("/jx/index.html", "甲篇会议纪要（修订）")
    out = poll(lambda: p.output.count("已重新生成") >= 2 and p.output, "终端显示第二次重新生成")
    assert re.search(r"只改了正文或标题：已先更新 index.html、.* 等 \d+ 个页面", out), out
    # a date is the build's alone: the post moves in its lists
    (site / "content/jx/a.md").write_text(post_text(title="甲篇会议纪要（修订）", date="2026-03-04", body="修改后的正文。"), encoding="utf-8")
    p.wait_served(POST, "2026-03-04")
    out = poll(lambda: p.output.count("已重新生成") >= 3 and p.output, "终端显示第三次重新生成")
    assert out.count("只改了正文或标题") == 2, out
    assert re.search(r"已重新生成：共 \d+ 个文件，渲染 \d+ 页，写入 [1-9]\d* 个，删除 0 个", out.rsplit("检测到修改", 1)[1]), out
    p.settle()
    # saved once the search update that follows the reload is done (≈2 s on a loaded machine)
    poll(lambda: (p.out / ".liangshai-state.pickle").is_file() and (p.out / ".liangshai-state.key").is_file(), "生成状态已保存")


def test_rename_based_saves_are_served(tmp_path: Path, serve) -> None:
    site = basic_site(tmp_path / "site")
    p = serve(site)
    post = site / "content/jx/a.md"

    # write a temp file beside the post, then rename it over the post (most editors)
    tmp = post.with_name(".a.md.tmp-4242")
    tmp.write_text(post_text(title="甲篇会议纪要", body="原子保存的正文。"), encoding="utf-8")
    os.replace(tmp, post)
    p.wait_served(POST, "原子保存的正文")

    # move the old file to a backup name, then write a new file (vim with backupcopy=no)
    os.rename(post, post.with_name("a.md~"))
    post.write_text(post_text(title="甲篇会议纪要", body="备份式保存的正文。"), encoding="utf-8")
    p.wait_served(POST, "备份式保存的正文")

    changes = [line for line in p.output.splitlines() if "检测到修改" in line]
    assert changes and all("content/jx/a.md" in line for line in changes), changes
    assert not any(".a.md.tmp" in line or "a.md~" in line for line in changes), changes


def test_new_post_and_new_unit_are_served_and_listed(tmp_path: Path, serve) -> None:
    site = basic_site(tmp_path / "site")
    p = serve(site)
    (site / "content/jx/c.md").write_text(post_text(title="丙篇新文章", date="2026-03-07", body="新的正文。"), encoding="utf-8")
    p.wait_served("/jx/c/index.html", "新的正文")
    p.settle()  # the commit renames pages one by one: read the lists once the build is over
    for page in ("/jx/index.html", "/sections/branch-life/index.html", "/index.html"):
        assert "丙篇新文章" in p.text(page), page

    # a whole new unit folder appears at once (a copy, a checkout)
    staging = tmp_path / "newunit"
    write_site(staging, {"content/wy/_unit.toml": UNIT_TOML.replace("机械工程学院", "外国语学院").replace("jx-", "wy-"), "content/wy/d.md": post_text(title="丁篇外语", body="外语学院的正文。")}, unit=False)
    shutil.copytree(staging / "content/wy", site / "content/wy")
    p.wait_served("/wy/d/index.html", "外语学院的正文")
    p.settle()
    assert "丁篇外语" in p.text("/sections/branch-life/index.html")


def test_deleted_post_404s_and_the_lists_drop_it(tmp_path: Path, serve) -> None:
    site = basic_site(tmp_path / "site")
    p = serve(site)
    lists = ("/jx/index.html", "/sections/branch-life/index.html", "/index.html")
    for page in lists:
        assert "乙篇会议纪要" in p.text(page), page
    (site / "content/jx/b.md").unlink()
    poll(lambda: p.get("/jx/b/index.html")[0] == 404, "/jx/b/ 变成 404")
    assert "页面不存在" in p.get("/jx/b/index.html")[2].decode("utf-8")
    assert not (p.out / "jx/b/index.html").exists()
    for page in lists:
        poll(lambda page=page: (t := p.text(page)) and "乙篇会议纪要" not in t, f"{page} 不再列出乙篇")
        assert "甲篇会议纪要" in p.text(page)


def test_template_edit_is_served_even_when_themes_appears_later(tmp_path: Path, serve) -> None:
    site = basic_site(tmp_path / "site")
    p = serve(site)
    assert not (site / "themes").exists()
    bundled = (REPO / "themes/default/templates/post.html").read_text(encoding="utf-8")
    block = "{% block main %}"
    assert block in bundled

    override = site / "themes/default/templates/post.html"
    override.parent.mkdir(parents=True)
    override.write_text(bundled.replace(block, block + "<p>模板标记一</p>", 1), encoding="utf-8")
    p.wait_served(POST, "模板标记一")

    override.write_text(bundled.replace(block, block + "<p>模板标记二</p>", 1), encoding="utf-8")
    page = p.wait_served(POST, "模板标记二")
    assert "模板标记一" not in page


def test_site_toml_edit_is_served(tmp_path: Path, serve) -> None:
    site = basic_site(tmp_path / "site")
    p = serve(site)
    assert "机械学院晾晒预览" in p.text("/index.html")
    (site / "site.toml").write_text('[site]\ntitle = "改名后的晾晒站"\n', encoding="utf-8")
    p.wait_served("/index.html", "改名后的晾晒站")
    p.settle()
    assert "改名后的晾晒站" in p.text(POST)


def test_replaced_content_folder_is_watched_again(tmp_path: Path, serve) -> None:
    """A checkout can remove and recreate content/: the new folder must get a new watch."""
    site = basic_site(tmp_path / "site")
    p = serve(site)
    fresh = tmp_path / "fresh-content"
    shutil.copytree(site / "content", fresh)
    (fresh / "jx/a.md").write_text(post_text(title="甲篇会议纪要", body="换过文件夹的正文。"), encoding="utf-8")
    os.rename(site / "content", site / "content.old")
    os.rename(fresh, site / "content")
    p.wait_served(POST, "换过文件夹的正文")
    shutil.rmtree(site / "content.old")
    p.settle()  # so the next edit is noticed on its own, not swept up by the rebuild above
    (site / "content/jx/a.md").write_text(post_text(title="甲篇会议纪要", body="新文件夹里再改一次。"), encoding="utf-8")
    p.wait_served(POST, "新文件夹里再改一次")


# -- failures ------------------------------------------------------------------


def read_events(port: int, until: Callable[[dict], bool], timeout: float = DEADLINE) -> list[dict]:
    """Read server-sent events until ``until(message)``; returns every message read."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    messages: list[dict] = []
    try:
        sock.sendall(b"GET /__liangshai/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        f = sock.makefile("rb")
        head = f.readline()
        assert head.startswith(b"HTTP/1.0 200"), head
        while (line := f.readline()) not in (b"\r\n", b"\n", b""):
            if line.lower().startswith(b"content-type:"):
                assert b"text/event-stream" in line
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = f.readline()
            if not line:
                break
            if line.startswith(b"data: "):
                messages.append(json.loads(line[6:]))
                if until(messages[-1]):
                    return messages
        pytest.fail(f"事件流中没有等到期望的消息：{messages!r:.500}")
    finally:
        sock.close()


def test_reload_event_comes_after_the_new_page_is_in_place(tmp_path: Path, serve) -> None:
    site = basic_site(tmp_path / "site")
    p = serve(site)
    first = read_events(p.port, lambda m: True)[0]
    assert first["ok"] is True and first["version"] >= 1
    result: dict[str, list[dict]] = {}
    reader = threading.Thread(target=lambda: result.setdefault("m", read_events(p.port, lambda m: m["version"] > first["version"])))
    reader.start()
    (site / "content/jx/a.md").write_text(post_text(title="甲篇会议纪要", body="事件之后的正文。"), encoding="utf-8")
    reader.join(DEADLINE + 5)
    assert "m" in result, "没有收到重新生成的事件"
    # no polling here: when the event arrives, the new page is already being served
    assert "事件之后的正文" in p.text(POST)
    assert result["m"][-1]["ok"] is True and result["m"][-1]["errors"] == []


def test_broken_post_keeps_the_last_good_page_and_reports_file_and_line(tmp_path: Path, serve) -> None:
    site = basic_site(tmp_path / "site")
    p = serve(site)
    assert "原来的正文" in p.text(POST)
    version = p.status()["version"]

    (site / "content/jx/a.md").write_text(post_text(title="甲篇会议纪要", date="2026-13-45", body="坏掉的正文。"), encoding="utf-8")
    failed = read_events(p.port, lambda m: not m["ok"] and not m["building"])[-1]
    [err] = failed["errors"]
    assert err["path"] == "content/jx/a.md" and err["line"] == 3
    assert err["text"].startswith("content/jx/a.md:3: 错误：") and "2026-13-45" in err["text"]
    assert p.status()["errors"] == failed["errors"]
    assert failed["version"] == version  # browsers are not told to reload a site that did not change

    # the last good site stays
    page = p.text(POST)
    assert "原来的正文" in page and "坏掉的正文" not in page
    # the terminal shows the same error
    poll(lambda: "content/jx/a.md:3: 错误：" in p.output and "生成失败" in p.output, "终端显示错误")

    (site / "content/jx/a.md").write_text(post_text(title="甲篇会议纪要", body="改好的正文。"), encoding="utf-8")
    p.wait_served(POST, "改好的正文")
    # the status is published just after the build has put its files in place
    fixed = poll(lambda: (s := p.status())["ok"] and s, "状态恢复正常")
    assert fixed["errors"] == [] and fixed["version"] > version


def test_burst_of_500_writes_is_at_most_3_rebuilds_and_equals_a_clean_build(tmp_path: Path, serve) -> None:
    site = basic_site(tmp_path / "site")
    p = serve(site)
    before = p.settle()["epoch"]
    folder = site / "content/jx"
    for i in range(500):
        # 500 writes to 50 posts (created, then rewritten round-robin) over a few seconds,
        # never 100 ms apart: like a checkout or a search-and-replace. Spread out enough
        # that rebuilding on every event, without the debounce, would build many times.
        time.sleep(0.005)
        n = i % 50
        (folder / f"n{n:02d}.md").write_text(post_text(title=f"批量文章{n:02d}", date=f"2026-0{1 + n % 6}-{1 + n % 28:02d}", body=f"批量正文{i:03d}。"), encoding="utf-8")
    p.wait_served("/jx/n49/index.html", "批量正文499", timeout=60)
    # The search index is brought up to date after the status settles (and a Ctrl-C stops that
    # update by design): wait long enough for Pagefind too (≈2 s on a loaded CI machine).
    after = p.settle(timeout=60, quiet=4.0)
    assert after["ok"] is True
    assert 1 <= after["epoch"] - before <= 3, p.output
    assert p.stop() == 0  # nothing may write into the output while it is compared

    clean = tmp_path / "clean"
    r = subprocess.run([sys.executable, "-m", "generator", "build", str(site), "--out", str(clean)], cwd=REPO, env={**os.environ, **ENV}, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

    def site_files(root: Path) -> dict[str, bytes]:
        # every file that can be served (hidden build state and caches cannot)
        return {f.relative_to(root).as_posix(): f.read_bytes() for f in root.rglob("*") if f.is_file() and not any(s.startswith(".") for s in f.relative_to(root).parts)}

    served, fresh = site_files(p.out), site_files(clean)
    assert sorted(served) == sorted(fresh)
    assert [k for k in served if served[k] != fresh[k]] == []
    assert len(served) > 50


def test_editor_droppings_and_the_default_output_folder_are_ignored(tmp_path: Path, serve) -> None:
    site = basic_site(tmp_path / "site")
    p = serve(site, out=None)  # default output: SITE/.liangshai-serve, inside the watched site
    assert (site / ".liangshai-serve/jx/a/index.html").is_file()
    assert not (site / "build").exists()
    before = p.settle()["epoch"]
    for name in (".a.md.swp", "a.md~", "#a.md#", ".#a.md", "a.md.tmp"):
        (site / "content/jx" / name).write_text("不是文章", encoding="utf-8")
    (site / "content/jx/a.md").write_text(post_text(title="甲篇会议纪要", body="只有这个是修改。"), encoding="utf-8")
    p.wait_served(POST, "只有这个是修改")
    after = p.settle()
    # the builder's own writes into .liangshai-serve must not trigger more builds (no loop)
    assert after["epoch"] - before <= 2, p.output
    changes = [line for line in p.output.splitlines() if "检测到修改" in line]
    assert changes and all(line.endswith("检测到修改：content/jx/a.md") for line in changes), changes


# -- command line ------------------------------------------------------------


def test_port_in_use_is_reported_with_a_suggestion_and_exit_code_2(tmp_path: Path) -> None:
    site = basic_site(tmp_path / "site")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run(
            [sys.executable, "-m", "generator", "serve", str(site), "--port", str(port), "--out", str(tmp_path / "out")],
            cwd=REPO, env={**os.environ, **ENV}, capture_output=True, text=True, timeout=60,
        )
    assert r.returncode == 2
    assert f"端口 {port} 已被占用" in r.stderr and f"--port {port + 1}" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_open_starts_the_browser_on_the_preview_url(tmp_path: Path, serve) -> None:
    site = basic_site(tmp_path / "site")
    opened = tmp_path / "opened.txt"
    fake = tmp_path / "fake-browser"  # what $BROWSER names is what Python's webbrowser runs
    fake.write_text(f'#!/bin/sh\necho "$1" > "{opened}"\n', encoding="utf-8")
    fake.chmod(0o755)
    p = serve(site, "--open", env={"BROWSER": str(fake)})
    url = poll(lambda: opened.exists() and opened.read_text(encoding="utf-8").strip(), "浏览器被打开")
    assert url == f"http://127.0.0.1:{p.port}/"


def test_output_folder_inside_content_is_refused(tmp_path: Path) -> None:
    site = basic_site(tmp_path / "site")
    r = run_cli("serve", str(site), "--port", str(free_port()), "--out", str(site / "content/preview"))
    assert r.returncode == 2
    assert "不能放在 content/ 里面" in r.stderr
    assert not (site / "content/preview").exists()


def test_lost_events_fall_back_to_a_full_rescan(tmp_path: Path) -> None:
    """An inotify overflow (reported by watchdog only in its log) rebuilds from disk.

    The post is changed through a hard link outside the site: inotify reports a
    change to the directory the file was opened through, so the watcher sees
    nothing — exactly what a lost event looks like. Then watchdog's overflow
    record arrives and the preview must rescan and serve the new text.
    """
    import watchdog.observers.inotify_c as inotify_c

    from generator.serve.server import PreviewServer, preview_builder

    # the record we react to is the one watchdog really logs on IN_Q_OVERFLOW
    assert "Inotify queue overflowed" in inspect.getsource(inotify_c)

    site = basic_site(tmp_path / "site")
    outside = tmp_path / "outside.md"
    os.link(site / "content/jx/a.md", outside)
    logs: list[str] = []
    server = PreviewServer(preview_builder(site, out=tmp_path / "out"), port=0, log=lambda m, error=False: logs.append(m))
    with server:
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        assert "原来的正文" in request(port, POST)[2].decode("utf-8")
        with outside.open("r+b") as f:  # same inode, changed in place, opened outside the watched tree
            data = post_text(title="甲篇会议纪要", body="丢失事件后的正文。").encode("utf-8")
            f.write(data)
            f.truncate(len(data))
        logging.getLogger("watchdog.observers.inotify_c").warning("Inotify queue overflowed; filesystem events were lost")
        poll(lambda: "丢失事件后的正文" in request(port, POST)[2].decode("utf-8"), "溢出后全部重新扫描")
        assert any("全部重新扫描" in m for m in logs), logs


def test_builder_worker_processes_end_normally(tmp_path: Path, serve) -> None:
    """A big cold build forks worker processes, which inherit serve's SIGTERM handler.

    multiprocessing ends its workers with SIGTERM; they must simply die, not
    raise KeyboardInterrupt (a traceback per worker, and at worst a rebuild that
    waits forever for a worker stuck on a lock). The fixture's teardown checks
    for tracebacks and a clean exit.
    """
    files = {f"content/jx/p{i:03d}.md": post_text(title=f"并行文章{i:03d}", body=f"并行正文{i:03d}。") for i in range(450)}
    site = write_site(tmp_path / "site", files)
    p = serve(site)
    (site / "content/jx/p000.md").write_text(post_text(title="并行文章000", body="并行之后的修改。"), encoding="utf-8")
    p.wait_served("/jx/p000/index.html", "并行之后的修改", timeout=60)
    assert "Traceback" not in p.output and "KeyboardInterrupt" not in p.output, p.output


# -- issue 16: DNS rebinding and what the status tells ----------------------------


def _with_host(port: int, path: str, host: str | None) -> tuple[int, str]:
    """A raw request whose Host header is ``host`` (None: no Host header at all)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_requests_for_another_host_are_refused_and_the_status_is_masked(tmp_path: Path, serve) -> None:
    """A page on another site can rebind its name to 127.0.0.1; its requests then carry
    that name in Host, and get 403 with a Chinese message — the status included."""
    site = basic_site(tmp_path / "site")
    p = serve(site)
    port = p.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        for path in (POST, "/__liangshai/status"):
            assert _with_host(port, path, host)[0] == 200, (host, path)
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.nip.io:{port}", f"127.0.0.1:{port + 1}", f"[::1]:{port}", None):
        for path in (POST, "/__liangshai/status", "/__liangshai/events"):
            status, text = _with_host(port, path, host)
            assert status == 403 and "拒绝" in text and "DNS 重绑定" in text and SECRET not in text, (host, path, status, text)
    # the status served to the preview itself shows a finding masked only
    (site / "content/jx/c.md").write_text(post_text(title="丙篇", body="联系人 &#49;3912345678"), encoding="utf-8")
    text = poll(lambda: "content/jx/c.md:6" in (t := _with_host(port, "/__liangshai/status", f"127.0.0.1:{port}")[1]) and t, "状态中出现 c.md 的错误")
    assert "139****5678" in text, text
    assert "13912345678" not in text and "13912345678" not in p.output


@pytest.mark.parametrize(
    "bound, accepted, refused",
    [
        ("127.0.0.1", ["127.0.0.1:8000", "localhost:8000", "127.0.0.1"], ["[::1]:8000", "example.edu.cn:8000", "example.edu.cn", "127.0.0.1:8001", "", "127.0.0.1:8000.evil"]),
        ("::1", ["[::1]:8000", "localhost:8000", "[::1]"], ["127.0.0.1:8000", "[::1:8000"]),
        ("0.0.0.0", ["192.168.1.20:8000", "127.0.0.1:8000", "localhost:8000"], ["dangjian.example.edu.cn:8000", "192.168.1.20:80"]),
        ("pc.local", ["pc.local:8000", "localhost:8000"], ["other.local:8000", "10.0.0.1:8000"]),
    ],
)
def test_host_allowed(bound: str, accepted: list[str], refused: list[str]) -> None:
    from generator.serve.httpd import host_allowed

    assert all(host_allowed(h, bound, 8000) for h in accepted)
    assert not any(host_allowed(h, bound, 8000) for h in refused)
