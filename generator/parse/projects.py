"""Parse stage: 立项 projects, 述职评议 results, and what posts say of plans and projects (issue 18).

``content/<unit>/_projects.toml`` → `Project`s; ``content/_plans/<year>-评议.csv``
→ `Evaluation`s (UTF-8 with or without BOM; a unit by slug or full name; a rate
written "95.2" or "95.2%" is a percentage, kept as a fraction); `check_posts`
checks each post's ``tasks``/``project`` against the plans and projects once
both are read. Every mistake is a located Chinese problem, all in one run.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from generator.core.errors import Problem, choices_text, did_you_mean, error, warning
from generator.core.model import PLANS_DIR, Post, Unit
from generator.core.plans import PROJECT_LEVELS, PROJECT_STATUSES, PROJECT_TYPES, Evaluation, PlanInputs, Project, Rating
from generator.parse.tables import Entry, read_toml

_PROJECT_KEYS = ("id", "name", "type", "level", "branches", "funding", "start", "end", "status")
EVALUATION_COLUMNS = ("单位", "线上参评人数", "线上满意率", "线下参评人数", "线下满意率")


# -- projects -------------------------------------------------------------------


def parse_projects(raw: bytes, rel: str, unit: Unit, units: Mapping[str, Unit]) -> tuple[list[Project], list[Problem]]:
    """A unit's ``_projects.toml``; ids unique in the file (site-wide: `parse.plans`)."""
    problems: list[Problem] = []
    read = read_toml(raw, rel, problems)
    if read is None:
        return [], problems
    top = Entry(rel, read[0], read[1], problems)
    top.known(("projects",))
    out: list[Project] = []
    for entry in top.entries("projects", lambda i, t: f"项目 {t.get('id', f'（第 {i + 1} 个）')} "):
        project = _project(entry, unit, units)
        if project is None:
            continue
        first = next((p for p in out if p.id == project.id), None)
        if first is not None:
            entry.bad("id", f"项目编号“{project.id}”重复了（第 {first.line} 行已经用过），项目 id 在全校要唯一。")
            continue
        out.append(project)
    return out, problems


def _project(entry: Entry, unit: Unit, units: Mapping[str, Unit]) -> Project | None:
    entry.known(_PROJECT_KEYS)
    pid = entry.text("id", "TS2026-01", required=True)
    name = entry.text("name", "红色育人工作室", required=True)
    ptype = entry.choice("type", PROJECT_TYPES)
    level = entry.choice("level", PROJECT_LEVELS)
    status = entry.choice("status", PROJECT_STATUSES)
    funding = entry.number("funding", 0, 20000) if entry.has("funding") else 0
    start, end = entry.date("start", required=True), entry.date("end", required=True)
    branches = _branches(entry, unit, units)
    if start is not None and end is not None and end < start:
        entry.bad("end", f"{entry.label}的结束日期 end（{end.isoformat()}）早于开始日期 start（{start.isoformat()}）。")
        return None
    values = (pid, name, ptype, level, status, funding, start, end, branches)
    if any(v is None for v in values):
        return None
    return Project(pid, unit.slug, name, ptype, level, branches, funding, start, end, status, entry.rel, entry.line("id"))  # type: ignore[arg-type]


def _branches(entry: Entry, unit: Unit, units: Mapping[str, Unit]) -> tuple[str, ...] | None:
    """Branch ids (a branch may be named by id or name); a branch of another unit is an error."""
    words = entry.texts("branches", '["jx-js1", "jx-js2"]')
    if words is None:
        return None
    ids: list[str] = []
    ok = True
    for word in words:
        b = unit.branch(word)
        if b is not None:
            ids.append(b.id)
            continue
        ok = False
        other = next((u for u in units.values() if u.slug != unit.slug and u.branch(word) is not None), None)
        if other is not None:
            entry.bad(
                "branches",
                f"{entry.label}的支部“{word}”属于{other.name}，不是{unit.name}的支部。"
                f"项目写在立项单位自己的 {entry.rel.rsplit('/', 1)[1]} 中，branches 只能列本单位的支部（联合立项的几个支部须同属一个单位）。",
            )
        else:
            choices = [b.id for b in unit.branches]
            entry.bad("branches", f"{entry.label}的支部“{word}”不是{unit.name}的支部{did_you_mean(word, choices, end='。')}可选：{choices_text(choices)}。")
    return tuple(dict.fromkeys(ids)) if ok else None


# -- 评议 results -----------------------------------------------------------------

_RATE_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*[%％]?")


def _rate(cell: str) -> float | None:
    """"95.2" or "95.2%" → 95.2 (percent); None when it is not a number."""
    m = _RATE_RE.fullmatch(cell.strip())
    return float(m.group(1)) if m else None


class _EvaluationReader:
    """The rows of one 评议 CSV, each checked; units found by slug or full name."""

    def __init__(self, rel: str, year: int, units: Mapping[str, Unit]) -> None:
        self.rel, self.year = rel, year
        self.by_word = {**{u.name: u for u in units.values()}, **{u.slug: u for u in units.values()}}
        self.names = sorted({u.name for u in units.values()})
        self.rows: dict[str, Evaluation] = {}
        self.problems: list[Problem] = []

    def bad(self, line: int, message: str) -> None:
        self.problems.append(error(self.rel, line, message))

    def row(self, line: int, cells: Mapping[str, str]) -> None:
        word = cells["单位"].strip()
        unit = self.by_word.get(word)
        if unit is None:
            what = f"单位“{word}”不存在" if word else "单位一栏是空的"
            self.bad(line, f"第 {line} 行：{what}{did_you_mean(word, self.names, end='。') if word else '。'}单位一栏写单位全称（如“{self.names[0] if self.names else '机械工程学院党委'}”）或单位文件夹名。")
        online = self._side(line, cells, "线上")
        offline = self._side(line, cells, "线下")
        if unit is None or online is None or offline is None:
            return
        first = self.rows.get(unit.slug)
        if first is not None:
            self.bad(line, f"第 {line} 行：{unit.name}的评议结果重复了（第 {first.line} 行已经有），每个单位只写一行。")
            return
        self.rows[unit.slug] = Evaluation(unit.slug, self.year, online, offline, self.rel, line)

    def _side(self, line: int, cells: Mapping[str, str], side: str) -> Rating | None:
        # NFKC: full-width digits and ％ from a Chinese spreadsheet read as ASCII
        n_text, rate_text = (unicodedata.normalize("NFKC", cells[f"{side}{c}"]).strip() for c in ("参评人数", "满意率"))
        n = int(n_text) if n_text.isascii() and n_text.isdigit() else None
        if n is None:
            self.bad(line, f"第 {line} 行：{side}参评人数应当是不小于 0 的整数（如 120），现在是“{n_text}”。")
        rate = _rate(rate_text)
        if rate is None:
            self.bad(line, f"第 {line} 行：{side}满意率应当是百分数（如 95.2 或 95.2%），现在是“{rate_text}”。")
        elif not 0 <= rate <= 100:
            self.bad(line, f"第 {line} 行：{side}满意率“{rate_text}”超出了 0–100% 的范围。满意率按百分数填写，例如 95.2 或 95.2%。")
            rate = None
        elif 0 < rate <= 1 and "." in rate_text and "%" not in rate_text:
            # an export of a fraction (0.952 for 95.2 %) would silently read as 0.952 %
            self.problems.append(warning(self.rel, line, f"第 {line} 行：{side}满意率“{rate_text}”按百分数读作 {rate_text}%。如果是小数形式（{rate_text} = {rate * 100:g}%），请写成 {rate * 100:g} 或 {rate * 100:g}%。"))
        return None if n is None or rate is None else Rating(n, round(rate / 100, 4))


def parse_evaluation(raw: bytes, rel: str, year: int, units: Mapping[str, Unit], frameworks: Mapping[int, Any]) -> tuple[list[Evaluation], list[Problem]]:
    """``content/_plans/<year>-评议.csv``: one row per unit, by header names (any order; other columns ignored)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [error(rel, 1, "文件不是 UTF-8 编码。在 Excel 中请用“另存为 → CSV UTF-8（逗号分隔）”导出。")]
    if year not in frameworks:
        return [], [error(rel, 1, f"没有 {year} 年的工作框架 content/{PLANS_DIR}/{year}.toml（或它有错误），评议结果无处显示。")]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in EVALUATION_COLUMNS if c not in header]
    if missing:
        return [], [error(rel, 1, f"第 1 行（表头）缺少“{'”“'.join(missing)}”：表头应当是 {','.join(EVALUATION_COLUMNS)}。")]
    found = _EvaluationReader(rel, year, units)
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        line = reader.line_num
        if len(cells) < len(header):
            cells = [*cells, *[""] * (len(header) - len(cells))]
        found.row(line, {c: cells[header.index(c)] for c in EVALUATION_COLUMNS})
    return [found.rows[k] for k in sorted(found.rows)], found.problems


# -- posts ------------------------------------------------------------------------


def field_line(text: str, keys: tuple[str, ...], item: str | None = None) -> int:
    """The line of a post's front-matter key (or of ``item`` in its list); 1 when not found.

    Posts keep no field lines; this is only asked for a post with a mistake."""
    lines = text.splitlines()
    key_re = re.compile(rf"^\s*[\"']?({'|'.join(re.escape(k) for k in keys)})[\"']?\s*[:：]")
    for no, line in enumerate(lines[1:], 2):
        if line.strip() == "---":
            break
        if key_re.match(line):
            if item is None or item in line.split(":", 1)[-1].split("：", 1)[-1]:
                return no
            for later, rest in enumerate(lines[no:], no + 1):
                if rest.strip() == "---" or re.match(r"^\S", rest):
                    break
                if item in rest:
                    return later
            return no
    return 1


def check_posts(inputs: PlanInputs, posts: Iterable[Post], read: Callable[[str], str]) -> list[Problem]:
    """Each post's ``tasks`` (in its unit's plan for the post's year) and ``project`` (an existing one).

    ``read``: a post's source text by its path (for the line of the mistake)."""
    problems: list[Problem] = []
    project_ids = [p.id for p in inputs.projects]
    for p in posts:
        if p.tasks:
            problems.extend(_task_problems(inputs, p, read))
        if p.project is not None and inputs.project(p.project) is None:
            line = field_line(read(p.source), ("project", "项目"))
            hint = did_you_mean(p.project, project_ids, end="。")
            problems.append(error(p.source, line, f"项目“{p.project}”不存在{hint}项目写在各单位的 _projects.toml 中，这里填它的 id。"))
    return problems


def _task_problems(inputs: PlanInputs, p: Post, read: Callable[[str], str]) -> list[Problem]:
    year = p.day.year
    plan = inputs.plan(p.unit, year)
    text = read(p.source)
    if plan is None:
        line = field_line(text, ("tasks", "任务"))
        return [error(p.source, line, f"本单位没有 {year} 年的工作计划 content/{p.unit}/{PLANS_DIR}/{year}.toml（或它有错误），tasks 中的任务无从对应。")]
    ids = [t.id for t in plan.tasks]
    out = []
    for tid in p.tasks:
        if plan.task(tid) is None:
            line = field_line(text, ("tasks", "任务"), tid)
            out.append(error(p.source, line, f"任务“{tid}”不在本单位 {year} 年的工作计划（{plan.source}）中{did_you_mean(tid, ids, end='。')}可选：{choices_text(ids)}。"))
    return out


def unproven_claims(claims: Iterable[tuple[str, int, str]]) -> list[Problem]:
    """The warning for each task claimed 完成 with no public evidence: (plan file, line, task id)."""
    return [warning(rel, line, f"任务 {tid} 标为“完成”，但没有公开的证明材料：请发布证明它完成的文章，并在文章中写 tasks: [{tid}]。在此之前不计为完成。") for rel, line, tid in claims]


__all__ = ["EVALUATION_COLUMNS", "check_posts", "field_line", "parse_evaluation", "parse_projects", "unproven_claims"]
