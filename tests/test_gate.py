"""The shared repository's gate (issue 20): check from any folder, check FILE…,
check --changed, check --authors, codeowners — real CLI, real git repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import commit_all, git, git_init, post_text, run_cli

BAD = "---\ntitle: 坏文章\ndate: 2026-13-45\nsection: 支部生活\n---\n正文。\n"


def _site(make_site, **extra: str) -> Path:
    return make_site(
        {
            "content/jx/good.md": post_text(title="好文章"),
            "content/jx/bad.md": BAD,
            **extra,
        }
    )


# -- 1. from any folder ------------------------------------------------------


def test_check_from_subfolder_finds_site_root(make_site):
    site = _site(make_site)
    (site / "site.toml").write_text("", encoding="utf-8")
    sub = site / "content" / "jx"
    r = run_cli("check", cwd=sub)
    assert r.returncode == 1, r.stderr
    # named relative to the site root, as from the root
    assert "content/jx/bad.md:" in r.stderr
    assert "Traceback" not in r.stderr
    # build shares the entry: from a sub-folder it builds the site into <site>/build
    (site / "content/jx/bad.md").unlink()
    r = run_cli("build", "-q", cwd=sub)
    assert r.returncode == 0, r.stderr
    assert (site / "build" / "index.html").is_file() and not (sub / "build").exists()


def test_check_site_argument_still_works(make_site):
    site = _site(make_site)
    r = run_cli("check", str(site))
    assert r.returncode == 1 and "content/jx/bad.md:" in r.stderr


# -- 2. check FILE… / check content/<unit> -----------------------------------


def test_check_one_file_ignores_other_posts(make_site):
    site = _site(make_site)
    r = run_cli("check", "content/jx/good.md", cwd=site)
    assert r.returncode == 0, r.stderr
    assert "bad.md" not in r.stdout + r.stderr
    assert "只检查了 1 篇文章" in r.stdout
    r = run_cli("check", "good.md", cwd=site / "content" / "jx")  # relative to the cwd
    assert r.returncode == 0, r.stderr
    r = run_cli("check", "bad.md", cwd=site / "content" / "jx")
    assert r.returncode == 1 and "content/jx/bad.md:" in r.stderr


def test_check_unit_folder(make_site):
    site = _site(make_site, **{"content/zz/_unit.toml": 'name = "组织部"\nkind = "机关"\n', "content/zz/ok.md": post_text()})
    assert run_cli("check", "content/zz", cwd=site).returncode == 0
    r = run_cli("check", "content/jx", cwd=site)
    assert r.returncode == 1 and "content/jx/bad.md:" in r.stderr


def test_slug_collision_with_unselected_post_is_reported(make_site):
    site = make_site({"content/jx/a.md": post_text(), "content/jx/A/index.md": post_text(title="另一篇")})
    r = run_cli("check", "content/jx/a.md", cwd=site)
    assert r.returncode == 1
    assert "content/jx/a.md:1" in r.stderr and "content/jx/A/index.md" in r.stderr and "重复" in r.stderr
    r = run_cli("check", "content/jx/A/index.md", cwd=site)
    assert r.returncode == 1 and "content/jx/a.md" in r.stderr


def test_unit_file_errors_are_reported_for_its_posts(make_site):
    site = make_site({"content/jx/_unit.toml": 'name = "x"\n[[branches]]\nid = 5\n', "content/jx/a.md": post_text()})
    r = run_cli("check", "content/jx/a.md", cwd=site)
    assert r.returncode == 1 and "content/jx/_unit.toml" in r.stderr


def test_selection_errors_are_chinese_usage_errors(make_site):
    site = _site(make_site)
    (site / "site.toml").write_text("", encoding="utf-8")
    for args, words in (
        (("site.toml",), "不在站点"),
        (("content/jx/_unit.toml",), "不是文章"),
        (("content/jx/nope.md",), "找不到"),
    ):
        r = run_cli("check", *args, cwd=site)
        assert r.returncode == 2, (args, r.stderr)
        assert words in r.stderr and "Traceback" not in r.stderr


# -- 3. check --changed --------------------------------------------------------


def _repo(make_site) -> Path:
    site = make_site({f"content/jx/p{i}.md": post_text(title=f"文章{i}") for i in range(5)})
    git_init(site)
    commit_all(site, "初始", "2026-03-01T10:00:00+08:00")
    return site


def test_changed_checks_only_changed_posts(make_site):
    site = _repo(make_site)
    git(site, "checkout", "-q", "-b", "feature")
    (site / "content/jx/p1.md").write_text(BAD, encoding="utf-8")
    commit_all(site, "坏了一篇", "2026-03-02T10:00:00+08:00")
    r = run_cli("check", "--changed", cwd=site / "content")
    assert r.returncode == 1 and "content/jx/p1.md:" in r.stderr
    assert "main" in r.stderr and "1 篇" in r.stderr
    # since HEAD: nothing changed (the broken post is committed), so it passes
    r = run_cli("check", "--changed", "HEAD", cwd=site)
    assert r.returncode == 0, r.stderr
    assert "0 篇" in r.stdout
    # uncommitted, untracked and deleted changes since HEAD
    (site / "content/jx/p2.md").write_text(BAD, encoding="utf-8")
    (site / "content/jx/new.md").write_text(BAD.replace("坏文章", "新文章"), encoding="utf-8")
    (site / "content/jx/p3.md").unlink()
    r = run_cli("check", "--changed", "HEAD", cwd=site)
    assert r.returncode == 1
    assert "content/jx/p2.md:" in r.stderr and "content/jx/new.md:" in r.stderr
    assert "content/jx/p1.md" not in r.stderr and "p3.md" not in r.stderr
    assert "2 篇" in r.stderr


def test_changed_default_base_falls_back_to_master(make_site):
    site = _repo(make_site)
    git(site, "branch", "-m", "main", "master")
    git(site, "checkout", "-q", "-b", "feature")
    (site / "content/jx/p4.md").write_text(BAD, encoding="utf-8")
    r = run_cli("check", "--changed", cwd=site)
    assert r.returncode == 1 and "content/jx/p4.md:" in r.stderr and "master" in r.stderr


def test_changed_without_main_or_git_says_why(make_site):
    site = _repo(make_site)
    git(site, "branch", "-m", "main", "trunk")
    r = run_cli("check", "--changed", cwd=site)
    assert r.returncode == 2 and "找不到主分支" in r.stderr and "--changed HEAD~1" in r.stderr
    r = run_cli("check", "--changed", "nosuchrev", cwd=site)
    assert r.returncode == 2 and "找不到“nosuchrev”" in r.stderr
    plain = make_site({"content/jx/a.md": post_text()})
    r = run_cli("check", "--changed", cwd=plain, env={"GIT_CEILING_DIRECTORIES": str(plain.parent)})
    assert r.returncode == 2 and "不在 git 仓库中" in r.stderr


# -- 4. ownership: editors, [gate] admins, check --authors, codeowners ----------

ZZ_UNIT = 'name = "组织部"\nkind = "机关"\neditors = ["zhang", "li@example.edu.cn"]\n'


def _commit_as(repo: Path, name: str, email: str, message: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo, check=True, env=env)
    return git(repo, "rev-parse", "--short", "HEAD").strip()


def _owned_repo(make_site) -> Path:
    site = make_site(
        {
            "content/jx/_unit.toml": "name = \"机械工程学院党委\"\nkind = \"教学单位\"\neditors = [\"wang\"]\n",
            "content/jx/a.md": post_text(),
            "content/zz/_unit.toml": ZZ_UNIT,
            "content/zz/b.md": post_text(title="组织部通知"),
        },
        config='[gate]\nadmins = ["admin@example.edu.cn"]\n',
    )
    git_init(site)
    _commit_as(site, "管理员", "admin@example.edu.cn", "初始")
    return site


def test_authors_reports_commits_outside_the_authors_units(make_site):
    site = _owned_repo(make_site)
    base = git(site, "rev-parse", "HEAD").strip()
    (site / "content/jx/a2.md").write_text(post_text(title="机械新文"), encoding="utf-8")
    _commit_as(site, "wang", "wang@example.edu.cn", "机械：新文章")  # own unit: fine
    (site / "content/zz/c.md").write_text(post_text(title="组织部新文"), encoding="utf-8")
    _commit_as(site, "某人", "LI@example.edu.cn", "组织部：按邮箱")  # matched by e-mail, any case
    (site / "content/zz/b.md").write_text(post_text(title="改别人的"), encoding="utf-8")
    (site / "content/jx/a.md").write_text(post_text(title="也改自己的"), encoding="utf-8")
    bad1 = _commit_as(site, "wang", "wang@example.edu.cn", "越权改组织部")
    (site / "site.toml").write_text('[gate]\nadmins = ["admin@example.edu.cn", "zhang"]\n', encoding="utf-8")
    bad2 = _commit_as(site, "zhang", "zhang@example.edu.cn", "自封管理员")
    (site / "content/jx/a.md").write_text(post_text(title="管理员改"), encoding="utf-8")
    _commit_as(site, "管理员", "admin@example.edu.cn", "管理员可以改任何单位")
    (site / "content/jx/a.md").write_text(post_text(title="zhang 不能改机械"), encoding="utf-8")
    bad3 = _commit_as(site, "zhang", "zhang@example.edu.cn", "自封之后改机械")  # rules at the range's start

    r = run_cli("check", "--authors", f"{base}..HEAD", cwd=site / "content")
    assert r.returncode == 1, r.stdout + r.stderr
    err = r.stderr
    assert f"提交 {bad1}（作者 wang <wang@example.edu.cn>）" in err
    assert "  content/zz/b.md" in err and "  content/jx/a.md\n" not in err.split(bad1)[1].split("提交")[0]
    assert f"提交 {bad2}（作者 zhang <zhang@example.edu.cn>）" in err and "  site.toml" in err
    assert f"提交 {bad3}" in err
    assert err.count("（作者 ") == 3
    assert err.index(bad1) < err.index(bad2) < err.index(bad3)  # oldest first
    assert "6 个提交中有 3 个" in err
    # only the good commits: passes
    r = run_cli("check", "--authors", f"{base}..{base}~0", cwd=site)
    assert r.returncode == 0 and "0 个提交" in r.stdout


def test_authors_usage_errors(make_site):
    site = _owned_repo(make_site)
    for span, words in (("HEAD", "起点..终点"), ("nope..HEAD", "找不到“nope”")):
        r = run_cli("check", "--authors", span, cwd=site)
        assert r.returncode == 2 and words in r.stderr, r.stderr
    plain = make_site({"content/jx/a.md": post_text()})
    r = run_cli("check", "--authors", "a..b", cwd=plain, env={"GIT_CEILING_DIRECTORIES": str(plain.parent)})
    assert r.returncode == 2 and "不在 git 仓库中" in r.stderr


def test_editors_and_admins_are_validated(make_site):
    site = make_site({"content/jx/_unit.toml": 'name = "x"\nkind = "机关"\n\neditors = "wang"\n', "content/jx/a.md": post_text()}, config='[gate]\nadmins = [1]\n')
    r = run_cli("check", cwd=site)
    assert r.returncode == 1
    assert "site.toml:2:" in r.stderr and "admins" in r.stderr
    (site / "site.toml").write_text("", encoding="utf-8")
    r = run_cli("check", cwd=site)
    assert "content/jx/_unit.toml:4:" in r.stderr and "editors" in r.stderr and "文字列表" in r.stderr
    # e-mail addresses in editors are accounts, not a disclosure: no privacy finding
    (site / "content/jx/_unit.toml").write_text('name = "x"\nkind = "机关"\neditors = [\n  "wang",\n  "wang@example.edu.cn",\n]\n', encoding="utf-8")
    r = run_cli("check", cwd=site)
    assert r.returncode == 0, r.stderr


def test_codeowners_file(make_site):
    site = _owned_repo(make_site)
    r = run_cli("codeowners", cwd=site / "content" / "zz")
    assert r.returncode == 0, r.stderr
    text = (site / "CODEOWNERS").read_text(encoding="utf-8")
    lines = [l for l in text.splitlines() if not l.startswith("#")]
    assert lines == [
        "* admin@example.edu.cn",
        "/content/jx/ @wang admin@example.edu.cn",
        "/content/zz/ @zhang li@example.edu.cn admin@example.edu.cn",
    ]
    out = site / "owners.txt"
    r = run_cli("codeowners", "--style", "gitea", "-o", str(out), cwd=site)
    assert r.returncode == 0
    assert "^content/zz/ @zhang li@example.edu.cn admin@example.edu.cn" in out.read_text(encoding="utf-8")
    (site / "content/zz/_unit.toml").write_text('name = "组织部"\nkind = "机关"\neditors = [3]\n', encoding="utf-8")
    r = run_cli("codeowners", cwd=site)
    assert r.returncode == 1 and "content/zz/_unit.toml:3:" in r.stderr and "未生成" in r.stderr


def test_changed_unit_file_is_reported(make_site):
    site = _repo(make_site)
    (site / "content/jx/_unit.toml").write_text('name = "x"\n[[branches]]\nid = 5\n', encoding="utf-8")
    r = run_cli("check", "--changed", "HEAD", cwd=site)
    assert r.returncode == 1 and "content/jx/_unit.toml" in r.stderr and "0 篇" in r.stderr


def test_selected_post_in_a_unit_folder_without_unit_file_is_an_error(make_site):
    site = _site(make_site, **{"content/nounit/a.md": post_text()})
    r = run_cli("check", "content/nounit/a.md", cwd=site)
    assert r.returncode == 1 and "content/nounit:1" in r.stderr and "_unit.toml" in r.stderr
    assert "bad.md" not in r.stderr
