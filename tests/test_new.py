"""`liangshai new` (issue 15): several meetings, --date, readable file names, asking in a terminal, check after filling in."""

from __future__ import annotations

import datetime as dt
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, run_cli, write_site

from generator.commands.new import NewPost, NewPostError, create_post, split_meetings
from generator.parse.probable import BODY_PLACEHOLDER, DATE_COMMENT, TITLE_PLACEHOLDER

TODAY = dt.date(2026, 12, 2)


def _new(site: Path, **kw: object) -> Path:
    request = NewPost(**{"unit": "jx", "section": "支部生活", **kw})  # type: ignore[arg-type]
    return create_post(site, request, today=TODAY)


def _front(path: Path) -> list[str]:
    text = path.read_text("utf-8")
    return text.split("\n---\n", 1)[0].split("\n")[1:]


def test_meetings_repeated_or_separated_are_all_kept(tmp_path: Path) -> None:
    assert split_meetings(["主题党日", "支委会、党课", "党员大会，小组会;组织生活会"]) == ("主题党日", "支委会", "党课", "党员大会", "小组会", "组织生活会")
    site = write_site(tmp_path / "site", {})
    path = _new(site, meetings=("主题党日", "支委会", "党课", "支部委员会"), branch="jx-jg1")
    assert _front(path) == [
        "title: 机械工程学院第一教工党支部主题党日、支部委员会、党课",
        DATE_COMMENT,
        "date: 2026-12-02",
        "section: 支部生活",
        "meeting:",
        "- 主题党日",
        "- 支部委员会",
        "- 党课",
        "branch: jx-jg1",
        "# category: 组织生活",
        "# tags: []",
        "# attachments: []",
    ]
    with pytest.raises(NewPostError, match=r"^“三会一课”是支部党员大会、支部委员会、党小组会、党课的统称"):
        _new(site, meetings=("三会一课",), branch="jx-jg1")
    with pytest.raises(NewPostError, match=r"^“主题党日、党课”是支部的会议，请用 --branch 指定支部"):
        _new(site, meetings=("主题党日", "党课"))


def test_date_given_is_written_without_the_note(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {})
    path = _new(site, meetings=("支委会",), branch="第一教工党支部", day=dt.date(2026, 3, 15), title="3月支委会")
    assert path == site / "content/jx/2026/20260315-3-yue-zhi-wei-hui.md"
    assert _front(path)[:4] == ["title: 3月支委会", "date: 2026-03-15", "section: 支部生活", "meeting: 支部委员会"]
    # a post that is not a meeting record has today's date and no note either
    notice = _new(site, section="通知公告")
    assert notice == site / "content/jx/2026/20261202-notices.md"
    assert DATE_COMMENT not in notice.read_text("utf-8") and f"title: {TITLE_PLACEHOLDER}" in notice.read_text("utf-8")
    # a notice of a meeting only mentions it: no record's title, template or date note
    announced = _new(site, section="通知公告", meetings=("主题党日",), branch="jx-jg1")
    assert announced.name == "20261202-theme-day-jx-jg1.md"
    assert _front(announced)[:4] == [f"title: {TITLE_PLACEHOLDER}", "date: 2026-12-02", "section: 通知公告", "meeting: 主题党日"]
    assert announced.read_text("utf-8").endswith(f"---\n\n{BODY_PLACEHOLDER}\n")


def test_file_names_are_readable_and_never_collide(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {})
    title = "第一教工党支部召开3月支部委员会"
    names = [_new(site, meetings=("支委会",), branch="jx-jg1", title=title).name for _ in range(3)]
    assert names == [
        "20261202-di-yi-jiao-gong-dang-zhi-bu-zhao-kai-3-yue-zhi.md",
        "20261202-di-yi-jiao-gong-dang-zhi-bu-zhao-kai-3-yue-zhi-2.md",
        "20261202-di-yi-jiao-gong-dang-zhi-bu-zhao-kai-3-yue-zhi-3.md",
    ]
    assert _new(site, meetings=("支委会",), branch="jx-jg1").name == "20261202-committee-jx-jg1.md"
    assert _new(site, meetings=("主题党日", "党课"), branch="jx-jg1", title="2026").name == "20261202-theme-day-lecture-jx-jg1.md"
    assert _new(site, section="通知公告", title="“两会”精神 学习！").name == "20261202-liang-hui-jing-shen-xue-xi.md"


def test_new_then_check_warns_until_the_placeholders_are_filled(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {})
    proc = run_cli("新建", str(site), "--unit", "jx", "--section", "支部生活", "--meeting", "主题党日,党课", "--branch", "jx-jg1")
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.strip())
    assert proc.stderr == f"下一步：用编辑器打开这个文件，填写标题、日期和正文，然后运行 liangshai check {path} 检查。\n"
    rel = path.relative_to(site).as_posix()
    checked = run_cli("check", str(site))
    assert checked.returncode == 0, checked.stderr
    assert [line for line in checked.stdout.splitlines() if line.startswith(rel)] == [
        f"{rel}:3: 警告：日期还没有确认：这是新建时的日期。会议记录的 date 应当是会议召开的那一天；改好日期后，请删除这一行提示（含“【请改为会议日期】”）。",
        f"{rel}:14: 警告：正文还是新建时的会议记录模板，请填写时间、地点、主持人、记录人、出席人数、议题和议定事项。",
    ]
    lines = path.read_text("utf-8").split("\n")
    lines.remove(DATE_COMMENT)
    text = "\n".join(lines).replace("date: " + lines[2][6:], "date: 2026-03-12")
    text = text.replace("- 时间：", "- 时间：2026年3月12日下午").replace("- 地点：", "- 地点：学院会议室").replace("1. \n", "1. 学习全国两会精神\n")
    path.write_text(text, encoding="utf-8")
    checked = run_cli("check", str(path))
    assert checked.returncode == 0 and rel not in checked.stdout + checked.stderr, checked.stdout + checked.stderr


def _read_until(fd: int, marker: str, seen: bytearray, timeout: float = 20.0) -> str:
    """What the process wrote to the terminal, up to and including ``marker``."""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no {marker!r} in {seen.decode('utf-8', 'replace')!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the process ended and closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    text = seen.decode("utf-8", "replace")
    del seen[:]
    return text


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_new_asks_for_each_field_in_a_terminal(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {})
    master, slave = os.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "generator", "new", str(site)], stdin=slave, stdout=slave, stderr=slave, cwd=REPO, env=env, close_fds=True)
    os.close(slave)
    seen = bytearray()
    try:
        shown = _read_until(master, "请选择单位（序号或名称）：", seen)
        assert "单位：\r\n  1. jx（机械工程学院党委）" in shown
        os.write(master, b"1\n")
        shown = _read_until(master, "请选择栏目（序号或名称）：", seen)
        assert "  3. 支部生活" in shown
        os.write(master, "支部生活\n".encode())
        shown = _read_until(master, "不是会议记录直接回车）：", seen)
        assert "  5. 主题党日" in shown
        os.write(master, "5、党课\n".encode())
        shown = _read_until(master, "（支部的会议必须选）：", seen)
        assert "  1. jx-jg1（机械工程学院第一教工党支部）" in shown
        os.write(master, b"jx-jg9\n")  # wrong: said, and asked again
        shown = _read_until(master, "（支部的会议必须选）：", seen)
        assert "支部“jx-jg9”不在 content/jx/_unit.toml 中。" in shown
        os.write(master, b"1\n")
        _read_until(master, "直接回车为今天）：", seen)
        os.write(master, "2026年3月15日\n".encode())
        _read_until(master, "标题（直接回车则用支部（或单位）名称加会议名称）：", seen)
        os.write(master, "三月主题党日暨党课\n".encode())
        shown = _read_until(master, "检查。", seen)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    path = site / "content/jx/2026/20260315-san-yue-zhu-ti-dang-ri-ji-dang-ke.md"
    assert f"{path}\r\n下一步：" in shown
    assert _front(path)[:7] == ["title: 三月主题党日暨党课", "date: 2026-03-15", "section: 支部生活", "meeting:", "- 主题党日", "- 党课", "branch: jx-jg1"]
    assert BODY_PLACEHOLDER not in path.read_text("utf-8")
