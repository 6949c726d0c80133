"""The build end to end: defaults, pages, theme fallback, determinism, `new`."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from conftest import post_text, run_cli, write_site
from hostile_files import TINY_PNG, tiny_pdf

from generator.build.builder import Builder, BuildOptions


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


SMALL = {
    "content/jx/2026/weiyuanhui-3.md": post_text(
        "第一教工党支部召开3月支部委员会", "2026-03-12 14:30", "支部生活", "## 议题\n\n1. 学习\n2. 发展党员\n",
        meeting="支部委员会", branch="jx-jg1", category="组织生活", tags=["三会一课"],
    ),
    "content/jx/2026/tongzhi.md": post_text("关于开展主题党日活动的通知", "2026-03-01", "通知公告", "请各支部按时参加。", category="通知公示"),
    "content/jx/2026/dongtai.md": post_text("学院党委召开党委会", "2026-03-20", "党建动态", "研究了三项议题。", meeting="党委会"),
    "content/jx/2026/zhendi/index.md": post_text("特色阵地：红色机械馆", "2026-04-01", "特色阵地", "![展馆](zhanguan.png)\n\n项目进展顺利。", attachments=["方案.pdf"]),
    # real files: since issue 16 a PDF the scan cannot read, or an image it cannot clean, is an error
    "content/jx/2026/zhendi/方案.pdf": tiny_pdf(),
    "content/jx/2026/zhendi/zhanguan.png": TINY_PNG,
    "content/jx/2026/caogao.md": post_text("草稿", "2026-04-02", "通知公告", "未完成", draft="true"),
}


def test_site_without_site_toml_builds_with_defaults(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", SMALL)
    out = tmp_path / "out"
    result = Builder(BuildOptions(site, out, as_of=dt.date(2026, 6, 30))).build()
    assert result.ok, [p.format() for p in result.problems]
    files = tree(out)
    for page in (
        "index.html", "404.html", "jx/index.html", "jx/notices/index.html", "jx/news/index.html", "jx/branch-life/index.html",
        "jx/features/index.html", "jx/branch/jx-jg1/index.html", "jx/branch/jx-xs1/index.html", "jx/weiyuanhui-3/index.html",
        "jx/zhendi/index.html", "jx/zhendi/方案.pdf", "jx/zhendi/zhanguan.png", "sections/notices/index.html", "tags/index.html",
        "archive/index.html", "archive/2026/index.html", "archive/2026/03/index.html",
    ):
        assert page in files, page
    assert "jx/caogao/index.html" not in files, "drafts are left out without --drafts"
    post = files["jx/weiyuanhui-3/index.html"].decode()
    assert ">第一教工党支部召开3月支部委员会</h1>" in post and post.count("<h1") == 1
    assert "支部委员会" in post and "机械工程学院第一教工党支部" in post and "组织生活" in post
    assert 'href="../../jx/branch/jx-jg1/index.html"' in post
    bundle = files["jx/zhendi/index.html"].decode()
    assert 'href="../../jx/zhendi/%E6%96%B9%E6%A1%88.pdf"' in bundle and "PDF 文档" in bundle
    assert 'src="zhanguan.png"' in bundle
    home = files["index.html"].decode()
    assert "机械工程学院党委" in home and "教学单位" in home
    assert home.count("<h1>") == 1


def test_drafts_flag_includes_drafts(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", SMALL)
    result = Builder(BuildOptions(site, tmp_path / "out", drafts=True, as_of=dt.date(2026, 6, 30))).build()
    assert result.ok
    assert "草稿" in (tmp_path / "out/jx/caogao/index.html").read_text("utf-8")


def test_two_clean_builds_are_byte_identical(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", SMALL)
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert run_cli("build", str(site), "-o", str(out), "--as-of", "2026-06-30").returncode == 0
    assert tree(a) == tree(b)


def test_rebuild_prunes_deleted_post_and_keeps_unchanged_mtime(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", SMALL)
    out = tmp_path / "out"
    opts = BuildOptions(site, out, as_of=dt.date(2026, 6, 30))
    assert Builder(opts).build().ok
    keep = out / "jx/dongtai/index.html"
    mtime = keep.stat().st_mtime_ns
    (site / "content/jx/2026/tongzhi.md").unlink()
    result = Builder(opts).build()
    assert result.ok
    assert not (out / "jx/tongzhi").exists()
    assert "jx/tongzhi/index.html" in result.deleted
    assert keep.stat().st_mtime_ns == mtime


def test_theme_falls_back_template_by_template(tmp_path: Path) -> None:
    files = dict(SMALL)
    files["themes/school/templates/post.html"] = '{% extends "base.html" %}{% block main %}<h1 class="school">{{ post.title }}</h1>{{ body|safe }}{% endblock %}'
    files["themes/school/static/style.css"] = "body { color: #123456; }"
    site = write_site(tmp_path / "site", files, config='[site]\ntheme = "school"\n')
    out = tmp_path / "out"
    result = Builder(BuildOptions(site, out, as_of=dt.date(2026, 6, 30))).build()
    assert result.ok, [p.format() for p in result.problems]
    post = (out / "jx/weiyuanhui-3/index.html").read_text("utf-8")
    assert '<h1 class="school">' in post
    assert '<a class="skip"' in post, "base.html still comes from the default theme"
    unit = (out / "jx/index.html").read_text("utf-8")
    assert 'class="school"' not in unit and "<h1>机械工程学院党委</h1>" in unit
    css = re.search(r'href="[./]*(assets/style\.[0-9a-f]+\.css)"', unit)
    assert css and (out / css.group(1)).read_text() == "body { color: #123456; }"
    assert (out / next(p for p in tree(out) if p.startswith("assets/site."))).stat().st_size > 100, "site.js falls back to the default theme"


def test_missing_theme_and_broken_template_are_located(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", SMALL, config='[site]\ntheme = "nope"\n')
    proc = run_cli("build", str(site), "-o", str(tmp_path / "o1"))
    assert proc.returncode == 1 and "找不到主题“nope”" in proc.stderr and "Traceback" not in proc.stderr
    files = dict(SMALL)
    files["themes/default/templates/unit.html"] = '{% extends "base.html" %}\n{% block main %}\n{{ unit.nme }}\n{% endblock %}\n'
    site2 = write_site(tmp_path / "site2", files)
    proc = run_cli("build", str(site2), "-o", str(tmp_path / "o2"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "unit.html:3: 错误：模板使用了未定义的变量" in proc.stderr
    assert not (tmp_path / "o2").exists() or not any((tmp_path / "o2").rglob("*.html"))


def test_new_writes_a_skeleton_that_passes_check(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", SMALL)
    proc = run_cli("new", str(site), "--unit", "jx", "--section", "支部生活", "--meeting", "主题党日", "--branch", "jx-jg1", "--title", "三月主题党日")
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.strip())
    text = path.read_text("utf-8")
    assert "\ntitle: 三月主题党日\n" in text and "meeting: 主题党日" in text and "branch: jx-jg1" in text
    assert run_cli("check", str(site)).returncode == 0
    bad = run_cli("new", str(site), "--unit", "jx", "--section", "支部生活", "--meeting", "主题党日")
    assert bad.returncode == 2 and "--branch" in bad.stderr and "jx-jg1" in bad.stderr
    bad = run_cli("new", str(site), "--unit", "nope", "--section", "支部生活")
    assert bad.returncode == 2 and "可选：jx" in bad.stderr


def test_pagination_of_long_columns(tmp_path: Path) -> None:
    """Numbered pages count from the oldest post; the front page holds the newest rest (page_size to 2 × page_size - 1)."""
    files = {f"content/jx/n{i:02d}.md": post_text(f"通知{i:02d}", f"2026-01-{i + 1:02d}", "通知公告") for i in range(25)}
    site = write_site(tmp_path / "site", files, config="[site]\npage_size = 10\n")
    out = tmp_path / "out"
    assert Builder(BuildOptions(site, out, as_of=dt.date(2026, 6, 30))).build().ok
    assert (out / "jx/notices/page/1/index.html").exists() and not (out / "jx/notices/page/2").exists()
    first = (out / "jx/notices/index.html").read_text("utf-8")
    assert "通知24" in first and "通知10" in first and "通知09" not in first and "共 25 篇" in first
    assert 'rel="next" href="../../jx/notices/page/1/index.html"' in first and 'aria-current="page">最新<' in first
    oldest = (out / "jx/notices/page/1/index.html").read_text("utf-8")
    assert "通知00" in oldest and "通知09" in oldest and "通知10" not in oldest
    assert 'rel="prev" href="../../../../jx/notices/index.html"' in oldest and 'rel="next"' not in oldest
    assert "第 1 页（分页从最早的文章编起，第 1 页最早）" in oldest
    # five more posts: page 1 keeps its posts, page 2 splits off the front page
    for i in range(25, 30):
        (site / f"content/jx/n{i:02d}.md").write_text(post_text(f"通知{i:02d}", f"2026-02-{i - 24:02d}", "通知公告"), encoding="utf-8")
    assert Builder(BuildOptions(site, out, as_of=dt.date(2026, 6, 30))).build().ok
    page1 = (out / "jx/notices/page/1/index.html").read_text("utf-8")
    assert "通知00" in page1 and "通知09" in page1 and "通知10" not in page1
    page2 = (out / "jx/notices/page/2/index.html").read_text("utf-8")
    assert "通知10" in page2 and "通知19" in page2 and "通知20" not in page2
    first = (out / "jx/notices/index.html").read_text("utf-8")
    assert "通知29" in first and "通知20" in first and "通知19" not in first


def test_demo_site_builds_every_page_and_every_link_resolves(demo_build: Path, demo_model) -> None:
    # conftest: the CLI build of the demo (exit 0 asserted there) and its loaded model, shared and read only
    out, model = demo_build, demo_model
    assert len(model.units) >= 6 and len(model.posts) >= 120
    for u in model.units:
        assert (out / u.slug / "index.html").exists()
        for b in u.branches:
            assert (out / u.slug / "branch" / b.id / "index.html").exists()
        for s in model.config.sections:
            assert (out / u.slug / s.key / "index.html").exists()
    for p in model.posts:
        assert (out / p.unit / p.slug / "index.html").exists()
    broken = []
    for html in out.rglob("*.html"):
        if html.name == "404.html":
            continue
        for ref in re.findall(r'(?:href|src)="([^"]+)"', html.read_text("utf-8")):
            if re.match(r"^[a-z]+:", ref) or ref.startswith("#"):
                continue
            from urllib.parse import unquote

            target = (html.parent / unquote(ref.split("#")[0].split("?")[0])).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{html.relative_to(out)} → {ref}")
    assert not broken, broken[:20]
