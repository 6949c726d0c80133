"""The quick no-op check (`build.quick`): ``liangshai build`` answered from file stamps, never where a build is due.

Every test builds with `build.quick.build_once`, the function ``liangshai
build`` runs, and asks `quick.check` (the quick check alone) what it would
answer; a change it must see makes it say "not sure" (None), and the build
that follows is then the full check's and the builder's, equal to a clean build.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, commit_all, git_init, post_text, run_cli, write_site

from generator.build import quick
from generator.build.result import BuildOptions
from generator.core.errors import Severity

AS_OF = dt.date(2026, 6, 30)
FILES: dict[str, str | bytes] = {
    "content/jx/2026/a.md": post_text("三月支部委员会", "2026-03-05", "支部生活", "学习。", meeting="支部委员会", branch="jx-jg1"),
    "content/jx/2026/b.md": post_text("四月通知", "2026-04-01", "通知公告", "请参加。"),
}


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and not p.name.startswith(".liangshai")}


@pytest.fixture
def built(tmp_path: Path):
    site = write_site(tmp_path / "site", dict(FILES))
    options = BuildOptions(site, tmp_path / "out", as_of=AS_OF, jobs=1)
    first = quick.build_once(options)
    assert first.ok and first.rendered, [p.format() for p in first.problems]
    assert quick.check(options)[0] is not None  # the record of the first build answers the next
    return site, options


def _clean(site: Path, options: BuildOptions, tmp_path: Path) -> dict[str, bytes]:
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    assert quick.build_once(BuildOptions(site, clean, options.drafts, options.as_of, jobs=1)).ok
    return tree(clean)


def _bump(path: Path) -> None:
    """A later mtime, as an editor's save gives (the test may run within one clock tick)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


def test_the_quick_answer_is_the_full_checks(built) -> None:
    _site, options = built
    answer, found = quick.check(options)
    assert answer is not None and found is not None
    assert answer.rendered == () and answer.written == () and answer.ok
    out = options.output
    assert answer.outputs == len((out / ".liangshai-outputs").read_text("utf-8").split())
    (out / quick.QUICK_FILE).unlink()  # the full check alone: the same answer, and the record again
    full = quick.build_once(options)
    assert full.rendered == () and full.outputs == answer.outputs and full.problems == answer.problems
    assert quick.check(options)[0] is not None


@pytest.mark.parametrize(
    "change",
    ["edit a post", "add a post", "delete a post", "an editor's swap file", "site.toml", "a theme file", "an output deleted", "a build of another day", "drafts"],
)
def test_every_change_makes_it_unsure_and_the_build_that_follows_is_a_clean_builds(built, tmp_path: Path, change: str) -> None:
    site, options = built
    out = options.output
    if change == "edit a post":
        (site / "content/jx/2026/b.md").write_text(post_text("四月通知", "2026-04-01", "通知公告", "请准时参加。"), encoding="utf-8")
        _bump(site / "content/jx/2026/b.md")
    elif change == "add a post":
        (site / "content/jx/2026/c.md").write_text(post_text("五月通知", "2026-05-01", "通知公告", "新。"), encoding="utf-8")
    elif change == "delete a post":
        (site / "content/jx/2026/b.md").unlink()
    elif change == "an editor's swap file":
        (site / "content/jx/2026/.a.md.swp").write_bytes(b"vim")  # discover ignores it: the full check finds a no-op
    elif change == "site.toml":
        (site / "site.toml").write_text("[site]\npage_size = 1\n", encoding="utf-8")
    elif change == "a theme file":
        css = site / "themes/default/static/extra.css"
        css.parent.mkdir(parents=True)
        css.write_text("body { color: #222; }\n", encoding="utf-8")
    elif change == "an output deleted":
        (out / "jx/b/index.html").unlink()
    elif change == "a build of another day":
        options = BuildOptions(site, out, as_of=dt.date(2026, 7, 31), jobs=1)
    elif change == "drafts":
        options = BuildOptions(site, out, drafts=True, as_of=AS_OF, jobs=1)
    assert quick.check(options)[0] is None
    result = quick.build_once(options)
    assert result.ok, [p.format() for p in result.problems]
    assert tree(out) == _clean(site, options, tmp_path)
    if change == "an editor's swap file":
        assert result.rendered == ()
    assert quick.check(options)[0] is not None  # recorded again: the next no-op is a quick one


def test_a_new_commit_another_builds_write_and_a_symlink_make_it_unsure(built) -> None:
    site, options = built
    git_init(site)
    commit_all(site, "录入", "2026-06-01T10:00:00+08:00")
    assert quick.check(options)[0] is None  # the history is an input: the compare pages read it
    assert quick.build_once(options).ok and quick.check(options)[0] is not None
    # another build (serve's, an older liangshai's) wrote the folder since: the record no longer speaks for it,
    # even when the sources are back as they were (same bytes, same stamps)
    from generator.build.builder import Builder

    recorded = quick.check(options)[1]
    b = site / "content/jx/2026/b.md"
    original, st = b.read_bytes(), b.stat()
    b.write_text(post_text("四月通知", "2026-04-01", "通知公告", "改。"), encoding="utf-8")
    assert Builder(BuildOptions(site, options.out_dir, as_of=AS_OF, jobs=1)).build().ok
    b.write_bytes(original)
    os.utime(b, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = quick.scan(options)
    assert recorded is not None and again is not None and again.key == recorded.key
    assert quick.check(options)[0] is None
    assert "jx/b/index.html" in quick.build_once(options).rendered
    assert "请参加" in (options.output / "jx/b/index.html").read_text("utf-8")
    (site / "content/jx/link.md").symlink_to(site / "content/jx/2026/b.md")
    assert quick.scan(options) is None  # discover follows a linked file: its own stamp says nothing


def test_an_edit_made_while_a_build_runs_is_never_taken_for_built(built) -> None:
    site, options = built
    (site / "content/jx/2026/b.md").write_text(post_text("四月通知", "2026-04-01", "通知公告", "一。"), encoding="utf-8")
    _bump(site / "content/jx/2026/b.md")
    answer, found = quick.check(options)
    assert answer is None and found is not None
    # the author saves again after the scan, before the builder reads the file
    (site / "content/jx/2026/b.md").write_text(post_text("四月通知", "2026-04-01", "通知公告", "二。"), encoding="utf-8")
    os.utime(site / "content/jx/2026/b.md", ns=((st := (site / "content/jx/2026/b.md").stat()).st_atime_ns, st.st_mtime_ns + 2 * 10**9))
    from generator.build.inputs import build_checked

    result, day = build_checked(options)
    assert result.ok and day is not None
    quick.save(options.output, found, result, day)  # the scan taken before the build: the stamps of "一"
    assert quick.check(options)[0] is None  # "二" is on disk: not a no-op
    assert "二" in (options.output / "jx/b/index.html").read_text("utf-8")


def test_the_full_check_takes_the_scans_stamps_and_finds_what_its_own_walk_finds(built) -> None:
    site, options = built
    git_init(site)
    commit_all(site, "录入", "2026-06-01T10:00:00+08:00")
    (site / "content/jx/2026/b.md").write_text(post_text("四月通知", "2026-04-01", "通知公告", "改。"), encoding="utf-8")
    _bump(site / "content/jx/2026/b.md")
    (site / "content/jx/2026/c.md").write_text(post_text("五月通知", "2026-05-01", "通知公告", "新。"), encoding="utf-8")
    (site / "content/jx/2026/sheet.pdf").write_bytes(b"%PDF-1.4 not really")
    from generator.build.inputs import find_inputs
    from generator.write.state import load_key

    answer, scan = quick.check(options)
    assert answer is None and scan is not None and scan.head
    seen = scan.seen()
    assert str(site.resolve() / "content/jx/2026/c.md") in seen and not any("/themes/" in path or path.endswith("/") for path in seen)
    noop = load_key(options.output)
    taken = find_inputs(site.resolve(), options, noop, noop.documents, scan)
    own = find_inputs(site.resolve(), options, noop, noop.documents)
    assert (taken.sources, taken.head, taken.key) == (own.sources, own.head, own.key)
    assert taken.key is not None and "content/jx/2026/c.md" in taken.sources.posts


def test_stamps_a_scan_took_before_a_later_save_make_the_next_build_read_it_again(built, tmp_path: Path) -> None:
    site, options = built
    b = site / "content/jx/2026/b.md"
    b.write_text(post_text("四月通知", "2026-04-01", "通知公告", "一。"), encoding="utf-8")
    _bump(b)
    answer, scan = quick.check(options)
    assert answer is None and scan is not None
    # saved again after the scan, before the full check: the build reads "二" under the stamps of "一"
    b.write_text(post_text("四月通知", "2026-04-01", "通知公告", "二。"), encoding="utf-8")
    os.utime(b, ns=((st := b.stat()).st_atime_ns, st.st_mtime_ns + 2 * 10**9))
    from generator.build.inputs import build_checked

    result, day = build_checked(options, scan)
    assert result.ok and day is not None and "二" in (options.output / "jx/b/index.html").read_text("utf-8")
    quick.save(options.output, scan, result, day)
    assert quick.check(options)[0] is None
    again = quick.build_once(options)  # the stamps on disk are not the ones recorded: read again, never taken for built
    assert again.ok and "content/jx/2026/b.md" in again.parsed and "jx/b/index.html" not in again.rendered  # (its page holds "二" already)
    assert tree(options.output) == _clean(site, options, tmp_path)
    assert quick.check(options)[0] is not None


def test_the_day_bounds_and_a_build_that_began_before_midnight(tmp_path: Path, built) -> None:
    site, options = built
    tz = dt.timezone(dt.timedelta(hours=8))
    start, end = quick.day_bounds(dt.date(2026, 6, 30), tz, fixed=False)
    assert end - start == 86400 and dt.datetime.fromtimestamp(start, tz) == dt.datetime(2026, 6, 30, tzinfo=tz)
    assert quick.day_bounds(dt.date(2026, 6, 30), tz, fixed=True) == (float("-inf"), float("inf"))
    today = quick.day_bounds(dt.date.today(), dt.UTC, fixed=False)
    opts = BuildOptions(site, options.out_dir, jobs=1)  # no --as-of: today's pages
    result = quick.build_once(opts)
    assert result.ok and quick.check(opts)[0] is not None
    answer, found = quick.check(opts)
    assert answer is not None and found is not None
    quick.save(opts.output, quick.Scan(found.key, today[0] - 1), answer, today)  # began the day before
    assert not (opts.output / quick.QUICK_FILE).exists() and quick.check(opts)[0] is None
    quick.save(opts.output, quick.Scan(found.key, 5.0), answer, (0.0, 10.0))  # a record of a day long gone
    assert quick.check(opts)[0] is None


def test_a_damaged_record_is_no_answer(built) -> None:
    _site, options = built
    for damage in (b"", b"\x00garbage", (options.output / quick.QUICK_FILE).read_bytes()[:-7]):
        (options.output / quick.QUICK_FILE).write_bytes(damage)
        assert quick.check(options)[0] is None
        result = quick.build_once(options)
        assert result.ok and result.rendered == ()  # the full check's no-op
        assert quick.check(options)[0] is not None


def test_the_cli_repeats_warnings_and_held_posts_from_the_record(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        {**FILES, "content/jx/2026/bad.md": post_text("坏", "2026-13-40", "通知公告", "x")},  # a.md: a warning (a short record)
    )
    out = tmp_path / "out"
    build = ("build", str(site), "-o", str(out), "--as-of", "2026-06-30", "--keep-going")
    first = run_cli(*build)
    assert (out / quick.QUICK_FILE).exists(), first.stderr
    again = run_cli(*build)
    assert (again.returncode, again.stderr) == (first.returncode, first.stderr) and first.returncode != 0
    assert [line for line in again.stdout.splitlines() if not line.startswith("已生成")] == [line for line in first.stdout.splitlines() if not line.startswith("已生成")]
    assert "渲染 0 页" in again.stdout and "渲染 0 页" not in first.stdout
    answer = quick.check(BuildOptions(site, out, as_of=AS_OF, keep_going=True))[0]
    assert answer is not None and answer.held == ("content/jx/2026/bad.md",)
    assert {p.severity for p in answer.problems} >= {Severity.ERROR, Severity.WARNING}


def test_the_quick_check_imports_neither_the_model_nor_the_state(built) -> None:
    site, options = built
    code = (
        "import sys, datetime as dt; from pathlib import Path; from generator.build import quick; from generator.build.result import BuildOptions;"
        f"r = quick.check(BuildOptions(Path({str(site)!r}), Path({str(options.out_dir)!r}), as_of=dt.date(2026, 6, 30)))[0];"
        "print(r is not None, sorted(m for m in sys.modules if m.startswith('generator')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    answered, modules = proc.stdout.split(" ", 1)
    assert answered == "True"
    for heavy in ("generator.core.model", "generator.core.settings", "generator.write.state", "generator.load.config", "generator.build.records"):
        assert heavy not in modules, heavy
