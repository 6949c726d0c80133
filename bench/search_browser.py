#!/usr/bin/env python3
"""The reader's side of the search shards: a first search in headless Chromium (issue 23).

    python bench/search_browser.py --posts 10000          # bench/out/build-10000-s1, built by run.py
    python bench/search_browser.py --out build/ --query 党委会 --query "党史 学习"

A smaller shard makes an edit's re-index cheaper (Pagefind cannot take a page
out of an index, so an edit indexes its whole shard again), but search.js
merges every shard a search needs, so each shard is more requests for a
reader's first search. This opens ``search/index.html?q=…`` in a fresh browser
context (nothing cached) per query and run, and reports the seconds until the
first results are shown, the requests made and the bytes they brought. The
folder is served by Python's threading HTTP server on the loopback: figures to
compare layouts with on one machine, not what a phone on the intranet sees.
Uses Debian's chromium (``LIANGSHAI_CHROMIUM``) through Playwright, as the
browser tests do.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("LIANGSHAI_CHROMIUM", "/usr/bin/chromium")
QUERIES = ("党委会", "党史 学习")  # one word (every shard is merged), two words (shardsFor: per word, then the shards with both)
DONE = "document.getElementById('search-status').getAttribute('data-state') === 'done'"


@dataclass(frozen=True)
class Search:
    """One first search: its query, seconds until the results were shown, requests, KB received, results shown."""

    query: str
    seconds: float
    requests: int
    kilobytes: float
    results: int


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """``folder`` over HTTP on the loopback: its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def shards(folder: Path) -> int:
    """How many shard indexes the site's manifest lists."""
    return len(json.loads((folder / "pagefind" / "units.json").read_text("utf-8"))["shards"])


def first_search(browser: object, base: str, query: str, timeout_s: float = 120.0) -> Search:
    """One query in a fresh context: from opening the page to its first results (or its "nothing found")."""
    context = browser.new_context()  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        requests: list[object] = []
        page.on("requestfinished", lambda r: requests.append(r))
        start = time.perf_counter()
        page.goto(base + "search/index.html?q=" + urllib.parse.quote(query))
        page.wait_for_function(DONE, timeout=timeout_s * 1000)
        seconds = time.perf_counter() - start
        results = page.locator("#search-results li").count()
        received = sum(r.sizes()["responseBodySize"] for r in requests)  # type: ignore[attr-defined]
        return Search(query, seconds, len(requests), received / 1024, results)
    finally:
        context.close()


def measure(folder: Path, queries: tuple[str, ...] = QUERIES, runs: int = 3) -> list[Search]:
    """Every query ``runs`` times, each in a fresh context."""
    from playwright.sync_api import sync_playwright

    found: list[Search] = []
    with served(folder) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox", "--disable-gpu"], headless=True)
        try:
            for _ in range(runs):
                found.extend(first_search(browser, base, q) for q in queries)
        finally:
            browser.close()
    return found


def report(folder: Path, found: list[Search]) -> str:
    lines = [f"{folder}: {shards(folder)} shards", "", "| query | median s | runs s | requests | KB | results shown |", "|---|---:|---|---:|---:|---:|"]
    for query in dict.fromkeys(s.query for s in found):
        mine = [s for s in found if s.query == query]
        secs = [s.seconds for s in mine]
        lines.append(
            f"| {query} | {statistics.median(secs):.2f} | {', '.join(f'{x:.2f}' for x in secs)} | {mine[-1].requests} | {mine[-1].kilobytes:.0f} | {mine[-1].results} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, help="measure bench/out/build-N-s1 (run.py's output of that corpus)")
    ap.add_argument("--out", type=Path, help="measure this built site instead")
    ap.add_argument("--query", action="append", help=f"a query (repeatable; default {' / '.join(QUERIES)})")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path, help="also write the searches as JSON here")
    args = ap.parse_args(argv)
    folder = args.out or (HERE / "out" / f"build-{args.posts}-s1" if args.posts else None)
    if folder is None or not (folder / "pagefind" / "units.json").is_file():
        print("需要一个已生成、带搜索索引的站点：--out 文件夹，或 --posts N（先运行 bench/run.py --posts N）。", file=sys.stderr)
        return 2
    found = measure(folder, tuple(args.query or QUERIES), args.runs)
    print(report(folder, found))
    if args.json:
        args.json.write_text(json.dumps({"shards": shards(folder), "searches": [asdict(s) for s in found]}, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
