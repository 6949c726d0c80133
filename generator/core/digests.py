"""Core: every digest the build computes, named by what it identifies.

The build is incremental because it compares digests with the ones the last
build saved. Each kind is made here, once, under a name that says what it
stands for (the build state keeps some of them under older field names, noted
beside each):

- `code_digest` — the generator's own code and the libraries that shape a page;
  part of every other key, so an upgrade never leaves a page an older version made.
- `parse_settings` — what every post's parse depends on besides its own files
  (parser/Markdown versions, site.toml); `unit_context` adds the post's unit
  (saved as ``CachedPost.context``).
- `body_digest` — a post's rendered body HTML (the body store's address;
  ``RenderedBody.digest``); `source_digest` — a source file's bytes (``Post.digest``).
- `post_token` — everything parsed of a post (``CachedPost.token``, a post
  page family's key); a list's view of a post is `plan.pages.list_token`.
- `plan_key` — what every page family may show without hashing it itself
  (``BuildState.global_key``); a family's own key is `plan.pages.Planner.key`.
- `template_digest` — a template with everything it extends or includes
  (``BuildState.template_hashes``); a page's is `plan.pages.fingerprint`.
- `data_file_key` / `source_file_key` — a copied or generated file (``BuildState.files``).
- `history_id` — the git history a build read (``BuildState.history``).
- `build_input_key` — every input of a build: equal keys, equal output (``NoopKey.input_key``).
- `asset_digest` — the short content digest in a fingerprinted CSS/JS file name.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # the package root: every subpackage counts
# Libraries whose version changes what a page holds (Markdown and sanitised HTML, YAML, templates).
_LIBRARIES = ("markdown", "nh3", "pyyaml", "python-frontmatter", "jinja2")
# "clean2": images (by content too) and office files are published without EXIF/GPS; the
# suffix makes copies made before that rule count as changed.
_CLEANING = "clean2"


def digest_of(*parts: object) -> str:
    """SHA-256 over the ``repr`` of ``parts``: the one hash every named digest is made with."""
    h = hashlib.sha256()
    for p in parts:
        h.update(repr(p).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def source_digest(data: bytes) -> str:
    """A file's bytes (a post source: ``Post.digest``)."""
    return hashlib.sha256(data).hexdigest()


@functools.cache
def code_digest() -> str:
    """The generator's own source and the versions of the libraries that shape its output.

    Part of every cache key — the parse cache, the body store, page
    fingerprints, the plan — so an upgrade of liangshai or of Python-Markdown
    never leaves a page as an older version made it. By content, not mtime:
    a reinstall of the same code keeps the caches. Every module of every
    subpackage counts (``rglob``).
    """
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name, version in library_versions():
        h.update(f"{name}={version or _metadata_version(name)}\0".encode())
    return h.hexdigest()


def library_versions() -> tuple[tuple[str, str | None], ...]:
    """The libraries that shape the output, with their versions as their folders on ``sys.path``
    say (None for one not found that way: `code_digest` then asks importlib.metadata)."""
    versions = _installed_versions()
    return tuple((name, versions.get(_normal(name))) for name in _LIBRARIES)


def _normal(name: str) -> str:
    """A distribution name as its metadata folder spells it (PEP 503 normalisation, ``_`` for ``-``)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _installed_versions() -> dict[str, str]:
    """name → version, read from the ``<name>-<version>.dist-info`` folder names on ``sys.path``.

    What `importlib.metadata.version` answers for a wheel install, without
    importing it and parsing every METADATA file through the email package
    (about 20 ms of every no-op build). The first folder on the path wins,
    as there; a library not found this way is asked the slow way.
    """
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            stem = folder[: -len(".dist-info")]
            if folder.endswith(".dist-info") and stem.count("-") == 1:
                name, version = stem.split("-")
                found.setdefault(_normal(name), version)
    return found


def _metadata_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def parse_settings(parser_version: str, markup_version: str, code: str, config: object) -> str:
    """What every post's parse depends on besides the post's own files."""
    return digest_of(parser_version, markup_version, code, config)


def unit_context(settings: str, unit: object) -> str:
    """`parse_settings` and the post's unit: a cached parse holds while this is unchanged."""
    return digest_of(settings, unit)


def body_digest(markup_version: str, code: str, source: str, body: str, links: tuple[tuple[str, bool], ...]) -> str:
    """A post's body HTML: its Markdown and which of its links resolve (a missing file is reported, not linked)."""
    return digest_of(markup_version, code, source, body, links)


def post_token(post: object, body: str | None) -> str:
    """Every parsed field of a post and its body's digest: its own page is planned again exactly when it changes."""
    return digest_of(post, body)


def plan_key(*parts: object) -> str:
    """Everything every page family may show without hashing it itself (``BuildState.global_key``)."""
    return digest_of(*parts)


def template_digest(code: str, sources: str) -> str:
    """A template and what it uses; the code too: a new filter or Jinja option changes a page's bytes."""
    return digest_of(code, sources)


def history_id(head: str, tz: object, history: object, available: bool) -> str:
    """The git history: the commit and timezone it was read at (git log is a function of them);
    hashed whole only outside git, where it is a short "unavailable" record."""
    return f"{head}\0{tz}" if head and available else digest_of(history)


def build_input_key(*parts: object) -> str:
    """Every input a build reads (``NoopKey.input_key``): equal keys mean equal outputs."""
    return digest_of(*parts)


def data_file_key(data: bytes) -> str:
    """A generated file, by its bytes."""
    return "d:" + hashlib.sha256(data).hexdigest()


def source_file_key(source: Path, size: int, mtime_ns: int) -> str:
    """A copied file, by its path and stamp (and the cleaning rules it was published under)."""
    return f"s:{source}:{size}:{mtime_ns}:{_CLEANING}"


def asset_digest(data: bytes) -> str:
    """The short digest in a fingerprinted asset's file name (``style.<digest>.css``)."""
    return hashlib.sha256(data).hexdigest()[:10]
