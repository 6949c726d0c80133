#!/usr/bin/env python3
"""Save-to-reload latency of ``liangshai serve`` (issue 4).

    python bench/serve_latency.py                    # the demo site and a 10,000-post corpus
    python bench/serve_latency.py --posts 1000       # another corpus size
    python bench/serve_latency.py --no-demo --saves 9
    python bench/serve_latency.py --no-corpus        # the demo site only

For each site it starts the real ``python -m generator serve SITE --port 0``
in a subprocess, connects a server-sent-events client to
``/__liangshai/events`` (what the browser's injected script listens to), and
then saves one post several times the way an editor does (write a temp file,
rename it over the post). For every save it records, on one clock in this
process:

- save → build start: the watcher noticed and the ~100 ms debounce ran out
  (the first event with ``building: true``);
- save → reload event: the event that tells browsers to reload (a new
  ``version``), i.e. what an author waits for after pressing Ctrl-S;
- the build's own time, as the server prints it.

It prints the median, minimum and maximum of each. Before the first save the
server has done its cold build (not timed here: see bench/run.py); each save
waits until the server is idle again, so the saves are independent.

Sites: the demo site is a copy of the repository's ``content/`` (and
``site.toml`` if there is one) in ``bench/out/serve-demo/``, made into a git
repository with one commit, so the repository's own files are never edited.
The corpus is ``bench/corpus.py --posts N`` in ``bench/out/serve-corpus-N-sS/``
(cached; the edited post is put back afterwards). Outputs go to
``bench/out/serve-*-out/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
# The corpus is dated up to this day; fix "today" so the runs are comparable.
AS_OF = dt.datetime(2026, 11, 27, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))
ENV = {"SOURCE_DATE_EPOCH": str(int(AS_OF.timestamp())), "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}


@dataclass
class Message:
    at: float
    data: dict


@dataclass
class Stream:
    """An SSE client on its own thread: every message with the time it arrived."""

    port: int
    messages: list[Message] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def start(self) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=None)
        self.sock.sendall(b"GET /__liangshai/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        f = self.sock.makefile("rb")
        for line in f:
            if line.startswith(b"data: "):
                msg = Message(time.monotonic(), json.loads(line[6:]))
                with self.cond:
                    self.messages.append(msg)
                    self.cond.notify_all()

    def wait(self, pred, since: int, timeout: float) -> tuple[int, Message]:
        """The first message at index >= ``since`` that satisfies ``pred``."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(since, len(self.messages)):
                    if pred(self.messages[i].data):
                        return i, self.messages[i]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching event within {timeout:.0f} s; last: {self.messages[-1].data if self.messages else None}")
                self.cond.wait(left)

    def wait_after(self, pred, since: int, t0: float, timeout: float) -> tuple[int, Message]:
        """Like `wait`, for a message that arrived after ``t0``."""
        while True:
            i, msg = self.wait(pred, since, timeout)
            if msg.at >= t0:
                return i, msg
            since = i + 1

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


@dataclass
class Result:
    name: str
    posts: int
    cold_seconds: float
    detect: list[float] = field(default_factory=list)  # save → build start
    reload: list[float] = field(default_factory=list)  # save → reload event
    build: list[float] = field(default_factory=list)  # the server's own "用时"


def demo_site() -> Path | None:
    if not (REPO / "content").is_dir() or not any(p.is_dir() for p in (REPO / "content").iterdir()):
        return None
    site = OUT / "serve-demo"
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(REPO / "content", site / "content", ignore=shutil.ignore_patterns(".*"))
    if (REPO / "site.toml").is_file():
        shutil.copy2(REPO / "site.toml", site / "site.toml")
    git(site, "init", "-q", "-b", "main")
    git(site, "add", "-A")
    git(site, "-c", "user.name=bench", "-c", "user.email=bench@example.edu.cn", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "demo copy")
    return site


def corpus_site(posts: int, seed: int) -> Path:
    site = OUT / f"serve-corpus-{posts}-s{seed}"
    done = site / ".serve-bench-complete"
    if not done.exists():
        print(f"生成 {posts} 篇文章的语料：{site} …", flush=True)
        subprocess.run([sys.executable, str(HERE / "corpus.py"), "--posts", str(posts), "--out", str(site), "--seed", str(seed), "--force"], check=True)
        done.write_text("ok\n")
    else:
        git(site, "checkout", "-q", "--", "content")  # undo anything an interrupted run left
    return site


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def pick_post(site: Path) -> Path:
    posts = sorted(p for p in (site / "content").rglob("*.md") if not any(s.startswith(".") for s in p.parts))
    return posts[len(posts) // 2]


class ServeProcess:
    """``python -m generator serve SITE --port 0 --out OUT`` in a subprocess: its printed lines, its port, its memory.

    Also used by ``run.py``'s serve scenarios (``serve_bench.py``), with the measured code's
    folder as ``cwd`` and its environment."""

    def __init__(self, site: Path, out: Path, *, cwd: Path = REPO, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", str(site), "--port", "0", "--out", str(out)],
            cwd=cwd, env=env if env is not None else {**os.environ, **ENV},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
            # As from a terminal: a benchmark started in the background (nohup … &) has SIGINT
            # ignored, the server would inherit that, and Ctrl-C (`stop`) would wait 120 s to kill it.
            preexec_fn=_default_sigint,
        )
        self.lines: list[str] = []
        self.got = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.got:
                self.lines.append(line.rstrip("\n"))
                self.got.notify_all()

    def mark(self) -> int:
        """How many lines the server has printed so far (for `since`)."""
        with self.got:
            return len(self.lines)

    def printed(self, since: int) -> list[str]:
        with self.got:
            return self.lines[since:]

    def wait_line(self, needle: str, since: int, timeout: float) -> str | None:
        """The first line at index >= ``since`` containing ``needle`` (None after ``timeout``)."""
        with self.got:
            self.got.wait_for(lambda: any(needle in line for line in self.lines[since:]), timeout)
            return next((line for line in self.lines[since:] if needle in line), None)

    def wait_ready(self, timeout: float) -> int:
        """Wait for the first build and the "预览地址" line; the port."""
        with self.got:
            if not self.got.wait_for(lambda: any("预览地址" in line for line in self.lines) or self.proc.poll() is not None, timeout):
                raise TimeoutError("the server did not start")
        if self.proc.poll() is not None:
            raise RuntimeError("the server exited:\n" + "\n".join(self.printed(0)))
        line = self.wait_line("预览地址", 0, 0) or ""
        return int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))  # type: ignore[union-attr]

    def peak_mb(self) -> float | None:
        """The server process's peak RSS so far (VmHWM; its child processes, e.g. Pagefind, not included)."""
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        m = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        return int(m.group(1)) / 1024 if m else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                rc = self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
            if rc != 0:
                print(f"  (server exit code {rc})", flush=True)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def save(post: Path, data: bytes) -> float:
    """Save ``data`` as an editor does (a temp file renamed over the post); the time just before the rename."""
    tmp = post.with_name(f".{post.name}.bench-tmp")
    tmp.write_bytes(data)
    t0 = time.monotonic()
    os.replace(tmp, post)
    return t0


def measure(name: str, site: Path, saves: int, timeout: float) -> Result:
    out = OUT / f"serve-{name}-out"
    if out.exists():
        shutil.rmtree(out)  # a cold start every time: the first build is the same for every run
    started = time.monotonic()
    server = ServeProcess(site, out)
    post = pick_post(site)
    original = post.read_bytes()
    try:
        port = server.wait_ready(timeout)
        cold = time.monotonic() - started
        posts = sum(1 for _ in (site / "content").rglob("*.md"))
        result = Result(name, posts, cold)
        print(f"[{name}] {posts} 篇文章，首次生成和启动用时 {cold:.1f} 秒；修改 {post.relative_to(site)}，共 {saves} 次。", flush=True)

        stream = Stream(port)
        stream.start()
        i, hello = stream.wait(lambda m: not m["building"], 0, timeout)
        if not hello.data["ok"]:
            raise RuntimeError(f"the site does not build: {hello.data['errors'][:3]}")
        version = hello.data["version"]
        since = i + 1
        for n in range(saves):
            printed = server.mark()
            t0 = save(post, original + f"\n\n基准测试第 {n + 1} 次保存。\n".encode())
            # the first build that starts after the save (a build already running, e.g. for
            # someone else's theme edit, is waited out: that is what an author would see)
            i, building = stream.wait_after(lambda m: m["building"], since, t0, timeout)
            j, done = stream.wait(lambda m, v=version: not m["building"] and m["version"] > v, i, timeout)
            if not done.data["ok"]:
                raise RuntimeError(f"build failed: {done.data['errors'][:3]}")
            result.detect.append(building.at - t0)
            result.reload.append(done.at - t0)
            version, since = done.data["version"], j + 1
            m = re.search(r"用时 ([\d.]+) 秒", server.wait_line("已重新生成", printed, 10) or "")
            if m:
                result.build.append(float(m.group(1)))
            changed = [line.split("检测到修改：", 1)[1] for line in server.printed(printed) if "检测到修改：" in line]
            print(f"  第 {n + 1} 次：保存→开始生成 {result.detect[-1] * 1000:.0f} ms，保存→刷新事件 {result.reload[-1] * 1000:.0f} ms（服务器看到的修改：{'；'.join(changed)}）", flush=True)
            # the next save starts from an idle server
            stream.wait(lambda m: not m["building"] and not m["pending"], since - 1, timeout)
        stream.close()
        return result
    finally:
        post.write_bytes(original)
        server.stop()


def summary(values: list[float]) -> str:
    if not values:
        return "—"
    ms = [v * 1000 for v in values]
    return f"{statistics.median(ms):7.0f} ms (min {min(ms):.0f}, max {max(ms):.0f})"


def main() -> int:
    ap = argparse.ArgumentParser(description="Save-to-reload latency of liangshai serve.")
    ap.add_argument("--posts", type=int, default=10_000, help="corpus size (default 10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--saves", type=int, default=7, help="saves per site (median of these)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds to wait for a start or a rebuild")
    ap.add_argument("--no-demo", action="store_true", help="skip the demo site")
    ap.add_argument("--no-corpus", action="store_true", help="skip the generated corpus")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    load = os.getloadavg()
    print(f"机器：{os.cpu_count()} 核，负载 {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}；Python {sys.version.split()[0]}", flush=True)

    results: list[Result] = []
    if not args.no_demo:
        site = demo_site()
        if site is None:
            print("演示站点（仓库的 content/）还没有单位，跳过。", flush=True)
        else:
            results.append(measure("demo", site, args.saves, args.timeout))
    if not args.no_corpus:
        results.append(measure(f"corpus-{args.posts}", corpus_site(args.posts, args.seed), args.saves, args.timeout))

    print()
    print(f"{'site':<18}{'posts':>7}  {'save → reload event (median)':<34}{'save → build start':<34}{'build (server)':<30}")
    for r in results:
        print(f"{r.name:<18}{r.posts:>7}  {summary(r.reload):<34}{summary(r.detect):<34}{summary(r.build):<30}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
