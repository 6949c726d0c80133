"""Entry stage (``liangshai import``), step 3 of 3: Word documents → posts in content/, checked, with a report.

Like ``liangshai new`` (newpost.py) this writes into content/ for an author;
unlike it, the text comes from a .docx the secretary already wrote:
`importer_convert` turns it into Markdown and images, `importer_infer` infers
the front-matter, and this module writes the post (a bundle folder with
``index.md`` and the images when there are images, else ``<slug>.md``), then
checks the whole site with the same `Builder.check` the ``check`` command runs
(privacy and secrecy included) and reports, per file, what it inferred and
from where, what it left out, and what check found in the new files.

One bad file never stops the others. Same input, same bytes: nothing in a
written file depends on the clock (only the year folder of an undated post
does), so importing a document again finds its earlier import and writes
nothing. Printing and exit codes stay in cli.py; this module returns the report.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from generator.core.errors import Problem, choices_text
from generator.core.model import UNIT_FILE, Unit
from generator.importer.convert import Converted, ConvertError, Image, convert_docx
from generator.importer.infer import PLACEHOLDER, Field, Inference, infer
from generator.load.config import SiteConfig, load_config
from generator.parse.post import parse_unit

# Formats a secretary is likely to have instead of .docx, with what to do.
OTHER_FORMATS = {
    ".doc": "是旧版 Word 格式（.doc），晾晒只能导入 .docx。请用 Word 或 WPS 打开它，“文件 → 另存为”，保存类型选“Word 文档（*.docx）”，再导入新保存的 .docx 文件",
    ".wps": "是 WPS 文字格式（.wps），晾晒只能导入 .docx。请用 WPS 打开它，“文件 → 另存为”，文件类型选“Microsoft Word 文件（*.docx）”，再导入新保存的 .docx 文件",
    ".pdf": "是 PDF，无法可靠地还原成可编辑的文字，晾晒只能导入 .docx。请找到它原来的 Word 文件（或用 Word/WPS 打开后另存为 .docx）再导入；只想公开 PDF 本身时，把它作为附件（attachments）加到文章里",
    ".rtf": "是 RTF 格式，晾晒只能导入 .docx。请用 Word 或 WPS 打开它，另存为“Word 文档（*.docx）”后再导入",
    ".odt": "是 ODT 格式，晾晒只能导入 .docx。请用 WPS 或 LibreOffice 打开它，另存为“Word 文档（*.docx）”后再导入",
}


class ImportUsageError(Exception):
    """A bad argument (no such unit, section, file or site): Chinese, lists the choices."""


@dataclass(frozen=True)
class FileOutcome:
    """One input file: what was written and said about it."""

    shown: str  # the file as the user named it
    target: str | None = None  # site-relative path of the written post (None: not imported)
    bundle: str | None = None  # site-relative folder of a bundle post
    lines: tuple[str, ...] = ()  # the report: inferred fields, warnings
    error: str | None = None  # why it was not imported
    problems: tuple[Problem, ...] = ()  # check's findings in the new files

    @property
    def ok(self) -> bool:
        return self.error is None and not any(p.is_error for p in self.problems)

    def owns(self, path: str) -> bool:
        return path == self.target or (self.bundle is not None and path.startswith(self.bundle + "/"))


@dataclass(frozen=True)
class ImportResult:
    outcomes: tuple[FileOutcome, ...]
    other_errors: int = 0  # errors check found in files this import did not write

    @property
    def ok(self) -> bool:
        """Every file imported, and check found no error in what was written."""
        return all(o.ok for o in self.outcomes)

    def report(self) -> list[str]:
        out: list[str] = []
        for o in self.outcomes:
            if o.error is not None:
                out.append(f"{o.shown}：没有导入。“{Path(o.shown).name}”{o.error}。")
                continue
            out.append(f"{o.shown} → {o.target}")
            out.extend("  " + line for line in o.lines)
            if o.problems:
                out.append("  检查结果：")
                out.extend("    " + p.format() for p in o.problems)
            errors = sum(p.is_error for p in o.problems)
            if errors:
                out.append(f"  需要修改：{errors} 个错误，改好后运行 liangshai check 再检查；改好之前这篇文章不能发布。")
            else:
                out.append("  检查通过。请核对上面推断的内容，确认无误后提交。")
        imported = [o for o in self.outcomes if o.error is None]
        failed = len(self.outcomes) - len(imported)
        to_fix = sum(1 for o in imported if not o.ok)
        summary = f"共 {len(self.outcomes)} 个文件：导入 {len(imported)} 个"
        summary += f"（其中 {to_fix} 个需要修改）" if to_fix else ""
        summary += f"，未导入 {failed} 个。" if failed else "。"
        out.append(summary)
        if self.other_errors:
            out.append(f"另外，站点中其他文件有 {self.other_errors} 个错误（与本次导入无关），用 liangshai check 查看。")
        return out


# ---------------------------------------------------------------------------
# where: site, unit, files


def find_site(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that has a content/ folder."""
    for folder in (start, *start.parents):
        if (folder / "content").is_dir():
            return folder
    return None


def _units(site: Path) -> list[str]:
    content = site / "content"
    return sorted(p.name for p in content.iterdir() if (p / UNIT_FILE).is_file()) if content.is_dir() else []


def resolve_unit(site: Path, cwd: Path, unit: str | None) -> str:
    units = _units(site)
    if unit is None:
        try:
            rel = cwd.resolve().relative_to((site / "content").resolve())
        except ValueError:
            rel = None
        if rel is None or not rel.parts:
            raise ImportUsageError(f"不知道导入到哪个单位：请用 --unit 指定单位文件夹名，或在 content/单位文件夹 里运行。可选：{choices_text(units)}。")
        unit = rel.parts[0]
    if unit not in units:
        raise ImportUsageError(f"单位“{unit}”不存在（应为 content/ 下含 {UNIT_FILE} 的文件夹名）。可选：{choices_text(units)}。")
    return unit


def collect(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file, as shown) for each input: files as given, a folder's .docx (and convertible look-alikes) by name."""
    out: list[tuple[Path, str]] = []
    for p in paths:
        if p.is_dir():
            found = sorted(
                (c for c in p.iterdir() if c.is_file() and not c.name.startswith("~$") and c.suffix.lower() in {".docx", *OTHER_FORMATS}),
                key=lambda c: c.name,
            )
            if not found:
                raise ImportUsageError(f"文件夹“{p}”里没有 .docx 文件。")
            out.extend((c, str(p / c.name)) for c in found)
        elif p.is_file():
            out.append((p, str(p)))
        else:
            raise ImportUsageError(f"找不到文件或文件夹“{p}”。")
    seen: set[Path] = set()
    unique = []
    for path, shown in out:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append((path, shown))
    return unique


# ---------------------------------------------------------------------------
# writing


def _slug_base(day: dt.date | None, meetings: tuple[str, ...], config: SiteConfig, stem: str) -> str:
    """Like ``new``: the date, then an ASCII word (the meeting's key, else the file name's letters)."""
    m = config.meeting(meetings[0]) if meetings else None
    word = m.key if m else re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    base = day.strftime("%Y%m%d") if day else "daiding"
    return f"{base}-{word}" if word else base


def _place(folder: Path, base: str, text: str, images: tuple[Image, ...]) -> tuple[str, Path | None, list[Path]]:
    """(free slug, the existing post with exactly these bytes or None, other posts already using the name).

    Importing the same document again gives the same bytes: that is found
    here and nothing is written twice.
    """
    taken: list[Path] = []
    n = 1
    while True:
        slug = base if n == 1 else f"{base}-{n}"
        single, bundle = folder / f"{slug}.md", folder / slug
        if not single.exists() and not bundle.exists():
            return slug, None, taken
        post = single if single.exists() else bundle / "index.md"
        try:
            same = post.read_text(encoding="utf-8") == text and (post.name == "index.md") == bool(images)
            same = same and all((bundle / i.name).is_file() and (bundle / i.name).read_bytes() == i.data for i in images)
        except (OSError, UnicodeDecodeError):
            same = False
        if same:
            return slug, post, taken
        taken.append(post)
        n += 1


def front_matter(inf: Inference, draft: bool) -> tuple[str, dict[str, int]]:
    """The front-matter block and the line (in the file) of each key."""
    data: dict[str, object] = {"title": inf.title.value or ""}
    date = inf.date.value
    data["date"] = (dt.date.fromisoformat(date) if len(date) == 10 else date) if date else PLACEHOLDER
    data["section"] = inf.section.value or PLACEHOLDER
    if inf.meetings:
        data["meeting"] = inf.meetings[0] if len(inf.meetings) == 1 else list(inf.meetings)
    if inf.branch.value:
        data["branch"] = inf.branch.value
    elif inf.branch_required:
        data["branch"] = PLACEHOLDER
    if draft:
        data["draft"] = True
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=10_000)
    lines = {line.split(":", 1)[0]: n for n, line in enumerate(text.split("\n"), 2) if line and not line.startswith((" ", "-"))}
    return f"---\n{text}---\n", lines


def post_text(conv: Converted, inf: Inference, draft: bool) -> tuple[str, dict[str, int]]:
    head, lines = front_matter(inf, draft)
    body = "\n\n".join(b.markdown for b in conv.blocks if b.number != inf.drop_block)
    return f"{head}\n{body}\n" if body else head, lines


def _field_line(label: str, f: Field, line: int, shown: str | None = None) -> str:
    if f.value is None:
        return f"{label}：{PLACEHOLDER}（未能推断：{f.source}）——请在文件第 {line} 行填写。"
    text = f"{label}：{shown or f.value}（来自{f.source}）"
    return text + f"——请核对，必要时修改文件第 {line} 行。" if f.flagged else text


def _describe(inf: Inference, conv: Converted, unit: Unit, unit_source: str, lines: dict[str, int]) -> list[str]:
    out = [_field_line("标题", inf.title, lines["title"]), _field_line("日期", inf.date, lines["date"])]
    if inf.meetings:
        out.append(_field_line("会议", inf.meetings_field, lines["meeting"]))
    else:
        out.append(f"会议：无（{inf.meetings_field.source}）")
    b = unit.branch(inf.branch.value) if inf.branch.value else None
    if b is not None:
        out.append(_field_line("支部", inf.branch, lines["branch"], f"{b.id} {b.name}"))
    elif inf.branch_required:
        choices = choices_text([f"{x.id}（{x.name}）" for x in unit.branches])
        out.append(f"支部：{PLACEHOLDER}（未能推断：{inf.branch.source}）——请在文件第 {lines['branch']} 行填写支部编号，可选：{choices}。")
    out.append(_field_line("栏目", inf.section, lines["section"]))
    out.append(f"单位：{unit.slug}（{unit.name}，{unit_source}）")
    return out


def import_file(path: Path, shown: str, site: Path, config: SiteConfig, unit: Unit, unit_source: str, *, section: str | None, draft: bool) -> FileOutcome:
    conv = _convert_file(path, config)
    if isinstance(conv, str):
        return FileOutcome(shown, error=conv)
    inf = infer(conv, config, unit, file_stem=path.stem, section=section)
    text, lines = post_text(conv, inf, draft)
    day = dt.date.fromisoformat(inf.date.value[:10]) if inf.date.value else None
    year = str(day.year) if day else str(dt.datetime.now(config.tz).year)
    folder = site / "content" / unit.slug / year
    report = _describe(inf, conv, unit, unit_source, lines)
    try:
        written = _write_post(folder, _slug_base(day, inf.meetings, config, path.stem), text, conv.images)
        if written.same:
            report.append(f"已经导入过：{_rel(written.target, site)} 的内容与这次转换的结果完全相同，没有重复写入。")
            return FileOutcome(shown, _rel(written.target, site), _rel(written.target.parent, site) if conv.images else None, tuple(report))
    except OSError as exc:
        return FileOutcome(shown, error=f"转换成功，但无法写入 {_rel(folder, site)}/（{exc.strerror}）。请检查这个文件夹是否可写")
    if written.taken:
        names = "、".join(_rel(t, site) for t in written.taken)
        report.append(f"同名文章已存在（{names}，内容与这次不同，可能是上次导入后改过），这次写成了新的一篇；如果是重复导入，请删除多余的一篇。")
    bundle_dir = written.bundle
    if bundle_dir is not None:
        report.append(f"图片：{len(conv.images)} 张，已放在文章包 {_rel(bundle_dir, site)}/ 中，并去除了拍摄位置等 EXIF 信息。")
    report.extend(f"注意：{w}" for w in conv.warnings)
    if draft:
        report.append("草稿：已写入 draft: true，发布前删除这一行。")
    return FileOutcome(shown, _rel(written.target, site), _rel(bundle_dir, site) if bundle_dir else None, tuple(report))


def _convert_file(path: Path, config: SiteConfig) -> Converted | str:
    """The converted document, or why it cannot be imported (Chinese)."""
    ext = path.suffix.lower()
    if ext in OTHER_FORMATS:
        return OTHER_FORMATS[ext]
    if ext != ".docx":
        return "不是 Word 文档（.docx），晾晒只能导入 .docx 文件"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"无法读取（{exc.strerror}）"
    try:
        conv = convert_docx(data, config.limits)
    except ConvertError as exc:
        return str(exc)
    except Exception as exc:
        return f"无法转换（{type(exc).__name__}）。请用 Word 或 WPS 打开它，另存为 .docx 后再导入；仍然不行时请把文件交给管理员"
    if not conv.blocks:
        return "里没有文字，没有可导入的内容"
    return conv


@dataclass(frozen=True)
class _Written:
    """Where `_write_post` put a post (or found it already)."""

    target: Path  # the post's Markdown file
    bundle: Path | None  # its bundle folder, when this import wrote one
    taken: tuple[Path, ...]  # posts of the same name with other content (see `_place`)
    same: bool  # an earlier import with exactly this content: nothing was written


def _write_post(folder: Path, base: str, text: str, images: tuple[Image, ...]) -> _Written:
    """Write the post (a bundle with its images, or one file) under a free name; raises OSError."""
    folder.mkdir(parents=True, exist_ok=True)
    slug, same, taken = _place(folder, base, text, images)
    if same is not None:
        return _Written(same, None, tuple(taken), True)
    bundle_dir = folder / slug if images else None
    target = bundle_dir / "index.md" if bundle_dir else folder / f"{slug}.md"
    if bundle_dir is not None:
        bundle_dir.mkdir()
        for image in images:
            (bundle_dir / image.name).write_bytes(image.data)
    with open(target, "x", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return _Written(target, bundle_dir, tuple(taken), False)


def _rel(path: Path, site: Path) -> str:
    return path.resolve().relative_to(site.resolve()).as_posix()


def import_documents(paths: list[Path], *, cwd: Path, site: Path | None = None, unit: str | None = None, section: str | None = None, draft: bool = False) -> ImportResult:
    """Import every file; raises `ImportUsageError` (nothing written) for bad arguments."""
    site = _site_folder(cwd, site)
    config = load_config(site)
    unit_source = "来自 --unit" if unit else "来自当前所在的单位文件夹"
    u = _load_unit(site, resolve_unit(site, cwd, unit), config)
    if section is not None and config.section(section) is None:
        raise ImportUsageError(f"栏目“{section}”不存在。可选：{choices_text([x.name for x in config.sections])}。")
    files = collect(paths)
    outcomes = [import_file(p, shown, site, config, u, unit_source, section=section, draft=draft) for p, shown in files]
    if not any(o.target for o in outcomes):
        return ImportResult(tuple(outcomes))
    return _checked(site, outcomes)


def _site_folder(cwd: Path, site: Path | None) -> Path:
    """The site named by --site, else the one around ``cwd``; raises `ImportUsageError`."""
    if site is None:
        site = find_site(cwd)
        if site is None:
            raise ImportUsageError("找不到站点文件夹（含 content/ 的文件夹）：请在站点文件夹里运行，或用 --site 指定。")
    elif not (site / "content").is_dir():
        raise ImportUsageError(f"“{site}”不是站点文件夹（其中没有 content/ 文件夹）。")
    return site


def _load_unit(site: Path, slug: str, config: SiteConfig) -> Unit:
    rel = f"content/{slug}/{UNIT_FILE}"
    u, problems = parse_unit((site / rel).read_bytes(), rel, slug, config)
    if u is None:
        raise ImportUsageError("；".join(p.format() for p in problems))
    return u


def _checked(site: Path, outcomes: list[FileOutcome]) -> ImportResult:
    """The outcomes with what `Builder.check` found in each written post, and the count of errors elsewhere."""
    from generator.build.builder import Builder, BuildOptions

    found = Builder(BuildOptions(site, drafts=True)).check()
    checked: list[FileOutcome] = []
    for o in outcomes:
        mine = tuple(p for p in found if o.target and o.owns(p.path))
        checked.append(FileOutcome(o.shown, o.target, o.bundle, o.lines, o.error, mine))
    others = sum(1 for p in found if p.is_error and not any(o.owns(p.path) for o in outcomes if o.target))
    return ImportResult(tuple(checked), others)
