"""The two `serve` rows of issue 23's table, measured by `run.py` (scenarios ``serve-body`` and ``serve-title``).

Stage: bench (outside the package). For one corpus size it starts the real
``python -m generator serve SITE --port 0 --out OUT`` of the measured code
(``serve_latency.ServeProcess``, with its server-sent-events client
``serve_latency.Stream``) on the same cached corpus as the build scenarios, but
with its own output folder (``bench/out/serve-<N>-s<seed>-out``, emptied
first), so the build rows' output is never touched. Then, per timed run:

- ``serve-body``: a sentence is appended to the post's body and saved as an
  editor saves (``serve_latency.save``: a temp file renamed over the post); timed
  from just before the rename until an HTTP GET of the post's page from the
  server returns HTML containing the sentence;
- ``serve-title``: ``（修订）`` is appended to the post's title; timed from the
  save until every *list page* (every page other than the post's own that linked
  to the post with its title as the link text before the save, found by scanning
  the served output untimed) is served with the new title.

The pages are polled every 10 ms. The search index may trail the pages in
serve (issue 23), so it is not waited for. After each run the post is put back
the same way (untimed) and the server is left to finish everything the two
saves started (builds, the search update, the saved state) before the next run,
so the runs are independent. A row's peak memory is the server process's peak
RSS (``VmHWM``) after its runs.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import shutil
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import serve_latency  # bench/serve_latency.py: ServeProcess, Stream, save

LABELS = {
    "serve-body": "serve: save a post's body → the new text served",
    "serve-title": "serve: save a title → every list page showing it updated",
}
POLL = 0.01  # seconds between polling rounds
TIMEOUT = 900.0  # seconds to wait for the server's start or one update


def _escape(text: str) -> str:
    """The title as the templates write it (Jinja's autoescape: markupsafe)."""
    from markupsafe import escape

    return str(escape(text))


@dataclass(frozen=True)
class Target:
    """The edited post: its source, its page in the served output and its title."""

    post: Path
    page: Path
    title: str


def find_target(post: Path, out: Path) -> Target:
    """The post's page is ``<stem>/index.html`` somewhere in the output (``<unit>/<stem>/`` today)."""
    page = next(out.glob(f"**/{post.stem}/index.html"), None)
    if page is None:
        raise RuntimeError(f"no page for {post.name} in {out}")
    m = re.search(r"^title: (.*)$", post.read_text(encoding="utf-8"), re.M)
    if m is None:
        raise RuntimeError(f"no 'title:' line in {post}")
    return Target(post, page, m.group(1).strip())


def list_pages(target: Target, out: Path) -> list[Path]:
    """Every page but the post's own that links to the post with its title as the link text.

    A link, not the bare title: titles repeat in the corpus, and a page showing another
    post of the same title never changes."""
    link = re.compile(r'href="[^"]*/' + re.escape(target.page.parent.name) + r'/(?:index\.html)?"[^>]*>\s*' + re.escape(_escape(target.title)) + r"\s*<")
    pages = []
    for root, _, files in os.walk(out):
        for name in files:
            p = Path(root, name)
            if name.endswith(".html") and p != target.page and link.search(p.read_text(encoding="utf-8", errors="replace")):
                pages.append(p)
    return sorted(pages)


class Session:
    """One running server and its event stream; times saves against it."""

    def __init__(self, server: serve_latency.ServeProcess, port: int, out: Path) -> None:
        self.server, self.port, self.out = server, port, out
        self.stream = serve_latency.Stream(port)
        self.stream.start()
        _, hello = self.stream.wait(lambda m: not m["building"], 0, TIMEOUT)
        if not hello.data["ok"]:
            raise RuntimeError(f"the site does not build in serve: {hello.data['errors'][:3]}")
        self.settle()

    def get(self, page: Path) -> str:
        path = "/" + urllib.parse.quote(page.relative_to(self.out).as_posix())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.read().decode("utf-8", errors="replace") if resp.status == 200 else ""
        finally:
            conn.close()

    def poll(self, pages: list[Path], shows: Callable[[str], bool]) -> float:
        """Poll ``pages`` until each has been served showing the change; the time the last one was."""
        left, last = list(pages), time.monotonic()
        deadline = last + TIMEOUT
        while left:
            if time.monotonic() > deadline:
                raise TimeoutError(f"not updated within {TIMEOUT:.0f} s: {', '.join(p.relative_to(self.out).as_posix() for p in left)}")
            for p in list(left):
                if shows(self.get(p)):
                    left.remove(p)
                    last = time.monotonic()
            if left:
                time.sleep(POLL)
        return last

    def settle(self) -> None:
        """Wait until the server is idle: no build running or pending (its status), then no CPU used by
        its process tree (Pagefind, workers) for 0.3 s: the search update and the saved state are done."""
        self.stream.wait(lambda m: not m["building"] and not m["pending"], max(0, len(self.stream.messages) - 1), TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        before = _tree_cpu(self.server.proc.pid)
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = _tree_cpu(self.server.proc.pid)
            if 0 <= now - before < 0.02:  # a child that ended between the reads makes it negative
                return
            before = now
        raise TimeoutError("the server never became idle")

    def edit(self, target: Target, data: bytes, pages: list[Path], shows: Callable[[str], bool]) -> float:
        """Save ``data``, wait for ``pages`` to show it; seconds from the save. The server settles after."""
        t0 = serve_latency.save(target.post, data)
        seconds = self.poll(pages, shows) - t0
        self.settle()
        return seconds


def _tree_cpu(pid: int) -> float:
    """User + system CPU seconds so far of the process and all its descendants (reaped ones included)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]
    except OSError:  # it ended meanwhile
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK") + sum(_tree_cpu(c) for c in children)


BODY_SENTENCE = "基准测试第 {n} 次保存：支部将本次会议精神传达到每一名党员。"


def run_body(session: Session, target: Target, n: int) -> float:
    original = target.post.read_bytes()
    sentence = BODY_SENTENCE.format(n=n)
    seconds = session.edit(target, original + f"\n\n{sentence}\n".encode(), [target.page], lambda html: sentence in html)
    session.edit(target, original, [target.page], lambda html: sentence not in html)
    return seconds


def run_title(session: Session, target: Target, pages: list[Path]) -> float:
    original = target.post.read_bytes()
    new, old = _escape(target.title + "（修订）"), _escape(target.title)
    edited = re.sub(r"^title: (.*)$", r"title: \1（修订）", original.decode("utf-8"), count=1, flags=re.M).encode("utf-8")
    seconds = session.edit(target, edited, pages, lambda html: new in html)
    session.edit(target, original, pages, lambda html: new not in html and old in html)
    return seconds


def serve_rows(run: Any, code: Any, site: Path, posts: int, seed: int, scenarios: tuple[str, ...], runs: int) -> list[Any]:
    """``run.Row``s of the serve scenarios in ``scenarios`` (none: no server started)."""
    wanted = [s for s in LABELS if s in scenarios]
    if not wanted:
        return []
    out = run.OUT / f"serve-{posts}-s{seed}-out"
    shutil.rmtree(out, ignore_errors=True)
    epoch = int(dt.datetime.fromisoformat(f"{run.AS_OF}T12:00:00+08:00").timestamp())
    env = {**code.env, "SOURCE_DATE_EPOCH": str(epoch), "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    server = serve_latency.ServeProcess(site, out, cwd=code.root, env=env)
    rows = [run.Row(posts, name) for name in wanted]
    try:
        session = Session(server, server.wait_ready(TIMEOUT), out)
        target = find_target(run.pick_post(site), out)
        pages = list_pages(target, out)
        run.log(f"[{posts}] serve started in {time.monotonic() - started:.1f} s; {target.post.relative_to(site)}: "
                f"its page and {len(pages)} list pages showing its title")
        for row in rows:
            for i in range(runs):
                try:
                    seconds = run_body(session, target, i + 1) if row.scenario == "serve-body" else run_title(session, target, pages)
                    sample = run.Sample(seconds, server.peak_mb(), True)
                except (OSError, RuntimeError, TimeoutError) as exc:
                    sample = run.Sample(0.0, server.peak_mb(), False, f"{exc}\n" + "\n".join(server.printed(0)[-30:]))
                run.log(f"[{posts}] {row.scenario} #{i + 1}: {sample.seconds:.2f} s, server peak {sample.rss_mb or 0:.0f} MB" + ("" if sample.ok else f" FAILED\n{sample.error}"))
                row.samples.append(sample)
                if not sample.ok:
                    break
        session.stream.close()
    except (OSError, RuntimeError, TimeoutError) as exc:
        for row in rows:
            if not row.samples:
                row.samples.append(run.Sample(0.0, None, False, f"{exc}\n" + "\n".join(server.printed(0)[-30:])))
    finally:
        server.stop()
        run.restore_corpus(site)
    return rows
