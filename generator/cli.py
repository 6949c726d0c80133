"""Entry: ``liangshai`` command-line interface.

The only module that prints and chooses exit codes: 0 success, 1 content
errors, 2 usage errors, 3 published with posts held back (``--keep-going``). Messages are Chinese; a content or configuration
problem never produces a Python traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from generator import __version__
from generator.core.errors import LiangshaiError, Problem, Severity
from generator.core.exits import EXIT_CONTENT, EXIT_FORCED, EXIT_HELD, EXIT_OK, EXIT_USAGE

# argparse's own strings (it passes each through gettext's ``_`` when it uses it), in Chinese.
# The %-placeholders are argparse's: it fills them in after the translation.
_ARGPARSE_ZH: dict[str, str] = {
    "usage: ": "用法：",
    "positional arguments": "参数",
    "options": "选项",
    "show this help message and exit": "显示这段说明",
    "show program's version number and exit": "显示版本号",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多需要一个值",
    "expected at least one argument": "至少需要一个值",
    "expected %s argument": "需要 %s 个值",
    "expected %s arguments": "需要 %s 个值",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的值 %(value)r（应为 %(type)s）",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是：%(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "多余的值 %r",
    "one of the arguments %s is required": "需要以下参数之一：%s",
    "unexpected option string: %s": "意外的选项：%s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "未知的命令 %(parser_name)r（可选：%(choices)s）",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
}


def _zh(message: str) -> str:
    return _ARGPARSE_ZH.get(message, message)


def _zh_plural(singular: str, plural: str, n: int) -> str:
    return _zh(singular if n == 1 else plural)


@contextlib.contextmanager
def _argparse_in_chinese() -> Iterator[None]:
    """argparse looks its strings up through the module's ``_``/``ngettext`` at the moment it
    uses them (messages are built while parsing, help while formatting): point those at the
    table for that time, and put them back after (nested parsers restore in order)."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = _zh, _zh_plural  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    """argparse in Chinese: headings, ``-h/--help``, every message argparse writes; usage errors exit 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["add_help"] = False  # our own -h, with a Chinese description
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)  # the examples keep their lines
        super().__init__(*args, **kwargs)
        self._positionals.title, self._optionals.title = "参数", "选项"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示这段说明并退出")

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> tuple[argparse.Namespace, list[str]]:  # type: ignore[override]
        with _argparse_in_chinese():
            return super().parse_known_args(args, namespace)

    def parse_args(self, args: Any = None, namespace: Any = None) -> argparse.Namespace:  # type: ignore[override]
        # argparse reports unrecognized arguments here, after parse_known_args has returned
        with _argparse_in_chinese():
            return super().parse_args(args, namespace)

    def format_usage(self) -> str:
        with _argparse_in_chinese():
            return super().format_usage()

    def format_help(self) -> str:
        with _argparse_in_chinese():
            text = super().format_help()
        # argparse ends each heading with an ASCII colon: the full-width one, as in Chinese text
        return re.sub(r"^(参数|选项):$", r"\1：", text, flags=re.MULTILINE)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"liangshai: 用法错误：{message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _date(value: str) -> dt.date:
    """--as-of: any date form front-matter accepts (`parse.parse_date`: 2026-06-30, 2026/6/30,
    2026.6.30, 2026年6月30日, full-width digits, an optional time), as the calendar day written."""
    import unicodedata

    from generator.parse.dates import _DATE_RE, parse_date

    when, _has_time, message = parse_date(value, dt.UTC)
    if when is None or message is not None:
        reason = (message or "").rstrip("。")
        raise argparse.ArgumentTypeError(
            f"{reason}。可用的写法：YYYY-MM-DD（如 2026-06-30）、2026/6/30、2026.6.30、2026年6月30日（也可带时间，如 2026-06-30 14:30）"
        ) from None
    # The day as written: a time or offset only says when on that day (and the site's
    # time zone is not known yet while the arguments are read), so no conversion.
    m = _DATE_RE.match(unicodedata.normalize("NFKC", value.strip()))
    assert m is not None  # parse_date accepted it with the same expression
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _whole_number(value: str) -> int:
    """--year, --port, --keep: a whole number (full-width digits too), said in Chinese when it is not."""
    import unicodedata

    try:
        return int(unicodedata.normalize("NFKC", value).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{value}”不是整数") from None


def _site(value: str) -> Path:
    return Path(value)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="liangshai",
        description="晾晒：党组织工作公开晾晒网站生成器",
        epilog="例如：liangshai check          检查整个站点\n"
        "      liangshai build          生成网站（输出到 build/）\n"
        "      liangshai serve --open   本地预览\n"
        "      liangshai 命令 --help    查看某个命令的说明",
    )
    p.add_argument("-V", "--version", action="version", version=f"liangshai（晾晒）{__version__}", help="显示版本号并退出")
    sub = p.add_subparsers(dest="command", metavar="命令", parser_class=_Parser, help="要执行的命令，各命令的说明见 liangshai 命令 --help")
    for add in (_add_build, _add_check, _add_codeowners, _add_new, _add_stats, _add_serve, _add_import, _add_publish, _add_init, _add_units):
        add(sub)
    return p


def _documented(sub: Any, name: str, **kwargs: Any) -> argparse.ArgumentParser:
    """A subcommand: its ``help`` is also the description unless one is given."""
    kwargs.setdefault("description", kwargs.get("help"))
    return sub.add_parser(name, **kwargs)


def _add_build(sub: Any) -> None:
    b = _documented(
        sub,
        "build",
        help="生成网站",
        epilog="例如：liangshai build                     生成到 站点/build\n"
        "      liangshai build -o /tmp/网站         生成到指定文件夹\n"
        "      liangshai build --as-of 2026-06-30   按 6 月 30 日统计对标数据\n"
        "      liangshai build --keep-going         有错误的文章暂缓发布，其余照常生成",
    )
    b.add_argument("site", nargs="?", default=".", type=_site, metavar="站点文件夹", help="站点文件夹（默认当前文件夹）")
    b.add_argument("-o", "--out", type=Path, default=None, metavar="文件夹", help="输出文件夹（默认 站点/build）")
    b.add_argument("--drafts", action="store_true", help="包含草稿")
    _add_as_of(b)
    b.add_argument("--keep-going", action="store_true", help="有错误的文章暂缓发布，其余照常生成（退出码 3）")
    b.add_argument("-q", "--quiet", action="store_true", help="只输出错误")


def _add_check(sub: Any) -> None:
    c = _documented(
        sub,
        "check",
        help="只检查内容，不生成网站",
        description="检查站点内容。可在站点的任何子文件夹中运行（自动向上找到含 site.toml 或 content/ 的站点文件夹）。"
        "写出文章或单位文件夹时只检查这些文章，以及它们涉及的全站规则（网址名重复、单位文件）。",
        epilog="例如：liangshai check                        检查整个站点\n"
        "      liangshai check content/jixie/a.md       只检查一篇文章\n"
        "      liangshai check content/jixie            只检查一个单位\n"
        "      liangshai check --changed                只检查本分支改过的文章（与主分支的分叉点比较）\n"
        "      liangshai check --authors origin/main..HEAD   检查这些提交是否只改了作者有权修改的单位",
    )
    c.add_argument("site", nargs="*", default=[], type=_site, metavar="路径", help="站点文件夹，或要检查的文章（.md）/单位文件夹，可写多个（相对于当前文件夹；默认检查整个站点）")
    c.add_argument("--drafts", action="store_true", help="也检查草稿是否能发布")
    c.add_argument(
        "--changed", nargs="?", const="", default=None, metavar="REV",
        help="只检查自 REV（提交、分支或标签）以来新增或改过的文章，包括未提交和未跟踪的改动（删除的文章不检查）；不写 REV 时与主分支（main，其次 master、origin/main）的分叉点比较",
    )
    c.add_argument(
        "--authors", default=None, metavar="起点..终点",
        help="不检查内容，而是检查这一范围内的每个提交是否只修改了作者有权修改的文件：content/单位/ 下的文件由该单位 _unit.toml 的 editors 修改，"
        "site.toml 的 [gate] admins 可以修改全部文件（单位文件夹以外的文件只有他们能改）；权限按起点提交时的文件计算。例如 --authors origin/main..HEAD",
    )


def _add_codeowners(sub: Any) -> None:
    co = _documented(
        sub,
        "codeowners",
        help="生成 CODEOWNERS 文件，让 GitLab / Gitea 按单位 editors 和 [gate] admins 保护分支",
        description="按 site.toml 的 [gate] admins 和各单位 _unit.toml 的 editors 生成 CODEOWNERS：单位文件夹归其 editors（及管理员），其余文件归管理员。"
        "用户名写成 @用户名（须与 git 服务器上的用户名一致），电子邮箱原样写出（GitLab 按邮箱找到用户）。",
        epilog="例如：liangshai codeowners                   写入 站点/CODEOWNERS\n"
        "      liangshai codeowners --style gitea -o -   按 Gitea 的写法输出到终端",
    )
    _add_site(co)
    co.add_argument("-o", "--out", type=Path, default=None, metavar="文件", help="写入的文件（默认 站点/CODEOWNERS；写 - 则输出到终端）")
    co.add_argument("--style", choices=("gitlab", "gitea"), default="gitlab", help="格式：gitlab（也适用于 GitHub，路径写法，默认）或 gitea（正则表达式写法）")


def _add_site(parser: argparse.ArgumentParser) -> None:
    """The optional site folder every command over one site takes first."""
    parser.add_argument("site", nargs="?", default=".", type=_site, metavar="站点文件夹", help="站点文件夹（默认当前文件夹或其上级中的站点）")


def _add_as_of(parser: argparse.ArgumentParser) -> None:
    """The as-of date of the comparison figures (build, stats, publish)."""
    parser.add_argument("--as-of", type=_date, default=None, metavar="日期", help="统计截止日期，如 2026-06-30、2026年6月30日（默认今天）")


def _add_new(sub: Any) -> None:
    n = _documented(
        sub,
        "new",
        aliases=["新建"],
        help="新建一篇文章（不带选项在终端中运行时逐项询问）",
        epilog="例如：liangshai new                       逐项询问单位、栏目、会议、支部、日期和标题\n"
        "      liangshai new --unit jixie --section 支部生活 --meeting 支部委员会 --branch jx-jg1 --date 2026-03-15 --title 3月支委会\n"
        "      liangshai new --unit jixie --section 支部生活 --meeting 主题党日,党课 --branch jx-jg1\n"
        "      liangshai new --unit jixie --section 通知公告 --title 关于开展主题党日活动的通知",
    )
    _add_site(n)
    n.add_argument("--unit", default=None, metavar="单位", help="单位文件夹名，例如 jixie（必填，除非逐项询问）")
    n.add_argument("--section", default=None, metavar="栏目", help="栏目，例如 支部生活（必填，除非逐项询问）")
    n.add_argument(
        "--meeting", action="append", default=None, metavar="会议",
        help="会议类型，例如 支部委员会、支委会；可写多次，或用逗号、顿号分开写多个，例如 --meeting 主题党日,党课",
    )
    n.add_argument("--branch", default=None, metavar="支部", help="支部编号或名称，例如 jx-jg1、第一教工党支部（支部的会议必填）")
    n.add_argument("--date", type=_date, default=None, metavar="日期", help="日期，如 2026-03-15（默认今天；会议记录请写会议召开的日期）")
    n.add_argument("--title", default=None, metavar="标题", help="标题（默认：会议记录为支部名加会议名，其他文章留待填写）")
    n.set_defaults(usage_error=n.error)


def _add_stats(sub: Any) -> None:
    s = _documented(
        sub,
        "stats",
        help="在终端输出对标数据",
        epilog="例如：liangshai stats                                  当年对标数据（终端表格）\n"
        "      liangshai stats --year 2025 --format csv         2025 年，CSV 格式\n"
        "      liangshai stats --format xlsx -o 2026年对标.xlsx  写成 Excel 工作簿",
    )
    _add_site(s)
    s.add_argument("--year", type=_whole_number, default=None, metavar="年份", help="统计哪一年（默认截止日期所在的年份）")
    _add_as_of(s)
    s.add_argument("--format", choices=("table", "csv", "json", "xlsx"), default="table", help="table（终端）、csv、json 或 xlsx（Excel 工作簿，需要 -o）")
    s.add_argument("-o", "--output", type=Path, default=None, metavar="文件", help="写入这个文件而不是终端（xlsx 必须指定）")
    s.add_argument("--plans", action="store_true", help="目标管理：各单位年度计划完成率、逾期任务、评议和立项项目（table 或 json）")


def _add_serve(sub: Any) -> None:
    sv = _documented(
        sub,
        "serve",
        help="本地预览：保存即重新生成并刷新浏览器",
        epilog="例如：liangshai serve --open            预览并打开浏览器\n"
        "      liangshai serve --drafts --port 8080   连同草稿一起预览，端口 8080",
    )
    _add_site(sv)
    sv.add_argument("--host", default="127.0.0.1", metavar="地址", help="监听的地址（默认 127.0.0.1，只有本机能访问）")
    sv.add_argument("--port", type=_whole_number, default=8000, metavar="端口", help="监听的端口（默认 8000）")
    sv.add_argument("--drafts", action="store_true", help="包含草稿")
    sv.add_argument("--open", action="store_true", help="打开浏览器")
    sv.add_argument("-o", "--out", type=Path, default=None, metavar="文件夹", help="预览用的输出文件夹（默认 站点/.liangshai-serve）")
    sv.add_argument("--cms", action="store_true", help="同时打开网页编辑器（/admin/），在浏览器里填表写文章，直接保存到 content/")


def _add_import(sub: Any) -> None:
    im = _documented(
        sub,
        "import",
        aliases=["导入"],
        help="把 Word 文档（.docx）导入为文章",
        description="把用 Word 写好的纪要、通知（.docx）转换成文章：推断标题、日期、会议、支部和栏目，图片去除位置信息后放进文章包，然后像 check 一样检查新文章。",
        epilog="例如：cd content/jixie && liangshai import 3月支委会纪要.docx\n      liangshai import 纪要文件夹/ --unit jixie --draft",
    )
    im.add_argument("files", nargs="+", type=Path, metavar="文件或文件夹", help=".docx 文件（可以多个），或一个文件夹（导入其中全部 .docx）")
    im.add_argument("--unit", metavar="单位", default=None, help="单位文件夹名，例如 jixie（默认：当前所在的 content/单位 文件夹）")
    im.add_argument("--section", metavar="栏目", default=None, help="栏目，例如 通知公告（默认按会议类型推断）")
    im.add_argument("--draft", action="store_true", help="导入为草稿（draft: true），不发布")
    im.add_argument("--site", metavar="站点文件夹", type=_site, default=None, help="站点文件夹（默认：当前文件夹或其上级中含 content/ 的文件夹）")


def _add_publish(sub: Any) -> None:
    pb = _documented(
        sub,
        "publish",
        help="发布到网站服务器目录（原子切换）",
        epilog="例如：liangshai publish --to /var/www/dangjian              生成并发布\n"
        "      liangshai publish --to /var/www/dangjian --rollback   切换回上一个版本",
    )
    _add_site(pb)
    pb.add_argument("--to", required=True, type=Path, metavar="网站根目录", help="网站根目录 WEBROOT")
    pb.add_argument("--keep", type=_whole_number, default=5, metavar="个数", help="保留最近几个版本（默认 5）")
    pb.add_argument("--rollback", action="store_true", help="切换回上一个版本")
    _add_as_of(pb)
    pb.add_argument("--keep-going", action="store_true", help="有错误的文章暂缓发布，其余照常发布（退出码 3）")


def _add_init(sub: Any) -> None:
    it = _documented(
        sub,
        "init",
        help="新建一个站点（内容仓库）",
        description="在文件夹中新建站点：写出全部默认设置的 site.toml（带说明，可直接修改）、content/、.gitignore、给各单位的 README.md、"
        "GitLab 和 Gitea/Forgejo 的 CI 文件（每次推送检查，主分支发布）以及 pre-commit 配置。不会覆盖已有的文件。",
        epilog="例如：liangshai init 党建网站                          在新文件夹“党建网站”中新建站点\n"
        "      liangshai init --title 某某大学党建工作公开晾晒     在当前文件夹中新建，并写上网站名称\n"
        "      liangshai init 党建网站 --units 单位支部.xlsx      同时从表格导入单位和支部",
    )
    it.add_argument("folder", nargs="?", default=Path("."), type=Path, metavar="文件夹", help="新站点的文件夹（默认当前文件夹；不存在则新建）")
    it.add_argument("--units", type=Path, default=None, metavar="表格", help="同时导入单位和支部的表格（.xlsx 或 .csv，列见 liangshai units import --help）")
    it.add_argument("--title", default=None, metavar="名称", help="网站名称（写入 site.toml，之后也可以修改）")


def _add_units(sub: Any) -> None:
    un = _documented(
        sub,
        "units",
        help="从表格导入单位和支部，或导出到表格",
        epilog="例如：liangshai units import 单位支部.xlsx           导入（新增、改名）\n"
        "      liangshai units import 单位支部.csv --prune   导入，并删除表中没有的支部\n"
        "      liangshai units export 单位支部.xlsx           导出当前的单位和支部",
    )
    what = un.add_subparsers(dest="units_command", metavar="操作", parser_class=_Parser, help="import（导入）或 export（导出）")
    what.required = True
    im = _documented(
        what,
        "import",
        help="从表格导入单位和支部，每个单位写一个 content/单位/_unit.toml",
        description="从 Excel 工作簿（.xlsx）或 CSV（UTF-8 或 GBK）导入单位和支部。第一行是列名：单位名称、单位类型、支部名称、支部类型（必需），"
        "单位编号、支部编号、党小组（是/否）、成立日期（可选）。没有编号时按名称的拼音生成，再次导入时保持不变；"
        "填了编号的行改名后编号不变。表中没有的支部只列出，加 --prune 才删除。有错误时什么也不写，并指出表格的行号。",
        epilog="例如：liangshai units import 单位支部.xlsx\n      liangshai units import 单位支部.csv --prune",
    )
    im.add_argument("file", type=Path, metavar="表格", help=".xlsx 或 .csv 文件")
    im.add_argument("--prune", action="store_true", help="删除表中没有的支部（默认只列出）")
    im.add_argument("--site", type=_site, default=Path("."), metavar="站点文件夹", help="站点文件夹（默认当前文件夹或其上级中的站点）")
    ex = _documented(
        what,
        "export",
        help="把当前的单位和支部导出为 Excel 工作簿（可修改后再导入）",
        epilog="例如：liangshai units export 单位支部.xlsx",
    )
    ex.add_argument("file", type=Path, metavar="表格", help="写入的 .xlsx 文件")
    ex.add_argument("--site", type=_site, default=Path("."), metavar="站点文件夹", help="站点文件夹（默认当前文件夹或其上级中的站点）")


def print_problems(problems: Sequence[Problem], *, quiet: bool = False) -> None:
    for p in problems:
        if quiet and p.severity is not Severity.ERROR:
            continue
        print(p.format(), file=sys.stderr if p.is_error else sys.stdout)


def print_held(problems: Sequence[Problem], held: Sequence[str]) -> None:
    """--keep-going: the posts left out of this publication, each with its own errors (stderr)."""
    from generator.build.builder import owner_post

    print(f"以下 {len(held)} 篇文章有错误，已暂缓发布（网站上没有它们的任何内容），其余内容已发布；改正后再次发布即可：", file=sys.stderr)
    for source in held:
        print(f"  {source}", file=sys.stderr)
        for p in problems:
            if p.is_error and owner_post(p.path, (source,)) == source:
                print(f"    {p.format()}", file=sys.stderr)


def _summary(problems: Sequence[Problem]) -> str:
    errors = sum(1 for p in problems if p.is_error)
    warnings = sum(1 for p in problems if p.severity is Severity.WARNING)
    return f"{errors} 个错误，{warnings} 个警告"


def find_site_root(start: Path) -> Path:
    """The site folder for ``start``: itself or the nearest folder above it with a
    ``site.toml`` or a ``content/`` folder, so every command works from any folder
    of the site (e.g. inside content/jixie/). Problems are still named relative to
    that root. A folder with neither above it is returned unchanged: the command
    then says what is missing there."""
    try:
        here = start.resolve()
    except OSError:
        return start
    if here.is_file():
        here = here.parent  # check FILE: the site around the file
    if not here.is_dir():
        return start
    for folder in (here, *here.parents):
        if (folder / "site.toml").is_file() or (folder / "content").is_dir():
            return folder
    return start


def _check_site(site: Path) -> int | None:
    if not site.is_dir():
        print(f"liangshai: 找不到站点文件夹：{site}", file=sys.stderr)
        return EXIT_USAGE
    return None


def cmd_build(args: argparse.Namespace) -> int:
    from generator.build.quick import build_once
    from generator.build.result import BuildOptions, output_folder_problem

    if (rc := _check_site(args.site)) is not None:
        return rc
    hint = f"请换一个位置，例如不写 -o（默认 {BuildOptions(args.site).output}）。"
    if args.out is not None and (why := output_folder_problem(args.site, args.out, hint)) is not None:
        print(f"liangshai build: {why}", file=sys.stderr)
        return EXIT_USAGE
    result = build_once(BuildOptions(args.site, args.out, args.drafts, args.as_of, keep_going=args.keep_going))
    print_problems(result.news, quiet=args.quiet)
    if not args.quiet:
        for note in result.notes:
            print(note)
    if not result.ok:
        print(f"生成失败：{_summary(result.problems)}。输出文件夹保持上次成功生成的内容。", file=sys.stderr)
        return EXIT_CONTENT
    out = BuildOptions(args.site, args.out).output
    if not args.quiet:
        print(f"已生成 {out}：{result.outputs} 个文件，渲染 {len(result.rendered)} 页，写入 {len(result.written)} 个，删除 {len(result.deleted)} 个，用时 {result.seconds:.2f} 秒（{_summary(result.problems)}）。")
        if result.notes_not_repeated:
            print(f"另有 {result.notes_not_repeated} 条提示涉及的文章没有改动，不再重复显示（liangshai check 会全部列出）。")
    if result.held:
        print_held(result.problems, result.held)
        return EXIT_HELD
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from generator.build.builder import Builder, BuildOptions
    from generator.load.gate import GateError, changed_posts, select_paths

    paths: list[Path] = list(args.site)
    only: frozenset[str] | None = None
    touched: frozenset[str] = frozenset()
    # "check SITE" (a site folder itself) as before; any other path is a selection of posts
    if len(paths) == 1 and paths[0].is_dir() and find_site_root(paths[0]).resolve() == paths[0].resolve():
        site, paths = paths[0], []
    else:
        site = find_site_root(paths[0] if paths and paths[0].exists() else Path("."))
    if (rc := _check_site(site)) is not None:
        return rc
    if args.authors is not None:
        return _check_authors(site, args.authors)
    what = ""
    try:
        if paths:
            only = select_paths(site, paths, Path.cwd())
        if args.changed is not None:
            changed, touched, since = changed_posts(site, args.changed or None)
            only = changed if only is None else only & changed
            what = f"自 {since} 以来改动的 {len(only)} 篇文章"
    except GateError as exc:
        print(f"liangshai check: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if only is not None and not what:
        what = f"{len(only)} 篇文章"
    problems = Builder(BuildOptions(site, drafts=True, only=only, touched=touched)).check()
    print_problems(problems)
    scope = f"（只检查了 {what}及全站规则）" if what else ""
    if any(p.is_error for p in problems):
        print(f"检查未通过：{_summary(problems)}{scope}。", file=sys.stderr)
        return EXIT_CONTENT
    print(f"检查通过：{_summary(problems)}{scope}。")
    return EXIT_OK


def _check_authors(site: Path, span: str) -> int:
    from generator.load.gate import GateError, check_authors, trespass_report

    try:
        found, owners, commits = check_authors(site, span)
    except GateError as exc:
        print(f"liangshai check: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print_problems(owners.problems)
    for line in trespass_report(found):
        print(line, file=sys.stderr)
    if found:
        print(f"权限检查未通过：{span} 的 {commits} 个提交中有 {len(found)} 个修改了作者无权修改的文件（单位文件夹由其 _unit.toml 的 editors 修改，其余由 site.toml [gate] admins 修改）。", file=sys.stderr)
        return EXIT_CONTENT
    print(f"权限检查通过：{span} 的 {commits} 个提交都只修改了作者有权修改的文件。")
    return EXIT_OK


def cmd_codeowners(args: argparse.Namespace) -> int:
    from generator.load.gate import codeowners_text, owners_in_tree

    if (rc := _check_site(args.site)) is not None:
        return rc
    owners = owners_in_tree(args.site)
    if owners.problems:
        print_problems(owners.problems)
        print("未生成 CODEOWNERS：请先改正上面的错误。", file=sys.stderr)
        return EXIT_CONTENT
    text, warnings = codeowners_text(owners, args.style)
    for w in warnings:
        print(f"警告：{w}", file=sys.stderr)
    if args.out is not None and str(args.out) == "-":
        sys.stdout.write(text)
        return EXIT_OK
    out = args.out if args.out is not None else args.site / "CODEOWNERS"
    out.write_text(text, encoding="utf-8")
    print(f"已写入 {out}：{len(owners.editors)} 个单位。")
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from generator.commands.new import NewPost, NewPostError, create_post, split_meetings

    if (rc := _check_site(args.site)) is not None:
        return rc
    given = [args.unit, args.section, args.meeting, args.branch, args.date, args.title]
    try:
        if not any(v is not None for v in given) and sys.stdin.isatty() and sys.stdout.isatty():
            from generator.commands.new_prompt import Interview

            request = Interview(args.site, input, sys.stdout).run()
        else:
            missing = [o for o, v in (("--unit", args.unit), ("--section", args.section)) if v is None]
            if missing:
                args.usage_error(f"缺少必需的参数：{', '.join(missing)}")
            request = NewPost(args.unit, args.section, split_meetings(args.meeting), args.branch, args.title, args.date)
        path = create_post(args.site, request)
    except NewPostError as exc:
        print(f"liangshai new: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except EOFError:
        print("\nliangshai new: 已取消，没有新建文件。", file=sys.stderr)
        return EXIT_USAGE
    print(path)
    print(f"下一步：用编辑器打开这个文件，填写标题、日期和正文，然后运行 liangshai check {path} 检查。", file=sys.stderr)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from generator.importer.run import ImportUsageError, import_documents

    try:
        result = import_documents(list(args.files), cwd=Path.cwd(), site=args.site, unit=args.unit, section=args.section, draft=args.draft)
    except ImportUsageError as exc:
        print(f"liangshai import: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for line in result.report():
        print(line)
    return EXIT_OK if result.ok else EXIT_CONTENT


def cmd_init(args: argparse.Namespace) -> int:
    from generator.commands.init import InitError, init_site
    from generator.commands.units_io import UnitsError

    try:
        result = init_site(args.folder, title=args.title, units=args.units)
    except InitError as exc:
        print(f"liangshai init: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UnitsError as exc:
        print_problems(exc.problems)
        print("未新建站点：请先改正表格中的上述错误。", file=sys.stderr)
        return EXIT_CONTENT
    print(f"已在 {result.folder} 新建站点：{'、'.join(result.written)}、content/。")
    for line in result.units.report if result.units else ():
        print(line)
    print("下一步：修改 site.toml 中的网站名称和网址，liangshai check 检查，然后提交到 git 仓库（README.md 有给各单位的说明）。")
    return EXIT_OK


def cmd_units(args: argparse.Namespace) -> int:
    from generator.commands.units_io import UnitsError, export_units, plan_import

    if (rc := _check_site(args.site)) is not None:
        return rc
    if not (args.site / "site.toml").is_file() and not (args.site / "content").is_dir():
        print(f"liangshai units: {args.site.resolve()} 不是站点文件夹（没有 site.toml 和 content/）。请在站点文件夹中运行，或用 --site 指定；新建站点用 liangshai init。", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.units_command == "export":
            rows = export_units(args.site, args.file)
            print(f"已导出 {rows} 行到 {args.file}。")
            return EXIT_OK
        plan = plan_import(args.site, args.file, prune=args.prune, shown=str(args.file))
    except UnitsError as exc:
        print_problems(exc.problems)
        print("未导入：请先改正上述错误（表格中的行号与 Excel 左侧的行号一致）。", file=sys.stderr)
        return EXIT_CONTENT
    plan.apply()
    for line in plan.report:
        print(line)
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    from generator.commands.stats import run_stats

    if (rc := _check_site(args.site)) is not None:
        return rc
    if args.format == "xlsx" and args.output is None:
        print("liangshai stats: 用法错误：--format xlsx 需要用 -o 指定文件，例如 -o 2026年对标.xlsx（工作簿不能输出到终端）。", file=sys.stderr)
        return EXIT_USAGE
    return run_stats(args.site, args.year, args.as_of, args.format, args.output, args.plans)


def cmd_serve(args: argparse.Namespace) -> int:
    from generator.serve.server import run_serve

    if (rc := _check_site(args.site)) is not None:
        return rc
    return run_serve(args.site, host=args.host, port=args.port, drafts=args.drafts, open_browser=args.open, out=args.out, cms=args.cms)


def cmd_publish(args: argparse.Namespace) -> int:
    from generator.commands.publish import run_publish

    if (rc := _check_site(args.site)) is not None:
        return rc
    return run_publish(args.site, args.to, keep=args.keep, rollback=args.rollback, as_of=args.as_of, keep_going=args.keep_going)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    if isinstance(getattr(args, "site", None), Path) and args.command != "check":
        args.site = find_site_root(args.site)  # check finds it itself (it also takes files)
    handler = {
        "build": cmd_build,
        "check": cmd_check,
        "codeowners": cmd_codeowners,
        "new": cmd_new,
        "新建": cmd_new,
        "stats": cmd_stats,
        "serve": cmd_serve,
        "publish": cmd_publish,
        "import": cmd_import,
        "导入": cmd_import,
        "init": cmd_init,
        "units": cmd_units,
    }[args.command]
    try:
        return handler(args)
    except LiangshaiError as exc:
        print_problems(exc.problems)
        return EXIT_CONTENT
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return EXIT_FORCED


def run() -> NoReturn:
    """The ``liangshai`` command (and ``python -m generator``): `main`, then exit without tearing the interpreter down.

    A build at 10,000 posts leaves millions of small objects behind (the model,
    the state); freeing them one by one at exit took ~0.08 s of every build, for
    nothing (mypy exits the same way). By then every file, thread and process
    the commands opened is closed (with blocks, `Builder.build`'s finally);
    only the standard streams are flushed here.
    """
    from generator.core.process import set_up

    set_up(sys.argv[1:2] == ["build"])
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
