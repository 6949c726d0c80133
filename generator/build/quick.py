"""Build, the quick no-op check: ``liangshai build`` with nothing changed, answered from file stamps alone.

A no-op build is the most common build there is (a publish script, a second
``build`` to be sure). The full check (`build.inputs`) reads site.toml,
discovers the sources as the builder sees them and compares the state's input
key; its imports alone (the settings, the model, the state: dozens of frozen
dataclasses) were ~0.08 s, and a `Stamp` and a `FileFacts` per file another
0.1 s at 50,000 posts (issue 23). This check imports none of that:

- `scan` hashes, by one ``lstat`` each, every file under ``content/`` and
  ``themes/``, site.toml, the bundled themes and the generator's own modules
  (a superset of what the input key reads), with the build's options, the
  libraries' versions and the git commit;
- after a build that succeeded with a known input key, `save` records that
  hash, taken *before* the build read anything (an edit made while it ran is
  never taken for built), with what a no-op repeats (the problems, the posts
  held back), the as-of day's bounds and the digest of the no-op key and
  the outputs record as the build left them;
- `check` answers "no-op" only when the hash is the recorded one, the no-op
  key and the outputs record are still those bytes (a build of other inputs,
  ``serve``'s or an older liangshai's, rewrites both), the as-of day is still
  the one built, and every output in the outputs record is still there.

By digest, not by signature (inode, mtime), so that two clean builds leave
the same bytes here too.

Conservative: a symlink or anything but a file or folder in the scanned
trees, a folder it cannot read, a library it cannot place, or any record it
does not recognise ends it (None), and the full check decides. Its stamps
include every input the input key has, so it never answers "no-op" where the
full check would not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import os
import stat
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from generator.build.result import BuildOptions, BuildResult
from generator.core.digests import PACKAGE, library_versions
from generator.core.errors import Kind, Problem, Severity
from generator.load.git import git_head
from generator.render.theme import BUNDLED_THEMES
from generator.write.output import KEY_FILE, OUTPUTS_FILE, atomic_write, missing_files, read_outputs_record

QUICK_FILE = ".liangshai-quick"  # in the output folder, beside the state (hidden: never published)
QUICK_VERSION = 1
_BOOKS = (KEY_FILE, OUTPUTS_FILE)  # the full check's key (the input key, the outputs) and the outputs record


class _Unsure(Exception):
    """Something the quick check does not judge: the full check does."""


@dataclass(frozen=True)
class Scan:
    """The hash of a build's inputs (`scan`), and when it was taken (``time.time()``).

    ``content``: the lines of the files and folders under ``content/`` (its stamps), and
    ``head``: the git commit, for the full check when this build is not a no-op (`seen`;
    the check then asks neither the disk nor git again).
    """

    key: str
    started: float
    content: list[str] = field(default_factory=list, repr=False, compare=False)
    head: str = ""

    def seen(self) -> dict[str, tuple[int, int]]:
        """(size, mtime_ns) of each file under ``content/`` the scan stamped, by full path (`load.sources.Seen`).

        Read back from the lines only when a build follows: a tuple per file made
        during the scan cost every no-op build ~17 MB and 0.01 s at 50,000 posts.
        """
        found = {}
        for line in self.content:
            if line[-1] != "/":
                path, size, mtime = line.rsplit("\0", 2)
                found[path] = (int(size), int(mtime))
        return found


@dataclass(frozen=True)
class Record:
    """What `save` leaves for the next `check` (`QUICK_FILE`)."""

    key: str
    day: tuple[float, float]  # the as-of day built: [from, until) in seconds since the epoch (unbounded when fixed)
    books: str  # `_books`, as the build left them
    problems: tuple[Problem, ...]
    held: tuple[str, ...]
    outputs: int


def _stamps(root: str, lines: list[str], only_suffix: str = "") -> None:
    """One line per file under ``root`` (path, size, mtime_ns), in a fixed order; `_Unsure` on a
    symlink, a pipe or device, or a folder that cannot be read. ``only_suffix``: just these files,
    and no ``__pycache__``."""
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise _Unsure(root) from exc
    try:
        _walk(fd, root + "/", lines, only_suffix)
    finally:
        os.close(fd)


def _walk(fd: int, prefix: str, lines: list[str], only_suffix: str) -> None:
    # By folder descriptor: each stat resolves one name, not the whole path
    # (50,000 posts: 0.24 -> 0.21 s for the walk and its stats).
    try:
        with os.scandir(fd) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        raise _Unsure(prefix) from exc
    for entry in entries:
        name = entry.name
        if entry.is_symlink():
            raise _Unsure(prefix + name)  # (discover follows a linked file: its own stamp says nothing)
        if entry.is_dir(follow_symlinks=False):
            if not (only_suffix and name == "__pycache__"):
                lines.append(prefix + name + "/")
                try:
                    sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                except OSError as exc:
                    raise _Unsure(prefix + name) from exc
                try:
                    _walk(sub, prefix + name + "/", lines, only_suffix)
                finally:
                    os.close(sub)
        elif entry.is_file(follow_symlinks=False):
            if not only_suffix or name.endswith(only_suffix):
                st = entry.stat(follow_symlinks=False)
                lines.append(f"{prefix}{name}\0{st.st_size}\0{st.st_mtime_ns}")
        else:
            raise _Unsure(prefix + name)


def _file_stamp(path: Path) -> str:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return f"{path}\0-"
    if not stat.S_ISREG(st.st_mode):
        raise _Unsure(str(path))
    return f"{path}\0{st.st_size}\0{st.st_mtime_ns}"


def scan(options: BuildOptions) -> Scan | None:
    """The hash of everything a build of ``options`` reads, by stamps; None when the quick check cannot tell."""
    started = time.time()
    site = options.site_dir.resolve()
    libraries = library_versions()
    if any(version is None for _, version in libraries):
        return None  # (an install the full check asks importlib.metadata about)
    settings = (str(site), options.drafts, options.keep_going, options.as_of, os.environ.get("SOURCE_DATE_EPOCH"), sys.version, libraries)
    lines = [repr((QUICK_VERSION, *settings))]
    try:
        if not (site / "content").is_dir() or (site / "content").is_symlink():
            return None
        lines.append(_file_stamp(site / "site.toml"))
        first = len(lines)
        _stamps(str(site / "content"), lines)
        content = lines[first:]
        for root, suffix in ((site / "themes", ""), (BUNDLED_THEMES, ""), (PACKAGE, ".py")):
            if root.is_dir():
                _stamps(str(root), lines, suffix)
            else:
                lines.append(f"{root}\0-")
    except _Unsure:
        return None
    head = git_head(site)
    lines.append(head)
    digest = hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()
    return Scan(digest, started, content, head)


def _books(out: Path) -> str:
    """The sha256 of `_BOOKS`' bytes ("" while one cannot be read)."""
    h = hashlib.sha256()
    try:
        for name in _BOOKS:
            data = (out / name).read_bytes()
            h.update(b"%d\0" % len(data) + data)
    except OSError:
        return ""
    return h.hexdigest()


def _read(out: Path) -> Record | None:
    try:
        data = marshal.loads((out / QUICK_FILE).read_bytes())
        version, key, day, books, problems, held, outputs = data
        if version != QUICK_VERSION:
            return None
        found = tuple(Problem(path, line, message, Severity(severity), Kind(kind), column) for path, line, message, severity, kind, column in problems)
        return Record(key, tuple(day), books, found, tuple(held), outputs)
    except Exception:  # missing, truncated, another layout: the full check decides
        return None


def check(options: BuildOptions) -> tuple[BuildResult | None, Scan | None]:
    """The no-op result when nothing changed since the recorded build (else None), and this build's `scan`."""
    out = options.output
    found = scan(options)
    record = _read(out)
    if record is None or found is None or found.key != record.key or not record.day[0] <= found.started < record.day[1]:
        return None, found
    # Most likely a no-op now: its stamps go before the outputs record is read (the two at once
    # were the no-op's peak, +9 MB at 50,000 posts); were an output gone, discover stats again.
    found = replace(found, content=[])
    outputs = read_outputs_record(out)
    if not record.books or _books(out) != record.books or outputs is None or missing_files(out, outputs):
        return None, found
    return BuildResult(record.problems, outputs=record.outputs, held=record.held), found


def build_once(options: BuildOptions) -> BuildResult:
    """``liangshai build``: the quick check; else the full check and the builder (`build.inputs.build_checked`,
    imported only then), and the record of this build's inputs for the next one."""
    start = time.perf_counter()
    quick, found = check(options)
    if quick is not None:
        return replace(quick, seconds=time.perf_counter() - start)
    from generator.build.inputs import build_checked

    result, day = build_checked(options, found)
    if found is not None and day is not None:
        save(options.output, found, result, day)
    return replace(result, seconds=time.perf_counter() - start)  # (the checks and the builder's import included)


def day_bounds(as_of: dt.date, tz: dt.tzinfo, fixed: bool) -> tuple[float, float]:
    """The seconds since the epoch during which "today" in ``tz`` is ``as_of`` (unbounded when ``fixed``: --as-of, SOURCE_DATE_EPOCH)."""
    if fixed:
        return (float("-inf"), float("inf"))
    start = dt.datetime.combine(as_of, dt.time(), tz)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tz)
    return (start.timestamp(), end.timestamp())


def save(out: Path, found: Scan, result: BuildResult, day: tuple[float, float]) -> None:
    """Record ``found`` for the next `check`, after a build of those inputs succeeded (``result``); ``day``: `day_bounds`.

    A failed build leaves the folder as it was, this file too (its record still
    describes the output). Nothing is recorded, and the older record goes,
    when the build began on another day than the one it built: it may have
    started before midnight.
    """
    if not result.ok:
        return
    if not day[0] <= found.started < day[1]:
        try:
            (out / QUICK_FILE).unlink()
        except OSError:
            pass
        return
    problems = tuple((p.path, p.line, p.message, p.severity.value, p.kind.value, p.column) for p in result.problems)
    data = (QUICK_VERSION, found.key, day, _books(out), problems, result.held, result.outputs)
    atomic_write(out / QUICK_FILE, marshal.dumps(data, 2))  # (version 2: no back-references, which follow refcounts: the same bytes every time)


__all__ = ["QUICK_FILE", "Record", "Scan", "build_once", "check", "day_bounds", "save", "scan"]
