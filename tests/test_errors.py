"""Every content error an author can make is reported with file, line and a Chinese message."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import one_post, post_text, run_cli, site_files, write_site

from generator.build.builder import Builder, BuildOptions

GOOD = post_text("好文章", "2026-03-05", "通知公告", "正文")

# name -> (files, expected path, expected line, fragments that must all be in the message)
CASES: dict[str, tuple[dict[str, str | bytes], str, int, tuple[str, ...]]] = {
    "no-front-matter": (
        {"content/jx/a.md": "# 标题\n\n正文\n"},
        "content/jx/a.md", 1, ("缺少 front-matter", "---", "title"),
    ),
    "front-matter-not-closed": (
        {"content/jx/a.md": "---\ntitle: 标题\ndate: 2026-03-05\n正文\n"},
        "content/jx/a.md", 1, ("没有结束", "---"),
    ),
    "yaml-syntax": (
        {"content/jx/a.md": "---\ntitle: 标题\ndate: 2026-03-05\nsection: 通知公告\ntags: [a, b\n---\n正文\n"},
        "content/jx/a.md", 5, ("YAML 格式有误", "方括号"),
    ),
    "full-width-colon": (
        {"content/jx/a.md": "---\ntitle：标题\ndate: 2026-03-05\nsection: 通知公告\n---\n正文\n"},
        "content/jx/a.md", 2, ("全角冒号", "title: …"),
    ),
    "tab-indent": (
        {"content/jx/a.md": "---\ntitle: 标题\ndate: 2026-03-05\nsection: 通知公告\ntags:\n\t- 学习\n---\n正文\n"},
        "content/jx/a.md", 6, ("Tab", "空格"),
    ),
    "gbk": (
        {"content/jx/a.md": post_text("标题", "2026-03-05", "通知公告", "正文内容").encode("gbk")},
        "content/jx/a.md", 2, ("不是 UTF-8", "GBK"),
    ),
    "missing-title": (
        {"content/jx/a.md": "---\ndate: 2026-03-05\nsection: 通知公告\n---\n正文\n"},
        "content/jx/a.md", 1, ("缺少标题", "title:"),
    ),
    "empty-title": (
        {"content/jx/a.md": "---\ntitle: ''\ndate: 2026-03-05\nsection: 通知公告\n---\n正文\n"},
        "content/jx/a.md", 2, ("标题 title 是空的",),
    ),
    "missing-date": (
        {"content/jx/a.md": "---\ntitle: 标题\nsection: 通知公告\n---\n正文\n"},
        "content/jx/a.md", 1, ("缺少日期", "2026-03-05"),
    ),
    "missing-section": (
        {"content/jx/a.md": "---\ntitle: 标题\ndate: 2026-03-05\n---\n正文\n"},
        "content/jx/a.md", 1, ("缺少栏目", "通知公告、党建动态、支部生活、特色阵地"),
    ),
    "impossible-date": (
        {"content/jx/a.md": post_text("标题", "2026-02-30", "通知公告")},
        "content/jx/a.md", 3, ("2026-02-30", "不存在", "2026年2月只有 28 天"),
    ),
    "bad-date-format": (
        {"content/jx/a.md": post_text("标题", "三月五日", "通知公告")},
        "content/jx/a.md", 3, ("格式不对", "2026-03-05 14:30"),
    ),
    "unknown-section": (
        {"content/jx/a.md": post_text("标题", "2026-03-05", "通知")},
        "content/jx/a.md", 4, ("栏目“通知”不存在", "通知公告、党建动态、支部生活、特色阵地"),
    ),
    "unknown-meeting": (
        {"content/jx/a.md": post_text("标题", "2026-03-05", "支部生活", meeting="支部委员", branch="jx-jg1")},
        "content/jx/a.md", 5, ("会议类型“支部委员”不存在", "支部委员会", "主题党日"),
    ),
    "unknown-branch": (
        {"content/jx/a.md": post_text("标题", "2026-03-05", "支部生活", meeting="支部委员会", branch="jx-jg9")},
        "content/jx/a.md", 6, ("支部“jx-jg9”", "jx-jg1（机械工程学院第一教工党支部）", "jx-xs1"),
    ),
    "unknown-category": (
        {"content/jx/a.md": post_text("标题", "2026-03-05", "通知公告", category="学习")},
        "content/jx/a.md", 5, ("分类“学习”不存在", "理论学习", "通知公示"),
    ),
    "branch-meeting-without-branch": (
        {"content/jx/a.md": post_text("标题", "2026-03-05", "支部生活", meeting="主题党日")},
        "content/jx/a.md", 5, ("主题党日", "branch:", "jx-jg1"),
    ),
    "missing-attachment": (
        {"content/jx/a.md": post_text("标题", "2026-03-05", "通知公告", attachments=["签到表.pdf"])},
        "content/jx/a.md", 5, ("附件“签到表.pdf”不存在",),
    ),
    "attachment-outside-unit": (
        {
            "content/jx/a.md": post_text("标题", "2026-03-05", "通知公告", attachments=["../jy/x.pdf"]),
            "content/jy/_unit.toml": 'name = "经济学院党委"\nkind = "教学单位"\n',
            "content/jy/x.pdf": b"%PDF-1.4\n",
        },
        "content/jx/a.md", 5, ("不在本单位的文件夹", "content/jx/"),
    ),
    "duplicate-slug": (
        {"content/jx/2025/a.md": GOOD, "content/jx/2026/a.md": GOOD},
        "content/jx/2026/a.md", 1, ("“a”与 content/jx/2025/a.md 重复",),
    ),
    "slug-claims-column-path": (
        {"content/jx/notices.md": GOOD},
        "content/jx/notices.md", 1, ("notices", "冲突"),
    ),
    "unit-without-unit-toml": (
        {"content/wuming/a.md": GOOD},
        "content/wuming", 1, ("缺少 _unit.toml", "name"),
    ),
    "duplicate-key": (
        {"content/jx/a.md": "---\ntitle: 标题\ndate: 2026-03-05\nsection: 通知公告\ntitle: 另一个标题\n---\n正文\n"},
        "content/jx/a.md", 5, ("重复", "第 2 行"),
    ),
    "duplicate-key-alias": (
        {"content/jx/a.md": "---\ntitle: 标题\ndate: 2026-03-05\nsection: 通知公告\n标题: 另一个标题\n---\n正文\n"},
        "content/jx/a.md", 5, ("重复", "第 2 行"),
    ),
}


def _problems(site: Path):
    return Builder(BuildOptions(site, drafts=True)).check()


def _one_post_case(files: dict[str, str | bytes], path: str) -> bool:
    """A case about one post's own text: parsed at the string level (`conftest.one_post`).
    Every case also goes through the real `check` and `build`, all at once, in
    test_check_reports_every_error_at_once_without_traceback."""
    return set(files) == {path} == {"content/jx/a.md"}


@pytest.fixture(scope="module")
def case_files(tmp_path_factory) -> dict:
    """The facts the load stage finds for a one-post case's site (the unit, ok.md, a.md)."""
    return site_files(tmp_path_factory.mktemp("case") / "site", {"content/jx/ok.md": GOOD, "content/jx/a.md": ""})


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_case_is_located_and_explained(name: str, tmp_path: Path, case_files: dict) -> None:
    files, path, line, fragments = CASES[name]
    if _one_post_case(files, path):
        data = files[path]
        found, _ = one_post(data if isinstance(data, bytes) else data.encode("utf-8"), case_files)
    else:
        found = _problems(write_site(tmp_path / "site", {"content/jx/ok.md": GOOD, **files}))
    problems = [p for p in found if p.is_error]
    hits = [p for p in problems if p.path == path and p.line == line and all(f in p.message for f in fragments)]
    assert hits, f"expected {path}:{line} with {fragments}, got:\n" + "\n".join(p.format() for p in problems)


def test_output_collision_names_both_sources(tmp_path: Path) -> None:
    # A unit folder named like a site section page collides with the site's own pages.
    site = write_site(tmp_path / "site", {"content/jx/ok.md": GOOD, "content/tags/_unit.toml": 'name = "标签党委"\n'})
    problems = [p for p in _problems(site) if p.is_error]
    assert any(p.path == "content/tags/_unit.toml" and "冲突" in p.message for p in problems), [p.format() for p in problems]


def test_post_slug_colliding_case_insensitively_with_attachment(tmp_path: Path) -> None:
    # A bundle's attachment and another post both claim jx/<slug>/<name>: two outputs, one path.
    files = {
        "content/jx/ok.md": GOOD,
        "content/jx/hui/index.md": post_text("包", "2026-03-05", "通知公告", attachments=["INDEX.HTML"]),
        "content/jx/hui/INDEX.HTML": "<p>x</p>",
    }
    site = write_site(tmp_path / "site", files)
    problems = [p for p in _problems(site) if p.is_error]
    assert any("两个输出使用同一路径" in p.message and "jx/hui/index.html" in p.message and "jx/hui/INDEX.HTML" in p.message for p in problems), [
        p.format() for p in problems
    ]


def test_bom_is_accepted(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/jx/a.md": b"\xef\xbb\xbf" + GOOD.encode("utf-8")})
    result = Builder(BuildOptions(site, tmp_path / "out")).build()
    assert result.ok, [p.format() for p in result.problems]
    assert "好文章" in (tmp_path / "out/jx/a/index.html").read_text("utf-8")


def test_unknown_key_is_a_warning_naming_the_closest(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/jx/a.md": post_text("标题", "2026-03-05", "通知公告", catgory="理论学习")})
    problems = _problems(site)
    assert not any(p.is_error for p in problems)
    warn = [p for p in problems if p.path == "content/jx/a.md" and p.line == 5]
    assert warn and "“category”" in warn[0].message and warn[0].severity.value == "warning"


def test_check_reports_every_error_at_once_without_traceback(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"content/jx/ok.md": GOOD}
    expected: list[tuple[str, int]] = []
    for name, (case_files, path, line, _) in sorted(CASES.items()):
        for rel, data in case_files.items():
            if rel == "content/jx/_unit.toml" or rel.startswith("content/jy/") or rel.startswith("content/wuming/"):
                files[rel] = data
                continue
            # give every case its own file name so they coexist in one site
            new = rel.replace("content/jx/", f"content/jx/{name}/", 1)
            files[new] = data
        new_path = path.replace("content/jx/", f"content/jx/{name}/", 1) if path.startswith("content/jx/") else path
        expected.append((new_path, line))
    # cases whose meaning depends on their own relative paths
    files["content/jx/attachment-outside-unit/a.md"] = post_text("标题", "2026-03-05", "通知公告", attachments=["../../jy/x.pdf"])
    site = write_site(tmp_path / "site", files)
    out = tmp_path / "out"
    proc = run_cli("check", str(site))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    printed = proc.stderr
    for path, line in expected:
        assert f"{path}:{line}: 错误：" in printed, f"{path}:{line} missing from:\n{printed}"
    build = run_cli("build", str(site), "-o", str(out))
    assert build.returncode == 1 and "Traceback" not in build.stderr
    assert not out.exists() or not any(out.rglob("*.html")), "a failed build must not publish"


def test_failed_build_leaves_previous_output_untouched(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/jx/a.md": GOOD})
    out = tmp_path / "out"
    assert run_cli("build", str(site), "-o", str(out), "--as-of", "2026-06-30").returncode == 0
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    (site / "content/jx/b.md").write_text(post_text("坏", "2026-02-30", "通知公告"), encoding="utf-8")
    (site / "content/jx/a.md").write_text(GOOD.replace("正文", "改过的正文"), encoding="utf-8")
    proc = run_cli("build", str(site), "-o", str(out), "--as-of", "2026-06-30")
    assert proc.returncode == 1
    assert "content/jx/b.md:3: 错误：" in proc.stderr
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert after == before


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    proc = run_cli("build", str(tmp_path / "nope"))
    assert proc.returncode == 2 and "找不到站点文件夹" in proc.stderr
    proc = run_cli("build", "--as-of", "2026-13-01")
    assert proc.returncode == 2 and "YYYY-MM-DD" in proc.stderr
    proc = run_cli("frobnicate")
    assert proc.returncode == 2 and "用法错误" in proc.stderr


def test_bad_site_toml_is_reported_with_line(tmp_path: Path) -> None:
    config = '[site]\ntitle = "党建"\ntimezone = "Mars/Base"\n\n[compare]\ngreen = 2\n'
    site = write_site(tmp_path / "site", {"content/jx/a.md": GOOD}, config=config)
    proc = run_cli("check", str(site))
    assert proc.returncode == 1
    assert "site.toml:3: 错误：[site] timezone “Mars/Base” 不是有效的时区" in proc.stderr
    assert "site.toml:6: 错误：[compare] green 应当是 0 到 1 之间的小数" in proc.stderr


def test_toml_syntax_errors_are_explained_in_chinese(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        {"content/jx/ok.md": GOOD, "content/jx/_unit.toml": 'name = "机械工程学院党委"\n[[branches]]\nid：= "a"\n'},
        config='[site]\ntitle = 党建\n',
    )
    proc = run_cli("check", str(site))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "site.toml:2: 错误：TOML 语法错误：值的写法不对：文字要加英文双引号" in proc.stderr
    site2 = write_site(tmp_path / "site2", {"content/jx/ok.md": GOOD, "content/jx/_unit.toml": 'name = "机械工程学院党委"\n[[branches]]\nid：= "a"\n'})
    proc = run_cli("check", str(site2))
    assert "content/jx/_unit.toml:3: 错误：TOML 语法错误：键名后面缺少等号“=”" in proc.stderr and "全角冒号" in proc.stderr
