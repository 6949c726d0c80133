"""`liangshai publish`: releases, atomic switch of `current`, --keep, --rollback, locking.

Everything runs the real command (``python -m generator publish``) on real
folders; the demo site at the repository root is published too.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO, post_text, run_cli, write_site

from generator.commands.publish import MANIFEST, RELEASE_RE, release_name, releases_to_keep, scan_tree, tree_hash

AS_OF = "2026-11-27"


def small_site(root: Path, n: int = 0, css: str | None = None) -> Path:
    files: dict[str, str | bytes] = {
        "content/jx/2026/committee-03.md": post_text(title="三月支部委员会", date="2026-03-05", branch="jx-jg1", meeting="支部委员会"),
        "content/jx/2026/dongtai.md": post_text(title=f"党建动态第 {n} 期", date="2026-04-01", section="党建动态", body=f"第 {n} 次修改的正文。"),
    }
    if css is not None:
        files["themes/default/static/style.css"] = css
    return write_site(root, files)


def publish(site: Path, webroot: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("publish", str(site), "--to", str(webroot), "--as-of", AS_OF, *extra)


def rollback(webroot: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("publish", "--to", str(webroot), "--rollback")


def releases(webroot: Path) -> list[str]:
    folder = webroot / "releases"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def current(webroot: Path) -> str:
    target = os.readlink(webroot / "current")
    assert target.startswith("releases/"), f"current 应当是相对链接 releases/…，实际是 {target}"
    return target.split("/", 1)[1]


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr


def public_files(root: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not any(part.startswith(".") for part in rel.split("/")):
            out[rel] = p.read_bytes()
    return out


# -- pure helpers ---------------------------------------------------------------


def test_release_names_sort_in_publishing_order():
    t = dt.datetime(2026, 11, 27, 8, 0, 0, 500000, tzinfo=dt.UTC)
    first = release_name(t, "ffff" * 16, [])
    assert first == "20261127T080000Z-ffffffff"
    # same second, smaller hash: still later by name
    second = release_name(t, "0000" * 16, [first])
    assert second == "20261127T080001Z-00000000" and second > first
    # a clock that went back an hour
    third = release_name(t - dt.timedelta(hours=1), "1234" * 16, [first, second])
    assert third > second and RELEASE_RE.match(third)
    # Beijing time is converted to UTC
    bj = dt.datetime(2026, 11, 27, 16, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert release_name(bj, "ab" * 32, []).startswith("20261127T080000Z-")


def test_releases_to_keep_always_keeps_current():
    names = ["20260101T000000Z-aaaaaaaa", "20260102T000000Z-bbbbbbbb", "20260103T000000Z-cccccccc"]
    assert releases_to_keep(names, 2, names[2]) == set(names[1:])
    assert releases_to_keep(names, 1, names[0]) == {names[0], names[2]}


def test_tree_hash_depends_on_paths_and_bytes(tmp_path):
    a = tmp_path / "a"
    (a / "x").mkdir(parents=True)
    (a / "x" / "index.html").write_text("1")
    (a / ".liangshai-state.json").write_text("{}")
    files = scan_tree(a)
    assert list(files) == ["x/index.html"], "隐藏文件不应参与哈希，也不应发布"
    h = tree_hash(files)
    assert tree_hash(dict(reversed(list(files.items())))) == h
    (a / "x" / "index.html").write_text("2")
    assert tree_hash(scan_tree(a)) != h
    (a / "x" / "index.html").write_text("1")
    (a / "x" / "index.html").rename(a / "x" / "other.html")
    assert tree_hash(scan_tree(a)) != h


# -- publishing -----------------------------------------------------------------


def test_publish_creates_release_equal_to_build_and_switches_current(tmp_path):
    site = small_site(tmp_path / "site")
    webroot = tmp_path / "www"
    proc = publish(site, webroot)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    [name] = releases(webroot)
    assert RELEASE_RE.match(name), name
    assert current(webroot) == name
    assert (webroot / "current").is_symlink()
    assert f"已发布 releases/{name}" in proc.stdout

    release = webroot / "releases" / name
    # what is published is exactly what `build` produces, minus hidden files
    built = run_cli("build", str(site), "-o", str(tmp_path / "out"), "--as-of", AS_OF)
    assert built.returncode == 0, built.stderr
    assert list((tmp_path / "out").glob(".liangshai-*")), "build 的输出里应当有隐藏的状态文件"
    assert public_files(release) == public_files(tmp_path / "out")
    hidden = sorted(p.name for p in release.rglob(".*"))
    assert hidden == [MANIFEST], f"发布目录只应有一个隐藏文件（版本清单），实际：{hidden}"
    manifest = json.loads((release / MANIFEST).read_text("utf-8"))
    assert manifest["hash"] == tree_hash(scan_tree(release))
    assert name.endswith(manifest["hash"][:8])
    # readable by the web server user whatever the umask
    for p in release.rglob("*"):
        mode = p.stat().st_mode & 0o777
        assert mode == (0o755 if p.is_dir() else 0o644), f"{p}: {oct(mode)}"
    assert not [p for p in webroot.iterdir() if p.name.startswith((".build-", "current.tmp-"))]


def test_unchanged_content_creates_no_release(tmp_path):
    site = small_site(tmp_path / "site")
    webroot = tmp_path / "www"
    assert publish(site, webroot).returncode == 0
    before = releases(webroot)
    proc = publish(site, webroot)
    assert proc.returncode == 0, proc.stderr
    assert "内容未变化，未创建新版本" in proc.stdout
    assert releases(webroot) == before
    assert current(webroot) == before[0]


def test_changed_content_new_release_reuses_unchanged_files(tmp_path):
    site = small_site(tmp_path / "site", n=1)
    webroot = tmp_path / "www"
    assert publish(site, webroot).returncode == 0
    [first] = releases(webroot)
    small_site(site, n=2)
    proc = publish(site, webroot)
    assert proc.returncode == 0, proc.stderr
    names = releases(webroot)
    assert len(names) == 2 and names[0] == first
    second = names[1]
    assert current(webroot) == second
    old, new = webroot / "releases" / first, webroot / "releases" / second
    post = "jx/dongtai/index.html"
    assert "第 2 次修改" in (new / post).read_text("utf-8")
    assert "第 1 次修改" in (old / post).read_text("utf-8"), "旧版本发布后不应再被修改"
    # an unchanged page is the same inode (hard link): no space, same mtime/ETag
    same = "jx/committee-03/index.html"
    assert (old / same).read_bytes() == (new / same).read_bytes()
    assert (old / same).stat().st_ino == (new / same).stat().st_ino
    assert (old / post).stat().st_ino != (new / post).stat().st_ino
    assert "与上一版本相同" in proc.stdout


def test_previous_fingerprinted_assets_are_carried_over(tmp_path):
    site = small_site(tmp_path / "site", css="body { color: #111; }\n")
    webroot = tmp_path / "www"
    assert publish(site, webroot).returncode == 0
    [first] = releases(webroot)
    old_css = sorted(p.name for p in (webroot / "releases" / first / "assets").glob("style.*.css"))
    assert len(old_css) == 1
    small_site(site, css="body { color: #222; }\n")
    assert publish(site, webroot).returncode == 0
    second = current(webroot)
    new_dir = webroot / "releases" / second
    new_css = re.search(r'href="(assets/style\.[0-9a-f]+\.css)"', (new_dir / "index.html").read_text("utf-8")).group(1)
    assert new_css != f"assets/{old_css[0]}"
    # a page from the first release, fetched just before the switch, still finds its CSS
    assert (new_dir / "assets" / old_css[0]).read_text() == "body { color: #111; }\n"
    manifest = json.loads((new_dir / MANIFEST).read_text("utf-8"))
    assert manifest["carried"] == [f"assets/{old_css[0]}"]
    assert f"assets/{old_css[0]}" not in manifest["files"], "沿用的旧样式表不参与内容哈希"


def test_keep_prunes_old_releases(tmp_path):
    site = small_site(tmp_path / "site", n=0)
    webroot = tmp_path / "www"
    made = []
    for n in range(1, 5):
        small_site(site, n=n)
        proc = publish(site, webroot, "--keep", "2")
        assert proc.returncode == 0, proc.stderr
        made.append(current(webroot))
    assert releases(webroot) == made[-2:]
    assert current(webroot) == made[-1]
    assert "按 --keep 2 删除了旧版本" in proc.stdout and made[-3] in proc.stdout
    # --keep 1 keeps only the new current one
    small_site(site, n=5)
    proc = publish(site, webroot, "--keep", "1")
    assert proc.returncode == 0, proc.stderr
    assert releases(webroot) == [current(webroot)]


def test_rollback_switches_to_previous_release(tmp_path):
    site = small_site(tmp_path / "site", n=1)
    webroot = tmp_path / "www"
    assert publish(site, webroot).returncode == 0
    small_site(site, n=2)
    assert publish(site, webroot).returncode == 0
    first, second = releases(webroot)
    assert current(webroot) == second

    proc = rollback(webroot)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert current(webroot) == first
    assert f"current 从 releases/{second} 切换到 releases/{first}" in proc.stdout
    assert "第 1 次修改" in (webroot / "current" / "jx/dongtai/index.html").read_text("utf-8")
    assert releases(webroot) == [first, second], "回退不删除任何版本"

    # nothing older than the first release
    proc = rollback(webroot)
    assert proc.returncode == 2
    assert "没有比当前版本" in proc.stderr and "无法回退" in proc.stderr
    no_traceback(proc)
    assert current(webroot) == first

    # the rolled-back content published again is "unchanged"
    small_site(site, n=1)
    proc = publish(site, webroot)
    assert proc.returncode == 0 and "内容未变化" in proc.stdout, proc.stdout + proc.stderr
    assert current(webroot) == first
    # new content after a rollback becomes a new, newest release
    small_site(site, n=3)
    assert publish(site, webroot).returncode == 0
    third = current(webroot)
    assert third > second and releases(webroot) == [first, second, third]


def test_rollback_without_any_release_is_a_usage_error(tmp_path):
    proc = rollback(tmp_path / "nothing-here")
    assert proc.returncode == 2
    assert "还没有发布过" in proc.stderr
    no_traceback(proc)
    (tmp_path / "empty").mkdir()
    proc = rollback(tmp_path / "empty")
    assert proc.returncode == 2 and "还没有发布过" in proc.stderr


def test_failed_build_publishes_nothing(tmp_path):
    site = small_site(tmp_path / "site", n=1)
    webroot = tmp_path / "www"
    assert publish(site, webroot).returncode == 0
    [good] = releases(webroot)
    before = public_files(webroot / "current")
    (site / "content/jx/2026/broken.md").write_text("---\ntitle: 缺少日期\nsection: 支部生活\n---\n正文\n", encoding="utf-8")
    small_site(site, n=2)  # a good change next to the broken file must not be published either
    proc = publish(site, webroot)
    no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(r"content/jx/2026/broken\.md:\d+: 错误：", proc.stderr), proc.stderr
    assert "发布中止" in proc.stderr and f"releases/{good}" in proc.stderr
    assert releases(webroot) == [good]
    assert current(webroot) == good
    assert public_files(webroot / "current") == before
    assert sorted(p.name for p in webroot.iterdir()) == [".liangshai-history.json", ".liangshai-publish.lock", "current", "releases"], "失败的发布不应留下临时文件"


def test_usage_errors_are_chinese_with_exit_2(tmp_path):
    site = small_site(tmp_path / "site")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    cases = [
        (["--to", str(a_file)], "不是文件夹"),
        (["--to", str(tmp_path / "no" / "such" / "dir")], "上级文件夹"),
        (["--to", str(tmp_path / "www"), "--keep", "0"], "--keep 至少为 1"),
    ]
    for args, text in cases:
        proc = run_cli("publish", str(site), *args)
        no_traceback(proc)
        assert proc.returncode == 2, (args, proc.stderr)
        assert text in proc.stderr, (args, proc.stderr)
    # `current` that is a real folder (a hand-made web root) is never replaced
    webroot = tmp_path / "manual"
    (webroot / "current").mkdir(parents=True)
    (webroot / "current" / "index.html").write_text("手工放置的网站")
    proc = publish(site, webroot)
    no_traceback(proc)
    assert proc.returncode == 2 and "不是符号链接" in proc.stderr
    assert (webroot / "current" / "index.html").read_text() == "手工放置的网站"
    assert not (webroot / "releases").exists()
    # `current` pointing somewhere else
    other = tmp_path / "other"
    other.mkdir()
    (other / "current").symlink_to("/srv/elsewhere")
    proc = publish(site, other)
    assert proc.returncode == 2 and "不是本工具发布的版本" in proc.stderr


def test_publish_refuses_missing_site(tmp_path):
    proc = run_cli("publish", str(tmp_path / "nope"), "--to", str(tmp_path / "www"))
    assert proc.returncode == 2 and "找不到站点文件夹" in proc.stderr


def test_leftovers_of_an_interrupted_publish_are_cleaned(tmp_path):
    site = small_site(tmp_path / "site", n=1)
    webroot = tmp_path / "www"
    assert publish(site, webroot).returncode == 0
    (webroot / ".build-crashed").mkdir()
    (webroot / ".build-crashed" / "index.html").write_text("半成品")
    (webroot / "releases" / ".incoming-20990101T000000Z-deadbeef").mkdir()
    (webroot / "current.tmp-123-abcd").symlink_to("releases/x")
    (webroot / ".liangshai-history.json.tmp-123-abcd").write_text("{")
    small_site(site, n=2)
    assert publish(site, webroot).returncode == 0
    assert sorted(p.name for p in webroot.iterdir()) == [".liangshai-history.json", ".liangshai-publish.lock", "current", "releases"]
    assert all(RELEASE_RE.match(n) for n in releases(webroot))


def test_publish_waits_for_the_lock(tmp_path):
    """A second publish blocks on the flock until the first one is done."""
    site = small_site(tmp_path / "site", n=1)
    webroot = tmp_path / "www"
    assert publish(site, webroot).returncode == 0
    small_site(site, n=2)
    fd = os.open(webroot / ".liangshai-publish.lock", os.O_RDWR)
    err_file = tmp_path / "stderr.txt"
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # we play the part of a publish in progress
        with err_file.open("w") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "generator", "publish", str(site), "--to", str(webroot), "--as-of", AS_OF],
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        deadline = time.monotonic() + 120
        while "等待它完成" not in err_file.read_text("utf-8") and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "等待它完成" in err_file.read_text("utf-8"), err_file.read_text("utf-8")
        time.sleep(0.5)
        assert proc.poll() is None, "锁被占用时，发布应当等待"
        assert len(releases(webroot)) == 1
        assert not [p for p in webroot.iterdir() if p.name.startswith(".build-")], "等锁期间不应开始生成"
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, err_file.read_text("utf-8")
    assert "已发布" in out
    assert len(releases(webroot)) == 2


def test_concurrent_publishes_are_serialised(tmp_path):
    webroot = tmp_path / "www"
    sites = [small_site(tmp_path / f"site{n}", n=n) for n in range(4)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "generator", "publish", str(s), "--to", str(webroot), "--as-of", AS_OF, "--keep", "10"],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for s in sites
    ]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, results, strict=False):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    names = releases(webroot)
    assert len(names) == 4 and all(RELEASE_RE.match(n) for n in names)
    assert len({n.split("-")[1] for n in names}) == 4, "四个不同内容应得到四个版本"
    assert current(webroot) == names[-1], "current 指向最后完成的发布（名字最大）"
    for n in names:
        m = json.loads((webroot / "releases" / n / MANIFEST).read_text("utf-8"))
        assert m["hash"] == tree_hash(scan_tree(webroot / "releases" / n)), f"{n} 不完整"
    assert sorted(p.name for p in webroot.iterdir()) == [".liangshai-history.json", ".liangshai-publish.lock", "current", "releases"]


# -- the demo site ----------------------------------------------------------------


def demo_available() -> bool:
    content = REPO / "content"
    return content.is_dir() and any((d / "_unit.toml").exists() for d in content.iterdir() if d.is_dir())


def test_publish_demo_site(tmp_path):
    assert demo_available(), "仓库根目录的示例站点 content/ 还没有单位"
    webroot = tmp_path / "www"
    t0 = time.perf_counter()
    proc = publish(REPO, webroot)
    first_seconds = time.perf_counter() - t0
    no_traceback(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [name] = releases(webroot)
    release = webroot / "releases" / name
    for page in ("index.html", "404.html", "compare/index.html", "archive/index.html", "tags/index.html"):
        assert (release / page).is_file(), page
    units = [d.name for d in (REPO / "content").iterdir() if (d / "_unit.toml").exists()]
    for u in units:
        assert (release / u / "index.html").is_file(), u
    assert not (release / ".liangshai-state.json").exists()
    # deterministic: publishing the same demo again is "unchanged"
    proc = publish(REPO, webroot)
    assert proc.returncode == 0, proc.stderr
    assert "内容未变化，未创建新版本" in proc.stdout
    assert releases(webroot) == [name]
    print(f"demo publish: {first_seconds:.1f}s, {sum(1 for _ in release.rglob('*.html'))} HTML files")
