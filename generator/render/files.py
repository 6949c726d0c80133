"""Render stage: the files published beside the pages (attachments, theme assets, feeds…).

A file made here (`FileSpec.data`) is staged when its bytes changed; a file
copied from the site (`FileSpec.source`) when its stamp did. Images and office
files are published without their EXIF/GPS metadata (`load.attachments`): the
cleaning is done here, on the bytes that are staged, never on the source. A large
photo (`FileSpec.web_px`) is staged as a web-sized copy made by Pillow
(`load.images.web_copy`); its original is another `FileSpec`, cleaned as usual.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator.core.digests import data_file_key, source_file_key
from generator.core.errors import Problem, error
from generator.load.attachments import Unpublishable, needs_cleaning, publishable_bytes
from generator.load.config import LimitsConfig
from generator.load.images import image_size, web_copy
from generator.plan.pages import FileSpec
from generator.write.output import Writer


@dataclass(frozen=True)
class StagedFiles:
    """Each file output's key for the state; or the problem that stops the build."""

    keys: dict[str, str]
    problem: Problem | None = None


def _stage_copy(f: FileSpec, source: Path, writer: Writer, limits: LimitsConfig) -> Problem | None:
    if f.web_px is not None and (small := _web_copy(f, source, limits)) is not None:
        writer.put(f.path, small)
        return None
    with open(source, "rb") as fh:
        head = fh.read(32)
    if not needs_cleaning(f.path, head):
        writer.put_file(f.path, source)
        return None
    try:
        writer.put(f.path, publishable_bytes(f.path, source.read_bytes(), limits))
    except Unpublishable as exc:  # checked at load (this file changed since): never published as it is
        return error(f.owner, 1, f"附件“{f.path.rsplit('/', 1)[-1]}”{exc}。")
    return None


def _web_copy(f: FileSpec, source: Path, limits: LimitsConfig) -> bytes | None:
    """The web-sized copy of a large photo; None (publish the cleaned original) when it is over
    the pixel budget (refused by `publishable_bytes` then) or Pillow cannot read it."""
    data = source.read_bytes()
    size = image_size(data)
    if f.web_px is None or size is None or size[0] * size[1] > limits.image_megapixels * 1_000_000:
        return None
    return web_copy(data, f.web_px)


def stage_files(files: Iterable[FileSpec], kept: Iterable[tuple[str, str]], saved: dict[str, str], out: Path, writer: Writer, limits: LimitsConfig) -> StagedFiles:
    """Stage ``files`` that changed against ``saved`` (path → key of the last build); ``kept``: reused as they are."""
    keys: dict[str, str] = {}
    for path, _ in kept:
        keys[path] = saved[path]
    for f in files:
        if f.make is not None:
            key = "m:" + f.key
            if not f.key or saved.get(f.path) != key or not os.path.isfile(f"{out}/{f.path}"):  # ("": no key, always made)
                writer.put(f.path, f.make())
        elif f.data is not None:
            key = data_file_key(f.data)
            writer.put(f.path, f.data, known_same=saved.get(f.path) == key and os.path.isfile(f"{out}/{f.path}"))
        else:
            assert f.source is not None
            st = f.source.stat()
            key = source_file_key(f.source, st.st_size, st.st_mtime_ns) + (f"@{f.web_px}px" if f.web_px else "")  # another size: made again
            unchanged = saved.get(f.path) == key and os.path.isfile(f"{out}/{f.path}")  # since the last build
            if not unchanged and (problem := _stage_copy(f, f.source, writer, limits)) is not None:
                return StagedFiles(keys, problem)
        keys[f.path] = key
    return StagedFiles(keys)
