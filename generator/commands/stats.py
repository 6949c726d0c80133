"""Entry: ``liangshai stats`` — the comparison numbers in the terminal.

Loads the site exactly as ``build`` does (`Builder.load`, drafts excluded) and
prints the numbers the comparison pages show (or writes them with ``-o``;
``--format xlsx`` is the `workbook`), made by the same functions as
the CSV and ``data/compare.json`` (`compare.csv_bytes`, `compare.year_data`), so
the terminal, the pages and the data file agree. Problems go to stderr so the
CSV/JSON on stdout stays machine-readable; content errors print no numbers
(a wrong number is worse than none) and return 1.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import unicodedata
from pathlib import Path

from generator.core.errors import sort_problems
from generator.core.exits import EXIT_CONTENT, EXIT_OK, EXIT_USAGE
from generator.core.model import SiteModel
from generator.plan.compare import csv_bytes, data_file, num_text, pct_text
from generator.plan.metrics import BAND_TEXT, UnitMetrics, YearMetrics, compute, lag_warnings


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


def table_text(ym: YearMetrics, model: SiteModel) -> str:
    cfg = model.config
    lines = _preamble(ym, model)
    head = ["单位", "已公开/应公开", "覆盖率%", "等级", "时滞中位", "时滞P90", "样本"]
    head += [f"{s.name}距今" for s in cfg.sections]
    head += ["发布", "最近发布"]
    lines += _aligned([head, *(_unit_row(u) for u in ym.units)])
    missed = [(u, s) for u in ym.units for s in u.cadence.missed]
    lines.append("")
    lines.append(f"未公开：{len(missed)} 条（逐条见对标页面各单位详情，或 --format json 的 missed）。")
    return "\n".join(lines) + "\n"


def _preamble(ym: YearMetrics, model: SiteModel) -> list[str]:
    """What the numbers mean: the date, the thresholds, and whether lags are known."""
    cfg = model.config
    lines = [
        f"{ym.year}年对标（数据截至 {ym.reference.isoformat()}；覆盖率 ≥ {num_text(cfg.compare.green * 100)}% 达标，"
        f"≥ {num_text(cfg.compare.yellow * 100)}% 预警；栏目超过 {cfg.compare.stale_days} 天未更新标 *）"
    ]
    if not model.history.available:
        lines.append(f"公开时滞未知：{model.history.reason}")
    elif cfg.compare.lag_since:
        lines.append(f"{cfg.compare.lag_since.isoformat()} 之前首次提交的记录不计入公开时滞。")
    return lines


def _unit_row(u: UnitMetrics) -> list[str]:
    lag = u.lag
    row = [
        u.name,
        f"{u.cadence.met}/{u.cadence.due}",
        pct_text(u.cadence.rate) or "—",
        BAND_TEXT[u.band],
        "未知" if lag is None else (num_text(lag.median) or "—"),
        "未知" if lag is None else (num_text(lag.p90) or "—"),
        "—" if lag is None else str(lag.count),
    ]
    row += [("—" if f.days is None else str(f.days)) + ("*" if f.stale else "") for f in u.freshness]
    row += [str(u.posts), u.last_post.isoformat() if u.last_post else "—"]
    return row


def _aligned(rows: list[list[str]], left: tuple[int, ...] = (3,)) -> list[str]:
    """The rows as columns in display width (a Chinese character is two), a rule under the
    header; numbers right-aligned, the unit name and the ``left`` columns (the band) left."""
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(_pad(c, widths[i], right=(n > 0 and i > 0 and i not in left)) for i, c in enumerate(r)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


aligned = _aligned


def run_stats(site: Path, year: int | None, as_of: dt.date | None, fmt: str, output: Path | None = None, plans: bool = False) -> int:
    """``output``: write there (atomically) instead of stdout; ``xlsx`` needs it (`cli.cmd_stats`).
    ``plans``: the 目标管理 figures (`plan_stats`) instead of the comparison's."""
    from generator.build.builder import Builder, BuildOptions

    loaded = Builder(BuildOptions(site, as_of=as_of)).load()
    problems = list(loaded.problems)
    model = loaded.model
    if model is not None:
        problems.extend(_plan_warnings(model) if plans else lag_warnings(model))
    problems_sorted = sort_problems(problems)
    for p in problems_sorted:
        print(p.format(), file=sys.stderr)
    errors = sum(1 for p in problems_sorted if p.is_error)
    if model is None or errors:
        print(f"内容有 {errors} 个错误，未输出对标数据：请先改正上面的错误（错误的记录不计入会使数字失真）。", file=sys.stderr)
        return EXIT_CONTENT
    if plans:
        return _run_plans(model, model.as_of.year if year is None else year, fmt, output)
    cm = compute(model)
    wanted = model.as_of.year if year is None else year
    ym = cm.year(wanted)
    if ym is None:
        years = "、".join(str(y.year) for y in cm.years)
        print(f"liangshai stats: 没有 {wanted} 年的对标数据（数据截至 {model.as_of.isoformat()}），可选年份：{years}。", file=sys.stderr)
        return EXIT_USAGE
    if fmt == "json":
        data = data_file(cm, model)
        data["years"] = {str(wanted): data["years"][str(wanted)]}
        # indented for people reading a terminal; the site's data file is compact
        body = (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    elif fmt == "csv":
        # BOM first, exactly as the site's compare/<year>.csv: redirected into a file it
        # opens in Excel on a Chinese PC (whatever the terminal's encoding)
        body = csv_bytes(ym, model.config)
    elif fmt == "xlsx":
        from generator.write.workbook import workbook_bytes

        body = workbook_bytes(ym, model)
    else:
        body = table_text(ym, model).encode("utf-8")
    return _emit(body, output, f"{wanted}年对标，数据截至 {ym.reference.isoformat()}")


def _emit(body: bytes, output: Path | None, what: str) -> int:
    """``body`` to stdout, or written atomically to ``output`` (then ``what`` is said on stderr)."""
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return EXIT_OK
    try:
        _write_atomic(output, body)
    except OSError as exc:
        print(f"liangshai stats: 无法写入 {output}：{exc.strerror or exc}。请检查文件夹是否存在、是否有写入权限，或文件是否正在 Excel 中打开。", file=sys.stderr)
        return EXIT_USAGE
    print(f"已写入 {output}（{what}）。", file=sys.stderr)
    return EXIT_OK


def _plan_warnings(model: SiteModel) -> list:
    from generator.plan.goals import claim_warnings
    from generator.plan.goals import compute as compute_goals

    return claim_warnings(compute_goals(model))


def _run_plans(model: SiteModel, wanted: int, fmt: str, output: Path | None) -> int:
    """``stats --plans``: the year's 目标管理 figures as a table or as ``data/plans.json`` (json)."""
    from generator.commands.plan_stats import plans_json, plans_table
    from generator.plan.goals import compute as compute_goals

    gm = compute_goals(model)
    yg = gm.year(wanted)
    if fmt not in ("table", "json"):
        print(f"liangshai stats: 用法错误：--plans 只支持 --format table 或 json（现在是 {fmt}）；数据文件见网站的 data/plans.json。", file=sys.stderr)
        return EXIT_USAGE
    if yg is None:
        years = "、".join(str(y.year) for y in gm.years) or "（无，请先写 content/_plans/<年份>.toml）"
        print(f"liangshai stats: 没有 {wanted} 年的年度工作框架（content/_plans/{wanted}.toml），可选年份：{years}。", file=sys.stderr)
        return EXIT_USAGE
    body = plans_json(gm, wanted) if fmt == "json" else plans_table(yg, gm)
    return _emit(body.encode("utf-8"), output, f"{wanted}年目标管理，数据截至 {gm.as_of.isoformat()}")


def _write_atomic(path: Path, data: bytes) -> None:
    """A reader (or Excel) never sees half a file: write beside it, then rename over it."""
    import os
    import tempfile

    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["run_stats", "table_text"]
