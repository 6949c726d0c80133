#!/usr/bin/env python3
"""CI check: the wheel works on its own (run by .ci/run before the tests).

Builds the wheel from a copy of the checkout (``pip wheel``), installs it with
its dependencies from PyPI into a fresh virtual environment, and builds the
demo site with that environment's ``liangshai`` from a temporary folder outside
the checkout, so nothing can be imported from the checkout's ``generator/``.
Then, with the same installed ``liangshai``, ``init`` makes a new site with
units from a CSV sheet (the files init writes are package data, the ids come from
pypinyin, a dependency) and that site is checked and built.
Fails (exit 1) when any step fails or the built site lacks its pages, styles
or lag figures; prints how long each step took.

    python3 scripts/check_wheel.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def step(name: str, cmd: list[str], cwd: Path) -> str:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    print(f"wheel 检查：{name}（{time.perf_counter() - started:.1f} 秒）", flush=True)
    if proc.returncode != 0:
        raise SystemExit(f"wheel 检查失败：{name}\n$ {' '.join(cmd)}\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}")
    return proc.stdout


def copy_checkout(dest: Path) -> None:
    """The files git knows (tracked, or new and not ignored): no build/, no caches."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO, capture_output=True, check=True).stdout
    for rel in sorted({r for r in listed.decode("utf-8").split("\0") if r}):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


# A sheet as a university's organisation department would export it (GBK, as Excel on Chinese Windows saves CSV).
UNITS_CSV = (
    "单位名称,单位类型,支部名称,支部类型,党小组\r\n"
    "机械工程学院党委,教学单位,机械工程学院第一教工党支部,教职工,是\r\n"
    "机械工程学院党委,教学单位,机械工程学院本科生第一党支部,学生,否\r\n"
    "机关党委,机关,机关第一党支部,教职工,是\r\n"
)


def check_init(liangshai: Path, work: Path) -> None:
    """``liangshai init --units`` from the wheel, then check and build the new site."""
    sheet = work / "单位支部.csv"
    sheet.write_bytes(UNITS_CSV.encode("gbk"))
    site = work / "new-site"
    step("liangshai init --units", [str(liangshai), "init", str(site), "--units", str(sheet), "--title", "某某大学党建工作公开晾晒"], work)
    for rel in ("site.toml", ".gitignore", "README.md", ".gitlab-ci.yml", ".gitea/workflows/liangshai.yml", ".pre-commit-config.yaml", "content/jixiegongcheng/_unit.toml", "content/jiguan/_unit.toml"):
        if not (site / rel).is_file():
            raise SystemExit(f"wheel 检查失败：init 没有写出 {rel}")
    step("liangshai check（新站点）", [str(liangshai), "check"], site)
    step("liangshai build（新站点）", [str(liangshai), "build", "--as-of", "2026-11-27"], site)
    for page in ("index.html", "jixiegongcheng/index.html", "jiguan/index.html", "compare/index.html"):
        if not (site / "build" / page).is_file():
            raise SystemExit(f"wheel 检查失败：新站点生成的网站缺少 {page}")


def main() -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="liangshai-wheel-") as tmp:
        root = Path(tmp)
        src, dist, venv, work = root / "src", root / "dist", root / "venv", root / "work"
        for d in (src, dist, work):
            d.mkdir()
        copy_checkout(src)
        step("pip wheel", [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(src)], root)
        wheels = sorted(dist.glob("liangshai-*.whl"))
        if len(wheels) != 1:
            raise SystemExit(f"wheel 检查失败：应当生成一个 liangshai 的 wheel，实际是 {[w.name for w in wheels]}")
        step("python3 -m venv", [sys.executable, "-m", "venv", str(venv)], root)
        py = venv / "bin" / "python"
        step("pip install（含依赖）", [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheels[0])], work)
        where = step("import", [str(py), "-c", "import generator, generator.render.theme as t; print(generator.__file__); print(t.BUNDLED_THEMES)"], work).split()
        if any(Path(w).resolve().is_relative_to(REPO) for w in where) or not all(Path(w).resolve().is_relative_to(venv) for w in where):
            raise SystemExit(f"wheel 检查失败：generator 或默认主题不是从虚拟环境加载的：{where}")
        print(step("liangshai --version", [str(venv / "bin" / "liangshai"), "--version"], work).strip())
        # the README's demo, with the wheel's generator (make_demo runs `python -m generator` from the demo folder)
        site, out = work / "demo-site", work / "demo"
        step("scripts/make_demo.py", [str(py), str(REPO / "scripts" / "make_demo.py"), "--site", str(site), "--out", str(out), "--as-of", "2026-11-27"], work)
        for page in ("index.html", "compare/index.html", "404.html", "data/compare.json"):
            if not (out / page).is_file():
                raise SystemExit(f"wheel 检查失败：生成的网站缺少 {page}")
        if not list(out.glob("static/style.*.css")) and not list(out.rglob("style*.css")):
            raise SystemExit("wheel 检查失败：生成的网站缺少主题的样式表")
        data = json.loads((out / "data/compare.json").read_text("utf-8"))
        lags = [u["lag_days"]["count"] for u in data["years"]["2026"]["units"].values()]
        if not lags or min(lags) == 0:
            raise SystemExit(f"wheel 检查失败：演示网站的公开时滞样本数应当都大于 0，实际是 {lags}")
        check_init(venv / "bin" / "liangshai", work)
    print(f"wheel 检查通过：用时 {time.perf_counter() - started:.1f} 秒。")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
