"""Search stage: how a search failure is reported.

A failed or stopped search update is no fault of any one file of the site, so
it is located at ``site.toml:1`` (where the site begins) as it always was, and
carries its own kind, `Kind.SEARCH`, so a caller can tell it from a
configuration error.
"""

from __future__ import annotations

from generator.core.errors import Kind, Problem, error, warning

WHERE = ("site.toml", 1)


def search_error(message: str) -> Problem:
    return error(*WHERE, message, Kind.SEARCH)


def search_warning(message: str) -> Problem:
    return warning(*WHERE, message, Kind.SEARCH)


NO_BINARY = search_error("找不到 Pagefind 扩展版（支持中文分词），搜索索引没有生成。请安装：pip install 'pagefind[extended]'。")
# A shard a stopped run did not begin (`indexer.ShardIndexer`): it stays marked and the next run indexes it.
STOPPED = search_error("搜索索引（{where}）的更新被新的修改打断，下次生成时会补上。")
