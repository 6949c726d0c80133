"""Load stage: the bytes of the 目标管理 files (issue 18) that `sources.discover` found.

``content/_plans/*`` (frameworks, 评议 CSV), ``content/<unit>/_plans/*`` (unit
plans) and ``content/<unit>/_projects.toml``: read whole (they are small), a file
that cannot be read is a located problem. The parse stage (`parse.plans`) makes
them values.
"""

from __future__ import annotations

from pathlib import Path

from generator.core.errors import Problem, error
from generator.load.sources import Sources

# A plan file is a page or two of TOML; beyond this it is an accident (a pasted export).
MAX_PLAN_BYTES = 2 * 1024 * 1024


def read_plan_files(site_dir: Path, sources: Sources) -> tuple[dict[str, bytes], list[Problem]]:
    """Site-relative path → bytes of every 目标管理 file, and the problems of those that cannot be read."""
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    for rel in sources.plans:
        if sources.stamps[rel].size > MAX_PLAN_BYTES:
            problems.append(error(rel, 1, f"文件太大（{sources.stamps[rel].size // 1024} KB，最多 {MAX_PLAN_BYTES // 1024} KB），不像是计划、项目或评议文件，请检查。"))
            continue
        try:
            files[rel] = (site_dir / rel).read_bytes()
        except OSError as exc:
            problems.append(error(rel, 1, f"无法读取这个文件（{exc.strerror}），请检查文件权限。"))
    return files, problems
