"""Write stage: the persistent build state saved next to the output.

These files inside the output folder, all hidden (never published or served):

- ``.liangshai-state.pickle`` — versioned: each output's fingerprint or stamp,
  each page family's key (plan.Family), the git history read at a commit, and
  the names of the post shards below. It is a cache we wrote ourselves; a
  missing, unreadable, corrupt or older state is simply empty, so the next
  build is a full one, never a wrong one.
- ``.liangshai-posts-<sha256>.pickle`` — one per unit folder (`PostShard`):
  each source's stamp and content hash with its parsed post and problems (as
  rows of field values, `cached_row`), named by the sha256 of its bytes. A
  save writes only the shards whose posts changed (an edit: one unit's, about
  a twentieth of the posts) and removes the ones no state names any more; a
  load reads them all (issue 23: the save of the whole state was 0.23 s of an
  edit at 10,000 posts, 1.6 s at 50,000).
- ``.liangshai-state.key`` — the small part a no-op build needs: the input key
  of the build that wrote the state, its problems, its outputs and the PDF/DOCX
  texts. Read first, so a build that finds nothing changed never unpickles the
  large state. Written after the state and removed before it.
- ``.liangshai-bodies.sqlite`` — rendered body HTML keyed by the body digest
  (Markdown source + Markdown/sanitiser settings), so a template edit re-renders
  pages without re-running Markdown.

The state is removed before outputs are moved into place and saved after, so
a build interrupted half-way leaves no state that could vouch for a file it
did not finish.

A builder that builds again in the same process (``serve``, the tests) keeps
the state it saved (`SavedState`) and takes it instead of unpickling the file
while the file is still the one it wrote (same inode, size and mtime): 0.1-0.2 s
of every preview rebuild at 10,000 posts, and the state's hash for the no-op key.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

from generator.core.errors import Problem
from generator.core.model import FileFacts, History, Post, RenderedBody
from generator.core.process import resume_gc
from generator.write.output import KEY_FILE, OUTPUTS_FILE, STATE_FILE, Signature, atomic_write, atomic_write_with, file_signature, read_outputs_record

BODIES_FILE = ".liangshai-bodies.sqlite"
LOCK_TIMEOUT = 0.5  # seconds a SQLite file of ours locked by another process is waited for
STATE_VERSION = 11  # 11: a shard's posts as rows (`LAYOUT`); 10: the cached posts in shard files (PostShard)
SHARD_PREFIX = ".liangshai-posts-"  # + the sha256 of the file's bytes + SHARD_SUFFIX
SHARD_SUFFIX = ".pickle"
LEGACY_FILES = (".liangshai-state.json",)


@dataclass(frozen=True)
class CachedPost:
    """A parsed post, valid while its stamp, context and dependencies are unchanged."""

    stamp: tuple[int, int]  # size, mtime_ns
    context: str  # hash of site.toml settings + the unit file + parser versions
    deps: tuple[tuple[str, FileFacts | None], ...]  # referenced files and their facts (sources.FileFacts)
    post: Post  # with body "" (the source is re-read when the body is needed)
    problems: tuple[Problem, ...]
    body: RenderedBody | None  # html "" (fetched from the body store), None when not rendered
    token: str = ""  # changes whenever the parse does (post fields, body digest): plan.Family keys
    list_token: str = ""  # plan.list_token(post): what lists show of it (made once per parse, not per build)


@dataclass(frozen=True)
class FamilyRecord:
    """What a page family (plan.Family) planned last time; reused while its key is unchanged."""

    key: str
    pages: tuple[tuple[str, str, str], ...]  # (path, template, owner); fingerprints in BuildState.pages
    files: tuple[tuple[str, str], ...] = ()  # (path, owner); keys in BuildState.files
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class NoopKey:
    """The part of the state a no-op build reads (see the module docstring)."""

    input_key: str = ""  # hash of every input of the build that wrote the state ("" = unknown: build again)
    problems: tuple[Problem, ...] = ()  # its warnings, repeated when a no-op build skips the work
    outputs: tuple[str, ...] = ()
    documents: dict[str, Any] = field(default_factory=dict)
    state_digest: str = ""  # sha256 of the state file written with it (bytes, not mtime: builds are byte-identical)


@dataclass(frozen=True)
class PostShard:
    """The cached posts of one unit folder (every source path starting with ``prefix``), saved in a file of their own.

    ``items``: the (path, cached post) pairs the file holds, in memory only (never pickled:
    `__reduce__`), so the next save can tell an unchanged shard by identity, without
    pickling it again (nothing mutates a `CachedPost`; a re-parse makes a new one).
    """

    prefix: str  # "content/<unit>/": the shards in prefix order concatenate in source-path order
    name: str  # the file name in the output folder: SHARD_PREFIX + sha256 of its bytes + SHARD_SUFFIX
    count: int
    items: tuple[tuple[str, CachedPost], ...] = field(default=(), compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        return (PostShard, (self.prefix, self.name, self.count))

    def holds(self, items: tuple[tuple[str, CachedPost], ...]) -> bool:
        """Whether ``items`` are the very posts this shard's file holds."""
        return len(items) == len(self.items) == self.count and all(
            k == ok and v is ov for (k, v), (ok, ov) in zip(items, self.items, strict=True)
        )


@dataclass(frozen=True)
class BuildState:
    pages: dict[str, str] = field(default_factory=dict)  # output path → fingerprint
    files: dict[str, str] = field(default_factory=dict)  # output path → source stamp / data hash
    posts: dict[str, CachedPost] = field(default_factory=dict)  # source path → cached parse (saved in `shards`)
    documents: dict[str, Any] = field(default_factory=dict)  # source path → (stamp, text of a PDF/DOCX)
    global_key: str = ""  # what every family depends on (settings, units, theme, code, day): "" = none reusable
    families: dict[str, FamilyRecord] = field(default_factory=dict)
    history: tuple[str, History] | None = None  # (git commit identity, the history read there)
    template_hashes: dict[str, str] = field(default_factory=dict)  # template → hash of it and what it uses; valid under global_key
    as_of: str = ""  # the day the build counted to (unit pages show its year): `build.planning.edits_only`
    # the shard files ``posts`` was loaded from or saved to; a state made from another carries its
    # shards along, and `save_state` rewrites those whose posts are not the very ones they hold
    shards: tuple[PostShard, ...] = ()

    @property
    def outputs(self) -> set[str]:
        return set(self.pages) | set(self.files)


@contextmanager
def gc_paused(kept: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector while building many long-lived objects.

    Unpickling 10,000 cached posts triggers a collection every few hundred
    allocations, each walking everything allocated so far: 0.15 s with it,
    0.06 s without. Nothing made here is garbage, so nothing is lost.
    ``kept``: what was made is kept to the end of the build (the loaded state,
    the plan): `core.process.resume_gc` may freeze it.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            resume_gc(freeze=kept)


@dataclass(frozen=True)
class SavedState:
    """A state this process saved, with its file's signature and digest right after the save.

    Valid for its folder while the file has that signature: any rewrite (another
    build, a restore, `clear_state`) gives it another inode or mtime. Nothing
    mutates a loaded state (a build makes a new one), so it can be handed out again.
    """

    out_dir: Path
    signature: Signature
    digest: str
    state: BuildState

    def current(self, out_dir: Path) -> bool:
        return out_dir == self.out_dir and file_signature(out_dir / STATE_FILE) == self.signature


def load_key(out_dir: Path, saved: SavedState | None = None) -> NoopKey:
    try:
        with (out_dir / KEY_FILE).open("rb") as fh:
            version, key = pickle.load(fh)
    except Exception:  # missing or broken: the build is not a no-op as far as we know
        return NoopKey()
    if version != STATE_VERSION or not isinstance(key, NoopKey):
        return NoopKey()
    if saved is not None and saved.current(out_dir):
        digest = saved.digest
    elif (known := _known_digest(out_dir / STATE_FILE)) is not None:
        digest = known  # the digest the save left on the file, while the file is as it was saved
    else:
        try:
            digest = hashlib.sha256((out_dir / STATE_FILE).read_bytes()).hexdigest()
        except OSError:
            return NoopKey(documents=key.documents)
    if key.state_digest != digest:  # the state was replaced or damaged since: not a no-op
        return NoopKey(documents=key.documents)
    return key


# -- rows: a shard's cached posts as tuples of their field values -------------------
#
# Pickle keeps a dataclass instance as its class and a dict of its fields, and
# rebuilds it by making the object and filling that dict; three objects a post
# (`CachedPost`, its `Post` and `RenderedBody`) made that way were most of the
# time of reading the shards: 0.43 s at 50,000 posts, as rows 0.32 s (the family
# records, four fields each, read no faster as rows and are left to pickle).
# Rows are plain tuples in the order of the class's fields, made back into
# objects as pickle makes them (no __init__); `LAYOUT`, those classes' field
# names, is in each shard file, so one written by code with other fields is an
# older state, never misread.


def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


_POST, _BODY, _CACHED = _names(Post), _names(RenderedBody), _names(CachedPost)
LAYOUT = (("Post", _POST), ("RenderedBody", _BODY), ("CachedPost", _CACHED))
_post_row, _body_row, _cached_row = attrgetter(*_POST), attrgetter(*_BODY), attrgetter(*_CACHED)
_POST_AT, _BODY_AT = _CACHED.index("post"), _CACHED.index("body")
_new = object.__new__


def _make(cls: type, names: tuple[str, ...], values: Iterable[Any]) -> Any:
    """An instance of ``cls`` holding ``values`` (its fields ``names``, in order), made as pickle makes one."""
    obj: Any = _new(cls)
    obj.__dict__.update(zip(names, values, strict=True))  # (a row of another length: ValueError, a broken state)
    return obj


def cached_row(cached: CachedPost) -> tuple[Any, ...]:
    """``cached`` as a shard file keeps it: its field values, its post and rendered body as rows of theirs."""
    row = list(_cached_row(cached))
    row[_POST_AT] = _post_row(cached.post)
    if cached.body is not None:
        row[_BODY_AT] = _body_row(cached.body)
    return tuple(row)


def cached_post(row: tuple[Any, ...]) -> CachedPost:
    """The cached post a `cached_row` holds (ValueError for a row of another length)."""
    values = list(row)
    values[_POST_AT] = _make(Post, _POST, values[_POST_AT])
    if values[_BODY_AT] is not None:
        values[_BODY_AT] = _make(RenderedBody, _BODY, values[_BODY_AT])
    cached: CachedPost = _make(CachedPost, _CACHED, values)
    return cached


# What a build says when it found a state it could not use (`load_state_noted`): it then builds in full.
NOTE_OLD_STATE = "构建状态来自旧版本，已重新完整构建。"
NOTE_BROKEN_STATE = "构建状态无法读取（文件损坏或被占用），已重新完整构建。"


# The state file's sha256, its size and mtime_ns, kept by `save_state` in an extended attribute of
# the file itself: while the size and mtime are unchanged the file is as it was hashed, so a build
# (a no-op one above all) need not read 20 MB (100 MB at 50,000 posts) to know. Not in the key file:
# an inode or a time there would make two clean builds' folders differ. A rewrite, a copy or a
# damage changes the mtime (or loses the attribute), and the file is hashed as before; where the
# file system has no extended attributes it is always hashed.
_DIGEST_ATTR = "user.liangshai.sha256"


def _remember_digest(path: Path, digest: str) -> None:
    try:
        st = os.stat(path)
        os.setxattr(path, _DIGEST_ATTR, f"{digest} {st.st_size} {st.st_mtime_ns}".encode())  # (changes no mtime)
    except (OSError, AttributeError):  # no extended attributes here (or not on this system)
        pass


def _known_digest(path: Path) -> str | None:
    try:
        digest, size, mtime = os.getxattr(path, _DIGEST_ATTR).decode().split(" ")
        st = os.stat(path)
    except (OSError, AttributeError, ValueError, UnicodeDecodeError):
        return None
    return digest if (st.st_size, st.st_mtime_ns) == (int(size), int(mtime)) else None


def load_state(out_dir: Path, saved: SavedState | None = None) -> BuildState:
    return load_state_noted(out_dir, saved)[0]


def load_state_noted(out_dir: Path, saved: SavedState | None = None) -> tuple[BuildState, str]:
    """The saved state, and a note for the author when one was there but cannot be used.

    No state at all (a first build, or one after an interrupted commit) is no
    news; an older or unreadable one is discarded with `NOTE_OLD_STATE` or
    `NOTE_BROKEN_STATE`: the build is then a full one, never a wrong one.
    """
    if saved is not None and saved.current(out_dir):
        return saved.state, ""
    path = out_dir / STATE_FILE
    if not os.path.lexists(path):
        return BuildState(), ""
    try:
        with gc_paused(kept=True):
            with path.open("rb") as fh:
                version, state = pickle.load(fh)
            if version != STATE_VERSION or not isinstance(state, BuildState):
                return BuildState(), NOTE_OLD_STATE
            return _with_shards(out_dir, state), ""
    except (ImportError, AttributeError):  # pickled classes another version of the code had
        return BuildState(), NOTE_OLD_STATE
    except Exception:  # truncated, garbage, a folder, unreadable (the state file or a shard)
        return BuildState(), NOTE_BROKEN_STATE


class _BadShard(Exception):
    """A shard file that is not the one the state names (replaced, or written by other code)."""


def _shard_digest(name: str) -> str:
    return name[len(SHARD_PREFIX) : -len(SHARD_SUFFIX)]


def _with_shards(out_dir: Path, state: BuildState) -> BuildState:
    """``state`` with the posts of its shard files (each one's items kept for the next save)."""
    if not state.shards:
        return state
    posts = dict(state.posts)
    shards: list[PostShard] = []
    for shard in state.shards:
        path = out_dir / shard.name
        data = path.read_bytes()
        # the file must be the one the state names (its bytes' sha256): by the digest the save left on
        # the file while it is unchanged (`_known_digest`), else hashed (~0.03 s per 20 MB)
        if _known_digest(path) != _shard_digest(shard.name) and hashlib.sha256(data).hexdigest() != _shard_digest(shard.name):
            raise _BadShard(shard.name)
        version, layout, prefix, rows = pickle.loads(data)
        del data
        if version != STATE_VERSION or layout != LAYOUT or prefix != shard.prefix or not isinstance(rows, tuple) or len(rows) != shard.count:
            raise _BadShard(shard.name)
        items = tuple([(rel, cached_post(row)) for rel, row in rows])
        posts.update(items)
        shards.append(PostShard(shard.prefix, shard.name, shard.count, items))
    return replace(state, posts=posts, shards=tuple(shards))


def recorded_outputs(out_dir: Path) -> set[str]:
    """The outputs the last builds left (`record_outputs`).

    Without the record (an output folder made before it existed) but with
    our own body cache in the folder, every visible file counts: the folder is
    ours, and a full build must not leave a page it no longer plans.
    """
    recorded = read_outputs_record(out_dir)
    if recorded is not None:
        return recorded
    if not (out_dir / BODIES_FILE).is_file():
        return set()
    found: set[str] = set()
    for folder, dirs, files in os.walk(out_dir):
        # pagefind/ is not the writer's: the search stage keeps its own books (search.MEMBERS)
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (folder == str(out_dir) and d == "pagefind")]
        prefix = "" if folder == str(out_dir) else os.path.relpath(folder, out_dir).replace(os.sep, "/") + "/"
        found.update(prefix + name for name in files if not name.startswith("."))
    return found


def record_outputs(out_dir: Path, outputs: set[str]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(out_dir / OUTPUTS_FILE, "".join(f"{p}\n" for p in sorted(outputs)).encode("utf-8"))


def clear_state(out_dir: Path) -> None:
    for name in (KEY_FILE, STATE_FILE, *LEGACY_FILES):
        path = out_dir / name
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except IsADirectoryError:  # (or PermissionError on some systems) our hidden name, taken by a folder
            _remove_folder(path)
        except PermissionError:
            if not path.is_dir():
                raise
            _remove_folder(path)


def _remove_folder(path: Path) -> None:
    """A folder where the state belongs would make every save fail: it is ours (a hidden
    `.liangshai-` name inside the output folder) and goes."""
    import shutil

    shutil.rmtree(path)


class _HashingFile:
    """A file that hashes what is written to it: the state is pickled straight to disk."""

    def __init__(self, raw: Any, sha256: Any) -> None:
        self.raw = raw
        self.sha256 = sha256

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        return self.raw.write(data)


def save_state(out_dir: Path, state: BuildState) -> SavedState:
    """Write the state; it with its sha256 (for the `NoopKey` written after it, `save_key`) and its file's signature.

    Pickled to the file as it goes (in Pickle's 64 KB frames), not into one
    ~20 MB bytes object first: that copy was the builder's memory peak at
    10,000 posts.
    """
    digest = hashlib.sha256()
    shards = save_shards(out_dir, state)
    head = replace(state, posts={}, shards=shards)  # the posts are in the shard files it names

    def dump(raw: Any) -> None:
        with gc_paused():
            pickle.dump((STATE_VERSION, head), _HashingFile(raw, digest), protocol=pickle.HIGHEST_PROTOCOL)

    atomic_write_with(out_dir / STATE_FILE, dump)
    _remember_digest(out_dir / STATE_FILE, digest.hexdigest())
    signature = file_signature(out_dir / STATE_FILE)
    assert signature is not None  # just written
    remove_shards(out_dir, keep={s.name for s in shards})
    same = len(shards) == len(state.shards) and all(a is b for a, b in zip(shards, state.shards, strict=True))
    return SavedState(out_dir, signature, digest.hexdigest(), state if same else replace(state, shards=shards))


def shard_prefix(rel: str) -> str:
    """The unit folder a source path is in ("content/<unit>/"; "" for any other path)."""
    first = rel.find("/")
    second = rel.find("/", first + 1) if first >= 0 else -1
    return rel[: second + 1] if second >= 0 else ""


def save_shards(out_dir: Path, state: BuildState) -> tuple[PostShard, ...]:
    """Write the shard files ``state.posts`` needs that are not on disk already; the shards, in prefix order."""
    groups: dict[str, list[tuple[str, CachedPost]]] = {}
    for rel, cached in state.posts.items():
        groups.setdefault(shard_prefix(rel), []).append((rel, cached))
    known = {s.prefix: s for s in state.shards}
    shards: list[PostShard] = []
    for prefix in sorted(groups):
        items = tuple(sorted(groups[prefix], key=itemgetter(0)))  # (linear when sorted already, as the builder's are)
        old = known.get(prefix)
        if old is not None and old.holds(items) and os.path.isfile(out_dir / old.name):
            shards.append(old)
            continue
        with gc_paused():
            data = pickle.dumps((STATE_VERSION, LAYOUT, prefix, tuple([(rel, cached_row(cached)) for rel, cached in items])), protocol=pickle.HIGHEST_PROTOCOL)
        digest = hashlib.sha256(data).hexdigest()
        name = f"{SHARD_PREFIX}{digest}{SHARD_SUFFIX}"
        atomic_write(out_dir / name, data)
        _remember_digest(out_dir / name, digest)
        shards.append(PostShard(prefix, name, len(items), items))
    return tuple(shards)


STALE_TEMPORARY = 3600  # seconds after which a half-written shard is surely no running save's


def remove_shards(out_dir: Path, keep: set[str]) -> None:
    """Remove the shard files no saved state names, and the half-written ones an interrupted save left.

    Another process's save in progress (serve's beside a ``liangshai build``)
    keeps its temporaries; if it loses a shard it has just written, its state
    names a missing file and the next build is a full one (`load_state_noted`).
    """
    try:
        entries = list(os.scandir(out_dir))
    except OSError:
        return
    old = time.time() - STALE_TEMPORARY
    for entry in entries:
        name = entry.name
        try:
            if (name.startswith(SHARD_PREFIX) and name not in keep) or (name.startswith(f".{SHARD_PREFIX}") and entry.stat().st_mtime < old):
                os.unlink(entry.path)
        except OSError:  # (a folder, or gone already): never a reason for a save to fail
            pass


def save_key(out_dir: Path, key: NoopKey) -> None:
    atomic_write(out_dir / KEY_FILE, pickle.dumps((STATE_VERSION, key), protocol=pickle.HIGHEST_PROTOCOL))


def _drop_all_but(db: sqlite3.Connection, table: str, live: Iterable[str]) -> None:
    """Delete the rows of ``table`` (``bodies`` or ``memo``: ours) whose digest is not in ``live``."""
    db.execute(f"CREATE TEMP TABLE IF NOT EXISTS live_{table} (digest TEXT PRIMARY KEY)")
    db.execute(f"DELETE FROM live_{table}")
    db.executemany(f"INSERT OR IGNORE INTO live_{table} VALUES (?)", ((d,) for d in live))
    db.execute(f"DELETE FROM {table} WHERE digest NOT IN (SELECT digest FROM live_{table})")


class BodyStore:
    """Rendered body HTML by digest, in one SQLite file next to the output; beside it (table ``memo``)
    other figures a build may recall by the digest of their inputs (`build.phases.MetricsMemo`)."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / BODIES_FILE
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        """The connection; raises sqlite3.DatabaseError when the store cannot be used now (callers treat it as empty)."""
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._open()
            except sqlite3.OperationalError:  # locked by another process (or unreadable): not ours to delete
                raise
            except sqlite3.DatabaseError:  # a corrupt cache is thrown away, never trusted
                os.unlink(self.path)
                self._db = self._open()
        return self._db

    def _open(self) -> sqlite3.Connection:
        # A short wait: a store another process holds is a cache miss (bodies rendered again), not a stall.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=LOCK_TIMEOUT)
        try:
            db.execute("CREATE TABLE IF NOT EXISTS bodies (digest TEXT PRIMARY KEY, html TEXT NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS memo (digest TEXT PRIMARY KEY, data BLOB NOT NULL)")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get(self, digest: str) -> str | None:
        try:
            row = self._conn().execute("SELECT html FROM bodies WHERE digest = ?", (digest,)).fetchone()
        except sqlite3.DatabaseError:
            return None
        return row[0] if row else None

    def put_many(self, items: list[tuple[str, str]]) -> None:
        if items:  # (locked or unreadable: the bodies are rendered again when needed)
            self._transaction(lambda db: db.executemany("INSERT OR REPLACE INTO bodies (digest, html) VALUES (?, ?)", items))

    def recall(self, digests: Collection[str]) -> dict[str, bytes]:
        """The memo entries of ``digests`` that are there (none when the store cannot be read now)."""
        try:
            db = self._conn()
            found: dict[str, bytes] = {}
            wanted = sorted(digests)
            for i in range(0, len(wanted), 500):  # (SQLite's limit on bound parameters)
                part = wanted[i : i + 500]
                found.update(db.execute(f"SELECT digest, data FROM memo WHERE digest IN ({','.join('?' * len(part))})", part).fetchall())
            return found
        except sqlite3.DatabaseError:
            return {}

    def remember(self, items: list[tuple[str, bytes]], live: Collection[str]) -> None:
        """Add memo entries, and drop those not in ``live`` (the entries this build asked for)."""

        def work(db: sqlite3.Connection) -> None:
            db.executemany("INSERT OR REPLACE INTO memo (digest, data) VALUES (?, ?)", items)
            if db.execute("SELECT COUNT(*) FROM memo").fetchone()[0] > len(live):
                _drop_all_but(db, "memo", live)

        self._transaction(work)  # (locked or unreadable: the figures are worked out again next time)

    def keep_only(self, digests: set[str]) -> None:
        """Drop bodies no post uses any more (only when they clearly outnumber the live ones)."""
        try:
            (count,) = self._conn().execute("SELECT COUNT(*) FROM bodies").fetchone()
        except sqlite3.DatabaseError:
            return
        if count > len(digests) * 1.5 + 100:
            self._transaction(lambda db: _drop_all_but(db, "bodies", digests))

    def _transaction(self, work: Callable[[sqlite3.Connection], object]) -> None:
        """``work`` in one transaction, or not at all: a store that is locked or unreadable now is left as it is (a cache)."""
        try:
            db = self._conn()
        except sqlite3.DatabaseError:
            return
        try:
            db.execute("BEGIN")
            work(db)
            db.execute("COMMIT")
        except sqlite3.DatabaseError:
            try:
                db.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                pass

    def __getstate__(self) -> dict[str, object]:
        """Pickled for a worker process: the path only (a SQLite connection never crosses processes)."""
        return {"path": self.path, "_db": None}

    def forget_connection(self) -> None:
        """In a forked child: drop the parent's connection without touching it."""
        self._db = None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
