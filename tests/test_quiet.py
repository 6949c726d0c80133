"""Issue 15: a build that changed nothing does not repeat the notes (提示) it printed before.

The notes (e.g. the ``privacy_ok`` acknowledgements) are shown when their post is built
or checked; the saved build state keeps them, so ``check`` still lists every one.
"""

from __future__ import annotations

from pathlib import Path

from conftest import post_text, run_cli, write_site

LINE = 7  # the body: after ---, title, date, section, privacy_ok and the closing ---
NOTE = "content/jx/a.md:{line}:8: 提示：已确认公开：手机号码“138****8000”（front-matter 中 privacy_ok 已列出）。"


def _post(body: str) -> str:
    return post_text("通知", "2026-03-05", "通知公告", body, privacy_ok='["138-0013-8000"]')


def test_notes_are_printed_when_the_post_is_built_not_on_a_noop_build(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/jx/a.md": _post("党办值班手机 138-0013-8000。"), "content/jx/b.md": post_text("另一篇", body="正文。")})
    out = tmp_path / "out"
    build = ("build", str(site), "-o", str(out), "--as-of", "2026-11-27")
    note = NOTE.format(line=LINE)

    first = run_cli(*build)
    assert first.returncode == 0, first.stderr
    assert note in first.stdout

    again = run_cli(*build)  # nothing changed: a no-op build
    assert again.returncode == 0, again.stderr
    assert "提示" not in again.stdout.replace("另有 1 条提示", ""), again.stdout
    assert "另有 1 条提示涉及的文章没有改动，不再重复显示（liangshai check 会全部列出）。" in again.stdout

    checked = run_cli("check", str(site))
    assert checked.returncode == 0, checked.stderr
    assert note in checked.stdout

    # another post changed: a's note is not repeated; a changed: it is shown again
    (site / "content/jx/b.md").write_text(post_text("另一篇", body="改过的正文。"), encoding="utf-8")
    other = run_cli(*build)
    assert other.returncode == 0 and note not in other.stdout, other.stdout
    (site / "content/jx/a.md").write_text(_post("党办值班手机 138-0013-8000，欢迎来电。"), encoding="utf-8")
    changed = run_cli(*build)
    assert changed.returncode == 0 and note in changed.stdout, changed.stdout
