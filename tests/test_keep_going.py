"""``--keep-going`` (issue 20): one unit's mistake does not stop the others.

A post with errors of its own is held back — the site is made as if it did not
exist — and everything else is published; the command names the held-back
posts with their errors (file:line) and exits 3. Errors that are not one post's
(site.toml, a ``_unit.toml``) still stop everything (exit 1). Real CLI runs,
real incremental builds, and the published release served by real nginx.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest
from conftest import UNIT_TOML, post_text, run_cli, write_site

from generator.build.builder import Builder, BuildOptions, blocking, held_back, owner_post
from generator.core.errors import Kind, error, warning

AS_OF = "2026-11-27"
BROKEN = "content/jx/2026/broken-minutes.md"
BROKEN_TITLE = "暂缓发布的坏纪要"
# a javascript: link in the body (line 8): an error of the post itself, found while its body is
# rendered, when the post has been parsed already (so it is left out by --keep-going, not by parsing)
BAD_LINK = "见[会议材料](javascript:alert(1))。"
BROKEN_TEXT = post_text(title=BROKEN_TITLE, date="2026-05-06", body=BAD_LINK, branch="jx-jg1", meeting="支部委员会")
NEW = {
    "content/wy/2026/wy-new.md": post_text(title="外语学院新纪要", date="2026-05-07", branch="wy-jg1", meeting="支部委员会"),
    "content/hx/2026/hx-new.md": post_text(title="化学学院新纪要", date="2026-05-08", branch="hx-jg1", meeting="支部委员会"),
}


def _unit(slug: str, name: str, order: int) -> str:
    return UNIT_TOML.replace("机械工程学院", name).replace("jx-", f"{slug}-").replace("order = 10", f"order = {order}")


def three_units(root: Path) -> Path:
    return write_site(
        root,
        {
            "content/wy/_unit.toml": _unit("wy", "外国语学院", 20),
            "content/hx/_unit.toml": _unit("hx", "化学学院", 30),
            "content/jx/2026/jx-old.md": post_text(title="机械学院三月纪要", branch="jx-jg1", meeting="支部委员会"),
            "content/wy/2026/wy-old.md": post_text(title="外语学院三月纪要", branch="wy-jg1", meeting="支部委员会"),
            "content/hx/2026/hx-old.md": post_text(title="化学学院三月纪要", branch="hx-jg1", meeting="支部委员会"),
        },
    )


def add_changes(site: Path) -> None:
    write_site(site, {BROKEN: BROKEN_TEXT, **NEW}, unit=False)


def texts(root: Path) -> dict[str, str]:
    """Every published file as text (gzipped search shards unpacked), hidden files left out."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if not p.is_file() or any(part.startswith(".") for part in rel.split("/")):
            continue
        data = p.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        out[rel] = data.decode("utf-8", "replace")
    return out


def assert_nothing_of_the_broken_post(root: Path) -> None:
    for rel, text in texts(root).items():
        assert "broken-minutes" not in rel, rel
        assert "broken-minutes" not in text and BROKEN_TITLE not in text, rel


# -- pure functions -------------------------------------------------------------------


def test_owner_post_of_a_file_and_of_a_bundle_attachment() -> None:
    posts = ("content/jx/a.md", "content/jx/b/index.md")
    assert owner_post("content/jx/a.md", posts) == "content/jx/a.md"
    assert owner_post("content/jx/b/名单.csv", posts) == "content/jx/b/index.md"
    assert owner_post("content/jx/b/img/x.jpg", posts) == "content/jx/b/index.md"
    assert owner_post("content/jx/_unit.toml", posts) is None and owner_post("site.toml", posts) is None


def test_only_a_posts_own_content_errors_hold_it_back() -> None:
    posts = ("content/jx/a.md", "content/wy/b.md")
    problems = [
        error("content/jx/a.md", 3, "坏"),
        warning("content/wy/b.md", 2, "只是警告"),
        error("content/jx/_unit.toml", 1, "单位文件坏"),
        error("content/wy/b.md", 1, "主题坏", kind=Kind.THEME),
    ]
    held = held_back(problems, posts)
    assert held == ("content/jx/a.md",)
    # the unit file's and the theme's errors still stop the build
    assert [p.path for p in blocking(problems, held)] == ["content/jx/_unit.toml", "content/wy/b.md"]
    assert blocking(problems[:2], held) == []


# -- builds ---------------------------------------------------------------------------


def test_build_keep_going_holds_back_and_incremental_state_stays_right(tmp_path: Path) -> None:
    site = three_units(tmp_path / "site")
    out = tmp_path / "out"
    first = run_cli("build", str(site), "-o", str(out), "--as-of", AS_OF, "--keep-going")
    assert first.returncode == 0, first.stderr
    add_changes(site)

    plain = run_cli("build", str(site), "-o", str(out), "--as-of", AS_OF)
    assert plain.returncode == 1 and "wy-new" not in "".join(texts(out))  # without the option: nothing written

    held = run_cli("build", str(site), "-o", str(out), "--as-of", AS_OF, "--keep-going")
    assert held.returncode == 3, held.stdout + held.stderr
    assert "Traceback" not in held.stderr
    assert "以下 1 篇文章有错误，已暂缓发布" in held.stderr and f"{BROKEN}:8: 错误：" in held.stderr, held.stderr
    assert (out / "wy/wy-new/index.html").is_file() and (out / "hx/hx-new/index.html").is_file()
    assert_nothing_of_the_broken_post(out)
    compare = json.loads((out / "data/compare.json").read_text("utf-8"))
    assert "broken-minutes" not in json.dumps(compare, ensure_ascii=False)

    # the same again: a no-op build still says so, with exit 3
    again = run_cli("build", str(site), "-o", str(out), "--as-of", AS_OF, "--keep-going")
    assert again.returncode == 3 and f"{BROKEN}:8" in again.stderr

    # fixed: the held post is parsed again and published; a clean build gives the same files
    (site / BROKEN).write_text(BROKEN_TEXT.replace(BAD_LINK, "见会议材料。"), encoding="utf-8")
    fixed = run_cli("build", str(site), "-o", str(out), "--as-of", AS_OF, "--keep-going")
    assert fixed.returncode == 0, fixed.stderr
    assert BROKEN_TITLE in (out / "jx/broken-minutes/index.html").read_text("utf-8")
    assert BROKEN_TITLE in (out / "jx/index.html").read_text("utf-8")
    clean = tmp_path / "clean"
    assert run_cli("build", str(site), "-o", str(clean), "--as-of", AS_OF).returncode == 0
    assert texts(out) == texts(clean)


def test_keep_going_incremental_equals_clean_while_held(tmp_path: Path) -> None:
    site = three_units(tmp_path / "site")
    out, clean = tmp_path / "out", tmp_path / "clean"
    opts = dict(as_of=dt.date(2026, 11, 27), keep_going=True, jobs=1)
    assert Builder(BuildOptions(site, out, **opts)).build().ok
    add_changes(site)
    inc = Builder(BuildOptions(site, out, **opts)).build()
    assert inc.ok and inc.held == (BROKEN,)
    full = Builder(BuildOptions(site, clean, **opts)).build()
    assert full.ok and full.held == (BROKEN,)
    assert texts(out) == texts(clean)


def test_unit_file_error_still_stops_everything(tmp_path: Path) -> None:
    site = three_units(tmp_path / "site")
    add_changes(site)
    (site / "content/hx/_unit.toml").write_text('name = "化学学院"\norder = "三十"\n', encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli("build", str(site), "-o", str(out), "--as-of", AS_OF, "--keep-going")
    assert proc.returncode == 1 and "content/hx/_unit.toml" in proc.stderr and "Traceback" not in proc.stderr
    assert not (out / "wy/wy-new/index.html").exists()


# -- publish through nginx ------------------------------------------------------------


@pytest.mark.nginx
def test_publish_keep_going_serves_the_others_through_nginx(tmp_path: Path) -> None:
    import os

    from nginx_util import public_dir, require_nginx, running_nginx

    require_nginx()
    site = three_units(tmp_path / "site")
    with public_dir() as root:
        webroot = root / "www"
        first = run_cli("publish", str(site), "--to", str(webroot), "--as-of", AS_OF, "--keep-going")
        assert first.returncode == 0, first.stdout + first.stderr
        before = os.readlink(webroot / "current")
        add_changes(site)

        refused = run_cli("publish", str(site), "--to", str(webroot), "--as-of", AS_OF)
        assert refused.returncode == 1 and os.readlink(webroot / "current") == before

        proc = run_cli("publish", str(site), "--to", str(webroot), "--as-of", AS_OF, "--keep-going")
        assert proc.returncode == 3, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr and f"{BROKEN}:8: 错误：" in proc.stderr and "已暂缓发布" in proc.stderr
        after = os.readlink(webroot / "current")
        assert after != before and "current 已切换到新版本" in proc.stdout
        assert_nothing_of_the_broken_post(webroot / after)
        with running_nginx(webroot) as nginx:
            for path, title in (("/wy/wy-new/", "外语学院新纪要"), ("/hx/hx-new/", "化学学院新纪要"), ("/jx/jx-old/", "机械学院三月纪要")):
                status, _, body = nginx.get(path)
                assert status == 200 and title in body.decode("utf-8"), (path, status)
            status, _, _ = nginx.get("/jx/broken-minutes/")
            assert status == 404
            status, _, body = nginx.get("/jx/")
            assert status == 200 and BROKEN_TITLE not in body.decode("utf-8") and "机械学院三月纪要" in body.decode("utf-8")
