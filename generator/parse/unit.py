"""Parse stage: a unit's ``_unit.toml`` → `Unit`, or located problems.

Pure: the file's bytes, its site-relative path, the unit's folder name and the
site configuration in; a `Unit` (or None) and every problem found out.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace

from generator.core.errors import Kind, Problem, choices_text, closest, control_message, error, toml_problem
from generator.core.model import Branch, Unit
from generator.load.config import GROUP_MEETING_KEY, SiteConfig
from generator.parse.privacy import scan
from generator.parse.privacy_problems import _name_findings, finding_problems
from generator.parse.text import _NAME_CONTROL_RE, decode

BRANCH_KINDS = ("教职工", "学生", "离退休")


def parse_unit(raw: bytes, relpath: str, slug: str, config: SiteConfig) -> tuple[Unit | None, list[Problem]]:
    problems: list[Problem] = []
    text, probs = decode(raw, relpath)
    if text is None:
        return None, probs
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [toml_problem(exc, text, relpath)]
    lines = text.splitlines()
    # Every branch asks for its header line: find them once, not one scan per branch.
    headers = [no for no, raw_line in enumerate(lines, 1) if raw_line.strip().startswith("[[branches]]")]

    def line_of(key: str, nth: int = 0) -> int:
        if key == "[[branches]]":
            return headers[nth] if 0 <= nth < len(headers) else 1
        seen = -1
        in_branch = False
        for no, raw_line in enumerate(lines, 1):
            s = raw_line.strip()
            if s.startswith("[[branches]]"):
                seen += 1
                in_branch = True
                if key == "[[branches]]" and seen == nth:
                    return no
                continue
            want_branch = nth >= 0 and key.startswith("branches.")
            k = key.split(".", 1)[-1]
            if re.match(rf"^{re.escape(k)}\s*=", s):
                if want_branch and in_branch and seen == nth:
                    return no
                if not want_branch and not in_branch:
                    return no
        return 1

    def bad(line: int, msg: str) -> None:
        problems.append(error(relpath, line, msg, Kind.CONFIG))

    allowed = {"name", "kind", "order", "branches", "editors"}
    for key in data:
        if key not in allowed:
            hint = closest(key, sorted(allowed))
            bad(line_of(key), f"未知的配置项“{key}”" + (f"，是不是“{hint}”？" if hint else "。") + f"可用的有：{choices_text(sorted(allowed))}。")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        bad(line_of("name"), "缺少单位名称 name，例如 name = \"机械工程学院党委\"。")
        name = slug
    kind = data.get("kind", "二级党组织")
    if not isinstance(kind, str) or not kind.strip():
        bad(line_of("kind"), "kind 应当是文字，例如 kind = \"教学单位\"。")
        kind = "二级党组织"
    order = data.get("order", 1000)
    if isinstance(order, bool) or not isinstance(order, int):
        bad(line_of("order"), f"order 应当是整数（排序用），例如 order = 10，现在是 {order!r}。")
        order = 1000
    editors_raw = data.get("editors", [])
    editors: tuple[str, ...] = ()
    if not isinstance(editors_raw, list) or not all(isinstance(e, str) and e.strip() and not any(c.isspace() for c in e.strip()) for e in editors_raw):
        bad(
            line_of("editors"),
            "editors（可以修改本单位文件夹的人）应当是文字列表，每项是一个 git 用户名或电子邮箱，不含空格，"
            f"例如 editors = [\"zhangsan\", \"lisi@example.edu.cn\"]，现在是 {editors_raw!r}。",
        )
    else:
        editors = tuple(e.strip() for e in editors_raw)
    branches: list[Branch] = []
    raw_branches = data.get("branches", [])
    if not isinstance(raw_branches, list) or not all(isinstance(b, dict) for b in raw_branches):
        bad(line_of("branches"), "支部应当写成若干个 [[branches]] 段。")
        raw_branches = []
    meeting_words = [m.name for m in config.meetings]
    for i, b in enumerate(raw_branches):
        bline = line_of("[[branches]]", i)
        bkeys = {"id", "name", "kind", "groups", "exempt"}
        for key in b:
            if key not in bkeys:
                hint = closest(key, sorted(bkeys))
                bad(line_of(f"branches.{key}", i), f"[[branches]] 中未知的配置项“{key}”" + (f"，是不是“{hint}”？" if hint else "。") + f"可用的有：{choices_text(sorted(bkeys))}。")
        bid, bname = b.get("id"), b.get("name")
        if not isinstance(bid, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", bid):
            bad(line_of("branches.id", i), f"第 {i + 1} 个支部的 id 应当由字母、数字、- 组成，例如 id = \"jx-jg1\"；它用于网址。")
            continue
        if not isinstance(bname, str) or not bname.strip():
            bad(line_of("branches.name", i), f"支部 {bid} 缺少名称 name，例如 name = \"第一教工党支部\"。")
            continue
        bkind = b.get("kind", "教职工")
        if bkind not in BRANCH_KINDS:
            bad(line_of("branches.kind", i), f"支部 {bid} 的类型 kind “{bkind}” 无效，可选：{choices_text(BRANCH_KINDS)}。")
            continue
        groups = b.get("groups", True)
        if not isinstance(groups, bool):
            bad(line_of("branches.groups", i), f"支部 {bid} 的 groups 应当是 true 或 false（是否设有党小组）。")
            continue
        exempt_raw = b.get("exempt", [])
        if not isinstance(exempt_raw, list) or not all(isinstance(e, str) for e in exempt_raw):
            bad(line_of("branches.exempt", i), f"支部 {bid} 的 exempt 应当是会议名称列表，例如 exempt = [\"党小组会\"]。")
            continue
        exempt: list[str] = []
        for word in exempt_raw:
            m = config.meeting(word)
            if m is None:
                bad(line_of("branches.exempt", i), f"支部 {bid} 的 exempt 中“{word}”不是已配置的会议，可选：{choices_text(meeting_words)}。")
            else:
                exempt.append(m.key)
        if any(x.id == bid for x in branches):
            bad(bline, f"支部 id “{bid}” 重复了：同一单位内每个支部的 id 必须唯一。")
            continue
        if not groups:
            # ``groups = false`` exempts the branch from 党小组会, so it refers to that
            # meeting: a site.toml whose [[meetings]] lack it makes the line meaningless.
            group = next((m for m in config.meetings if m.key == GROUP_MEETING_KEY), None)
            if group is None:
                bad(
                    line_of("branches.groups", i),
                    f"支部 {bid} 写了 groups = false（未设党小组，免于党小组会），但 site.toml 的 [[meetings]] 中没有党小组会（key = \"{GROUP_MEETING_KEY}\"）。"
                    f"请删除这一行，或在 site.toml 中加上 key = \"{GROUP_MEETING_KEY}\" 的 [[meetings]]；已配置的会议：{choices_text(meeting_words)}。",
                )
                continue
            if group.key not in exempt:
                exempt.append(group.key)
        branches.append(Branch(bid, bname.strip(), bkind, groups, tuple(sorted(set(exempt)))))
    # Names are shown on every page of the unit, in feeds and in the CSV: no
    # invisible controls, and no personal data (scanned as written and decoded).
    named = [("name", line_of("name"), name), ("kind", line_of("kind"), kind)]
    for i, b in enumerate(raw_branches):
        for key in ("name", "kind"):
            if isinstance(b.get(key), str):
                named.append((f"[[branches]] {key}", line_of(f"branches.{key}", i), b[key]))
    for key, line, value in named:
        bad_char = _NAME_CONTROL_RE.search(value) if isinstance(value, str) else None
        if bad_char is not None:
            bad(line, control_message(key, bad_char.group()))
    found = scan(text, config.privacy.allow)
    if "editors" in data:
        # editors are git accounts, never published: their e-mail addresses are not a disclosure
        first = line_of("editors")
        last = next((no for no in range(first, len(lines) + 1) if "]" in lines[no - 1].split("#", 1)[0]), first)
        found = [f for f in found if not first <= f.line <= last]
    problems.extend(finding_problems(found, relpath, config, advice="请删除或改写", can_acknowledge=False))
    seen = {(f.rule, f.masked) for f in found}
    for key, line, value in named:
        if isinstance(value, str):
            fresh = [replace(f, line=line) for f in scan(value.replace("\n", " "), config.privacy.allow) if (f.rule, f.masked) not in seen]
            problems.extend(finding_problems(fresh, relpath, config, where=f"“{key}”的值（还原转义后）", column=False, advice="请删除或改写", can_acknowledge=False))
            seen.update((f.rule, f.masked) for f in fresh)
    fresh = [f for f in _name_findings(slug, config) if (f.rule, f.masked) not in seen]
    problems.extend(finding_problems(fresh, relpath, config, where="单位文件夹名（会成为网址）", column=False, advice="请给文件夹改名", can_acknowledge=False))
    if any(p.is_error for p in problems):
        return None, problems
    return Unit(slug, name.strip(), kind.strip(), order, tuple(branches), relpath, editors), problems
