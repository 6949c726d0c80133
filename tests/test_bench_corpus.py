"""The benchmark corpus generator (bench/corpus.py): deterministic, valid, with history."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, load_bench_script, run_cli

from generator.core.privacy import scan

POSTS = 60
CST = dt.timezone(dt.timedelta(hours=8))


corpus: Any = load_bench_script("corpus")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.relative_to(root).parts}


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def two_corpora(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("corpus")
    a, b = base / "a", base / "b"
    # one through the command line, one through the function: same seed, same result
    res = subprocess.run([sys.executable, str(REPO / "bench" / "corpus.py"), "--posts", str(POSTS), "--out", str(a), "--seed", "1"], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    corpus.generate(b, POSTS, seed=1)
    return a, b


def test_deterministic_bytes_and_commit_hashes(two_corpora, tmp_path):
    a, b = two_corpora
    fa, fb = _files(a), _files(b)
    assert fa == fb
    assert _git(a, "rev-parse", "HEAD") == _git(b, "rev-parse", "HEAD")
    assert _git(a, "log", "--format=%H") == _git(b, "log", "--format=%H")
    # the working tree is exactly the committed tree
    assert _git(a, "status", "--porcelain", "--untracked-files=all") == ""
    # another seed gives another corpus
    c = corpus.generate(tmp_path / "c", POSTS, seed=2)
    assert _files(c.root) != fa


def test_shape_of_the_corpus(two_corpora):
    a, _ = two_corpora
    units = sorted((a / "content").glob("*/_unit.toml"))
    assert len(units) == 21
    branches = sum(t.read_text(encoding="utf-8").count("[[branches]]") for t in units)
    assert branches == 293
    kinds = set(re.findall(r'^kind = "(.*)"$', "".join(t.read_text(encoding="utf-8") for t in units), re.M))
    assert {"教职工", "学生", "离退休", "教学单位", "机关"} <= kinds
    all_units = "".join(t.read_text(encoding="utf-8") for t in units)
    assert "groups = false" in all_units and "exempt = [" in all_units

    posts = sorted((a / "content").glob("*/*/*.md"))
    assert len(posts) == POSTS
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for p in posts:
        slug = p.stem
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug), slug
        assert slug not in corpus.RESERVED_SLUGS
        text = p.read_text(encoding="utf-8")
        _, fm, body = text.split("---\n", 2)
        assert p.parent.name == re.search(r"^(?:date|日期): (\d{4})", fm, re.M).group(1)
        assert 600 <= len(cjk.findall(body)) <= 3000, (p, len(cjk.findall(body)))
        assert not re.search(r"\d{11,}", text)
        assert scan(text) == [], p  # nothing the privacy check would flag


def test_corpus_is_a_valid_site(two_corpora):
    a, _ = two_corpora
    res = run_cli("check", str(a))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Traceback" not in res.stderr


def test_git_history_commits_after_the_posts_dates(two_corpora):
    a, _ = two_corpora
    log = _git(a, "log", "--reverse", "--format=%x01%ct", "--name-status", "--no-renames")
    first: dict[str, int] = {}
    times: list[int] = []
    for chunk in log.split("\x01")[1:]:
        head, _, rest = chunk.partition("\n")
        when = int(head)
        times.append(when)
        for line in rest.splitlines():
            if line.startswith("A\t"):
                first.setdefault(line[2:], when)
    assert times == sorted(times)
    assert len(times) > 10  # batched by simulated day, not one big commit
    posts = sorted((a / "content").glob("*/*/*.md"))
    lags = []
    for p in posts:
        rel = p.relative_to(a).as_posix()
        fm = p.read_text(encoding="utf-8").split("---\n", 2)[1]
        m = re.search(r"^(?:date|日期): (\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}))?$", fm, re.M)
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        hh, mm = int(m.group(4) or 0), int(m.group(5) or 0)
        posted = dt.datetime(y, mo, d, hh, mm, tzinfo=CST)
        assert rel in first, rel
        committed = dt.datetime.fromtimestamp(first[rel], CST)
        assert posted <= committed, (rel, posted, committed)
        lags.append((committed.date() - posted.date()).days)
        assert posted.date() <= corpus.AS_OF
    assert max(lags) <= 10 and min(lags) == 0
    # the site configuration came first
    assert first["content/jixie/_unit.toml"] == times[0]
