"""Write stage: staged, write-if-changed, atomic output.

Changed files are first written to a staging folder inside the output (same
filesystem), and only when every page rendered are they moved into place with
``os.replace``; a failed or interrupted build therefore never leaves a file
half-written, and a build that fails before `commit` leaves the previous output
untouched. Unchanged bytes are not rewritten, so their mtime is kept (nginx
caches and rsync stay warm). Outputs the previous build produced but this one
does not are deleted; files liangshai never wrote are left alone.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

STAGING = ".liangshai-staging"
# The builder's own files in the output folder (hidden: never published, never an output).
# Named here, not in `write.state`, for the quick no-op check (`build.quick`), which reads
# their signatures and the outputs record without importing the state's classes.
STATE_FILE = ".liangshai-state.pickle"
KEY_FILE = ".liangshai-state.key"
OUTPUTS_FILE = ".liangshai-outputs"  # plain text, one output path a line: survives any state version

Signature = tuple[int, int, int]  # a file's inode, size and mtime_ns


def file_signature(path: Path) -> Signature | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def read_outputs_record(out_dir: Path) -> set[str] | None:
    """The paths `write.state.record_outputs` left in `OUTPUTS_FILE`; None without a readable record."""
    try:
        text = (out_dir / OUTPUTS_FILE).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    # one path a line; anything odd is dropped (Writer.commit confines deletions to the folder anyway)
    return {line for line in text.split("\n") if line and not line.startswith(("/", ".")) and "\0" not in line}


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...]
    deleted: tuple[str, ...]


def safe_join(out_dir: Path, rel: str) -> Path:
    """``out_dir / rel``, refusing anything that would land outside the output."""
    if rel.startswith("/") or "\\" in rel or any(part in ("..", "") for part in rel.split("/")):
        raise ValueError(f"非法的输出路径：{rel}")
    return out_dir / rel


def missing_files(out_dir: Path, paths: Iterable[str]) -> frozenset[str]:
    """The ``paths`` (relative to ``out_dir``, as the build state lists them) with nothing there now.

    One ``access`` each in one tight loop: the no-op check and the reuse of the last
    build's pages (issue 23: 12,600 outputs at 10,000 posts, 62,000 at 50,000) ask
    for all of them on every build, and ``os.path.isfile`` per file in a loop per
    family cost five times as much.
    """
    try:
        fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return frozenset(paths)  # no output folder: nothing is there
    # Relative to the folder's descriptor: each call resolves the page's own
    # path, not the output folder's too (62,000 outputs: ~0.03 s less).
    exists, here = os.access, os.F_OK
    try:
        return frozenset(p for p in paths if not exists(p, here, dir_fd=fd))
    finally:
        os.close(fd)


class Writer:
    def __init__(self, out_dir: Path):
        self.out = out_dir
        self.staging = out_dir / STAGING
        self._staged: list[str] = []
        self._staging_made = False
        if self.staging.exists():
            shutil.rmtree(self.staging)  # left by an interrupted build: never trusted

    def put(self, rel: str, data: bytes, *, known_same: bool = False) -> bool:
        """Stage ``data`` for ``rel`` unless the file already holds exactly these bytes."""
        target = safe_join(self.out, rel)
        if known_same or _same_bytes(target, data):
            return False
        self._stage_path(rel).write_bytes(data)
        self._staged.append(rel)
        return True

    def put_file(self, rel: str, source: Path) -> bool:
        target = safe_join(self.out, rel)
        try:
            st_t, st_s = target.stat(), source.stat()
            if st_t.st_size == st_s.st_size and _same_file_bytes(target, source):
                return False
        except FileNotFoundError:
            pass
        shutil.copyfile(source, self._stage_path(rel))
        self._staged.append(rel)
        return True

    def _stage_path(self, rel: str) -> Path:
        """A flat staging name per output: no directory tree to create and remove again."""
        if not self._staging_made:
            self.staging.mkdir(parents=True, exist_ok=True)
            self._staging_made = True
        return self.staging / staged_name(rel)

    @property
    def staged(self) -> tuple[str, ...]:
        """The outputs `commit` will write, in staging order."""
        return tuple(self._staged)

    def adopt(self, rels: list[str]) -> None:
        """Record files that worker processes staged with their copy of this writer."""
        known = set(self._staged)
        self._staged.extend(r for r in rels if r not in known)

    def abort(self) -> None:
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self._staged.clear()
        self._staging_made = False

    def commit(self, planned: set[str], previous: set[str]) -> WriteReport:
        """Move staged files into place, then delete outputs no longer planned."""
        # Plain strings, each folder made once, and two system calls a file where there were
        # three: a cold build moves ~12,700 pages here, one after the other, each in a folder of its own.
        out, staging = str(self.out), str(self.staging)
        folders: set[str] = set()
        for rel in self._staged:
            folder = rel.rpartition("/")[0]
            if folder not in folders:
                try:
                    os.mkdir(f"{out}/{folder}")
                except FileExistsError:
                    pass  # there already (or a file in its place: then the rename below fails)
                except FileNotFoundError:
                    os.makedirs(f"{out}/{folder}", exist_ok=True)
                folders.add(folder)
            moved, staged = f"{out}/{rel}", f"{staging}/{staged_name(rel)}"
            try:
                os.replace(staged, moved)
            except IsADirectoryError:  # a folder where the file goes (a link to one is replaced itself, never followed)
                shutil.rmtree(moved)
                os.replace(staged, moved)
        if self.staging.exists():
            shutil.rmtree(self.staging)
        deleted = []
        for rel in sorted(previous - planned):
            try:
                target = safe_join(self.out, rel)
            except ValueError:
                continue
            if target.is_file() or target.is_symlink():
                target.unlink()
                deleted.append(rel)
                _prune_empty_dirs(target.parent, self.out)
        return WriteReport(tuple(self._staged), tuple(deleted))


def staged_name(rel: str) -> str:
    return hashlib.sha1(rel.encode("utf-8")).hexdigest()


def _same_bytes(target: Path, data: bytes) -> bool:
    try:
        if target.stat().st_size != len(data):
            return False
        return target.read_bytes() == data
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


def _same_file_bytes(a: Path, b: Path) -> bool:
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            x, y = fa.read(1 << 16), fb.read(1 << 16)
            if x != y:
                return False
            if not x:
                return True


def _prune_empty_dirs(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def atomic_write(path: Path, data: bytes) -> None:
    atomic_write_with(path, lambda f: f.write(data))


def atomic_write_with(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """``write`` the file beside ``path`` and rename it into place: readers see the old file or the new one, never half of it."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
