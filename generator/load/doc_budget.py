"""Load stage: the `[limits]` budgets every attachment reader runs inside.

A reader is ``reader(data, budget, parts, places) -> problem | None``: it appends
the text it finds to ``parts`` (and, where a part is not simply "第 n 页/段/行",
its (line, label) to ``places``), counting text and time through the `Budget`,
which raises `OverLimit` when a budget is exceeded.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from typing import Any

from generator.load.config import LimitsConfig

Places = list[tuple[int, str]]
Reader = Callable[[bytes, "Budget", list[str], Places], "str | None"]


class OverLimit(Exception):
    """A budget of `[limits]` was exceeded; the message says which, in Chinese."""


class Budget:
    """Text and time spent reading one attachment, against its `[limits]`."""

    def __init__(self, limits: LimitsConfig) -> None:
        self.limits = limits
        self.start = time.monotonic()
        self.chars = 0

    def add(self, text: str) -> str:
        self.chars += len(text)
        if self.chars > self.limits.document_text_kb * 1000:
            raise OverLimit(f"其中的文字超过 {self.limits.document_text_kb} 千字（site.toml [limits] document_text_kb）")
        return text

    def tick(self) -> None:
        if time.monotonic() - self.start > self.limits.document_seconds:
            raise OverLimit(f"读取超过 {self.limits.document_seconds} 秒（site.toml [limits] document_seconds）")


def open_zip(data: bytes, budget: Budget) -> zipfile.ZipFile:
    """The package, after checking every member's decompressed size (the size a zip
    declares is also the most `ZipFile.open` will ever return)."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    cap = budget.limits.document_unpacked_mb
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.file_size > cap * 1024 * 1024:
            raise OverLimit(f"其中的 {info.filename} 解压后有 {info.file_size // (1024 * 1024)} MB，超过 {cap} MB（site.toml [limits] document_unpacked_mb）")
    if total > 4 * cap * 1024 * 1024:
        raise OverLimit(f"解压后共有 {total // (1024 * 1024)} MB，超过 {4 * cap} MB（site.toml [limits] document_unpacked_mb 的 4 倍）")
    return zf


def iterparse(stream: Any) -> Any:
    from lxml import etree

    # No DTDs, no entities from outside, no network: an XML part is data, never instructions.
    return etree.iterparse(stream, events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
