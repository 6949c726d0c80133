"""Issue 19: `liangshai init` makes a university's own content repository that checks and builds.

One module-scoped site: `init` in an empty folder with `--units` on an .xlsx of
21 units and 293 branches, checked and built once; a second site takes the same
sheet as a GBK CSV through `units import`. The CI files are parsed and their
check command run; the pre-commit hook's entry runs on staged posts in a real
git repository.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import openpyxl
import pytest
import yaml
from conftest import git, git_init, post_text, run_cli

from generator import __version__
from generator.commands.init import InitError, init_site
from generator.commands.site_toml import default_site_toml
from generator.commands.units_io import UnitsError, plan_import
from generator.core import urls
from generator.core.settings import SiteConfig
from generator.load.config import parse_config

HEADER = ["单位名称", "单位类型", "支部名称", "支部类型", "单位编号", "支部编号", "党小组"]
COLLEGES = (
    "机械工程", "电气工程", "土木工程", "化学化工", "材料科学与工程", "计算机科学与技术", "数学与统计", "物理与电子",
    "外国语", "文学", "法学", "经济", "管理", "马克思主义", "艺术", "体育", "生命科学", "环境科学",
)
NUMBERS = "一二三四五六七八九十"


def _cn(n: int) -> str:
    return NUMBERS[n - 1] if n <= 10 else "十" + NUMBERS[n - 11]


def sheet_rows() -> list[list[str]]:
    """21 units (18 colleges, 机关, 后勤, 离退休) with 293 branches, some with their 编号 given."""
    units = [(f"{c}学院党委", "教学单位", "") for c in COLLEGES]
    units += [("机关党委", "机关", "jiguan"), ("后勤保障处党总支", "直属单位", ""), ("离退休工作处党委", "离退休", "")]
    rows: list[list[str]] = []
    for i, (name, kind, uid) in enumerate(units):
        count = 13 if i == len(units) - 1 else 14
        short = name.removesuffix("党委").removesuffix("党总支")
        for j in range(1, count + 1):
            if kind == "离退休":
                branch, bkind = f"{short}离退休第{_cn(j)}党支部", "离退休"
            elif j <= 6:
                branch, bkind = f"{short}第{_cn(j)}教工党支部", "教职工"
            else:
                branch, bkind = f"{short}{'本科生' if j <= 10 else '研究生'}第{_cn(j)}党支部", "学生"
            bid = f"given-{i}-{j}" if j == 1 else ""
            rows.append([name, kind, branch, bkind, uid, bid, "否" if bkind == "离退休" else "是"])
    return rows


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *rows]:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[str]], encoding: str) -> Path:
    path.write_bytes("\r\n".join(",".join(r) for r in [HEADER, *rows]).encode(encoding))
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, object]:
    """init --units on an xlsx in an empty folder, check, build; a second site from a GBK CSV."""
    root = tmp_path_factory.mktemp("init")
    rows = sheet_rows()
    xlsx = write_xlsx(root / "单位支部.xlsx", rows)
    site = root / "site"
    init = run_cli("init", str(site), "--units", str(xlsx), "--title", "某某大学党建工作公开晾晒", cwd=root)
    check = run_cli("check", cwd=site)
    build = run_cli("build", "--as-of", "2026-11-30", cwd=site)
    other = root / "other"  # in-process: the same code as `init` then `units import`, without two more interpreters
    init_site(other)
    plan = plan_import(other, write_csv(root / "单位支部.csv", rows, "gbk"))
    plan.apply()
    return {"root": root, "rows": rows, "site": site, "other": other, "init": init, "check": check, "build": build, "report": plan.report}


def test_site_toml_writes_every_default_and_parses_to_them() -> None:
    text = default_site_toml()
    assert parse_config(text.encode("utf-8")) == SiteConfig()
    titled = parse_config(default_site_toml('某某大学"党建"').encode("utf-8"))
    assert titled.title == '某某大学"党建"' and titled == SiteConfig(title='某某大学"党建"')
    for m in SiteConfig().meetings:  # every meeting written out with its settings
        assert f'name = "{m.name}"' in text and f'key = "{m.key}"' in text
    for word in ("[compare]", "green = 0.9", "[privacy]", "[limits]", "post_kb = 256", "[images]", "max_kb = 1024", "categories = [", "# 会议类型"):
        assert word in text
    # the file shows the whole lists: a meeting deleted from it is gone (not merged back from the defaults)
    block = text[text.index('[[meetings]]\nname = "党课"') :]
    without = text.replace(block[: block.index("\n\n") + 2], "")
    assert [m.name for m in parse_config(without.encode("utf-8")).meetings] == [m.name for m in SiteConfig().meetings if m.name != "党课"]


def test_init_in_an_empty_folder_imports_checks_and_builds_every_unit_and_branch(made) -> None:
    site: Path = made["site"]  # type: ignore[assignment]
    for key in ("init", "check", "build"):
        proc = made[key]
        assert proc.returncode == 0, (key, proc.stdout, proc.stderr)  # type: ignore[attr-defined]
    assert "21 个单位、293 个支部" in made["init"].stdout  # type: ignore[attr-defined]
    assert "检查通过：0 个错误" in made["check"].stdout  # type: ignore[attr-defined]
    for rel in ("site.toml", "content", ".gitignore", "README.md", ".gitlab-ci.yml", ".gitea/workflows/liangshai.yml", ".pre-commit-config.yaml"):
        assert (site / rel).exists(), rel
    assert parse_config((site / "site.toml").read_bytes()) == SiteConfig(title="某某大学党建工作公开晾晒")
    ignored = (site / ".gitignore").read_text("utf-8").split()
    assert {"/build/", "/.liangshai-serve/"} <= set(ignored)
    units = sorted(p.parent.name for p in (site / "content").glob("*/_unit.toml"))
    assert len(units) == 21 and "jiguan" in units
    out = site / "build"
    data = json.loads((out / "data" / "compare.json").read_text("utf-8"))
    branches = []
    for slug in units:
        assert (out / urls.unit(slug)).is_file(), slug
        unit_data = (site / "content" / slug / "_unit.toml").read_text("utf-8")
        ids = [line.split('"')[1] for line in unit_data.splitlines() if line.startswith("id = ")]
        branches += ids
        for bid in ids:
            assert (out / urls.branch(slug, bid)).is_file(), (slug, bid)
    assert len(branches) == len(set(branches)) == 293
    assert "given-0-1" in branches and "jxgc-1jg" not in branches  # the given 编号 is the id
    assert json.dumps(data, ensure_ascii=False).count("机关党委") >= 1


def test_a_gbk_csv_imports_the_same_units_with_the_same_ids(made) -> None:
    assert "21 个单位、293 个支部；新增单位 21 个、支部 293 个" in made["report"][-1]  # type: ignore[index]
    site: Path = made["site"]  # type: ignore[assignment]
    other: Path = made["other"]  # type: ignore[assignment]
    first = {p.relative_to(site).as_posix(): p.read_text("utf-8") for p in (site / "content").glob("*/_unit.toml")}
    second = {p.relative_to(other).as_posix(): p.read_text("utf-8") for p in (other / "content").glob("*/_unit.toml")}
    assert first == second and len(first) == 21
    assert (site / "content/jixiegongcheng/_unit.toml").is_file()  # 机械工程学院党委, in pinyin
    text = first["content/jixiegongcheng/_unit.toml"]
    assert 'id = "jxgc-2jg"' in text and 'name = "机械工程学院第二教工党支部"' in text


def _script_args(line: str) -> list[str]:
    """``.venv/bin/liangshai check`` → ["check"]: the arguments after the command."""
    words = shlex.split(line)
    at = next(i for i, w in enumerate(words) if w.endswith("liangshai"))
    return words[at + 1 :]


def test_ci_files_parse_pin_the_version_and_run_the_gate(made) -> None:
    site: Path = made["site"]  # type: ignore[assignment]
    lab = yaml.safe_load((site / ".gitlab-ci.yml").read_text("utf-8"))
    assert lab["variables"]["LIANGSHAI_VERSION"] == __version__
    assert any('"liangshai==${LIANGSHAI_VERSION}"' in s for s in lab["default"]["before_script"])
    assert lab["check"]["script"] == ["liangshai check"] and "rules" not in lab["check"]  # every push and merge request
    sources = [r["if"] for r in lab["workflow"]["rules"]]
    assert any("merge_request_event" in s for s in sources) and any(s == "$CI_COMMIT_BRANCH" for s in sources)
    assert lab["publish"]["rules"][0]["if"].startswith("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH")
    assert lab["publish"]["script"] == ['liangshai publish --to "$WEBROOT"']

    tea = yaml.safe_load((site / ".gitea/workflows/liangshai.yml").read_text("utf-8"))
    on = tea.get("on", tea.get(True))  # YAML 1.1 reads the key `on` as true
    assert set(on) == {"push", "pull_request"}
    assert tea["env"]["LIANGSHAI_VERSION"] == __version__
    check_runs = [s["run"] for s in tea["jobs"]["check"]["steps"] if "run" in s]
    assert any('"liangshai==${LIANGSHAI_VERSION}"' in r for r in check_runs)
    publish = tea["jobs"]["publish"]
    assert publish["needs"] == "check" and "refs/heads/main" in publish["if"]
    assert any(_script_args(s["run"])[:1] == ["publish"] for s in publish["steps"] if "run" in s and "liangshai publish" in s["run"])
    # the check commands as the CI runs them, against the new site
    commands = [lab["check"]["script"][0], next(r for r in check_runs if "liangshai check" in r)]
    for line in commands:
        assert _script_args(line)[:1] == ["check"]
        proc = run_cli(*_script_args(line), cwd=site)
        assert proc.returncode == 0 and "检查通过" in proc.stdout, (line, proc.stderr)


def test_pre_commit_hooks_check_the_staged_posts(tmp_path: Path) -> None:
    import re

    sheet = write_csv(tmp_path / "u.csv", [["机械工程学院党委", "教学单位", "机械工程学院第一教工党支部", "教职工", "jixie", "jx-jg1", "是"]], "utf-8-sig")
    repo = tmp_path / "repo"
    init_site(repo, units=sheet)
    git_init(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    hooks = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text("utf-8"))["repos"][0]["hooks"]
    assert all(h["language"] == "system" and h["entry"] == "liangshai check" for h in hooks)

    def run_hooks() -> list[tuple[str, int, str]]:
        """Each hook as pre-commit runs it: its entry, with the staged files its pattern matches (unless pass_filenames: false)."""
        staged = [n for n in git(repo, "diff", "--cached", "--name-only").splitlines() if n]
        out = []
        for h in hooks:
            files = [n for n in staged if re.search(h["files"], n)]
            if files:
                args = shlex.split(h["entry"])[1:] + (files if h.get("pass_filenames", True) else [])
                proc = run_cli(*args, cwd=repo)
                out.append((h["id"], proc.returncode, proc.stdout + proc.stderr))
        return out

    (repo / "content/jixie/good.md").write_text(post_text(title="3月支委会", meeting="支部委员会", branch="jx-jg1"), encoding="utf-8")
    git(repo, "add", "content/jixie/good.md")
    (repo / "content/jixie/unstaged.md").write_text("---\ntitle: 没有日期\n---\n", encoding="utf-8")  # not staged: not checked
    [(hook, rc, said)] = run_hooks()
    assert (hook, rc) == ("liangshai-check-posts", 0) and "只检查了 1 篇文章" in said, said
    (repo / "content/jixie/bad.md").write_text(post_text(title="4月支委会", meeting="支部委员会", branch="jx-none"), encoding="utf-8")
    git(repo, "add", "content/jixie/bad.md")
    [(hook, rc, said)] = run_hooks()
    assert rc == 1 and "content/jixie/bad.md:" in said and "unstaged.md" not in said, said
    git(repo, "rm", "-q", "--cached", "content/jixie/bad.md")
    git(repo, "commit", "-q", "-m", "3月支委会")
    (repo / "content/jixie/_unit.toml").write_text((repo / "content/jixie/_unit.toml").read_text("utf-8").replace('kind = "教职工"', 'kind = "职工"'), encoding="utf-8")
    git(repo, "add", "content/jixie/_unit.toml")
    [(hook, rc, said)] = run_hooks()  # a unit file staged: the whole site is checked
    assert (hook, rc) == ("liangshai-check-site", 1) and "content/jixie/_unit.toml:" in said and "只检查了" not in said, said


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / ".gitea/workflows").mkdir(parents=True)
    (site / "README.md").write_text("已有的说明", encoding="utf-8")
    (site / ".gitea/workflows/liangshai.yml").write_text("x", encoding="utf-8")
    proc = run_cli("init", str(site))
    assert proc.returncode == 2, proc.stderr
    assert "README.md、.gitea/workflows/liangshai.yml" in proc.stderr and "不会覆盖" in proc.stderr
    assert sorted(p.name for p in site.iterdir()) == [".gitea", "README.md"] and (site / "README.md").read_text("utf-8") == "已有的说明"
    with pytest.raises(InitError):
        init_site(site)
    # a sheet with a mistake: nothing is written either
    bad = write_csv(tmp_path / "bad.csv", [["机关党委", "机关", "机关第一党支部", "职工", "", "", ""]], "utf-8")
    with pytest.raises(UnitsError) as caught:
        init_site(tmp_path / "fresh", units=bad)
    assert [p.format() for p in caught.value.problems] == [f"{bad}:2: 错误：支部“机关第一党支部”的支部类型“职工”无效，可选：教职工、学生、离退休。"]
    assert not (tmp_path / "fresh").exists()
