"""The saved build state: an old, corrupt or locked state is never trusted (issue 23).

Whatever is found where the state belongs (an older format, truncated bytes,
garbage, a folder, a SQLite file another connection holds locked), the build
is a full one and its output equals a clean build's bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from conftest import UNIT_TOML, post_text, write_site

from generator.build.builder import Builder, BuildOptions
from generator.core.model import Post, RenderedBody
from generator.write import state as state_module

AS_OF = dt.date(2026, 6, 30)
FILES = {
    "content/jx/2026/a.md": post_text("三月支部委员会", "2026-03-05", "支部生活", "## 议题\n\n学习。", meeting="支部委员会", branch="jx-jg1", tags=["学习"]),
    "content/jx/2026/b.md": post_text("三月主题党日", "2026-03-10", "支部生活", "参观。", meeting="主题党日", branch="jx-jg1"),
    "content/jx/2026/c.md": post_text("四月通知", "2026-04-01", "通知公告", "请参加。"),
}
EDITED = ("content/jx/2026/c.md", "请参加。", "请准时参加。")


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and not p.name.startswith(".liangshai")}


def build(site: Path, out: Path):
    result = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build()
    assert result.ok, [p.format() for p in result.problems]
    return result


def edit(site: Path) -> None:
    rel, old, new = EDITED
    path = site / rel
    path.write_text(path.read_text("utf-8").replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, bytes]]:
    """A site built once (its warm output, before the edit) and the clean build of the edited site."""
    root = tmp_path_factory.mktemp("state")
    site = write_site(root / "site", dict(FILES))
    warm = root / "warm"
    build(site, warm)
    edited = root / "edited"
    shutil.copytree(site, edited)
    edit(edited)
    clean = root / "clean"
    build(edited, clean)
    return site, warm, tree(clean)


@pytest.fixture
def copy(sites, tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """A copy of the warm site and output, its post edited (so a trusted stale state would show), and the clean bytes."""
    site, warm, clean = sites
    shutil.copytree(site, tmp_path / "site", copy_function=shutil.copy2)  # (stamps kept: the state's parses hold)
    shutil.copytree(warm, tmp_path / "out", copy_function=shutil.copy2)
    return tmp_path / "site", tmp_path / "out", clean


def _older_version(out: Path) -> None:
    path = out / state_module.STATE_FILE
    state = state_module.load_state(out)
    assert state.posts, "the warm build saved a state"
    path.write_bytes(pickle.dumps((state_module.STATE_VERSION - 1, state)))


def test_an_older_state_is_discarded_with_a_note_and_the_build_is_full(copy) -> None:
    site, out, clean = copy
    _older_version(out)
    edit(site)
    result = build(site, out)
    assert result.notes == (state_module.NOTE_OLD_STATE,)
    assert "旧版本" in result.notes[0] and "重新完整构建" in result.notes[0]
    assert len(result.parsed) == len(FILES)  # a full build: every post read again
    assert tree(out) == clean
    again = build(site, out)  # the new state is used again, silently
    assert again.notes == () and again.parsed == ()


def test_the_cli_prints_the_note_and_not_under_quiet(copy, capsys: pytest.CaptureFixture[str]) -> None:
    from generator.cli import main

    site, out, _clean = copy
    _older_version(out)
    assert main(["build", str(site), "-o", str(out), "--as-of", AS_OF.isoformat()]) == 0
    assert state_module.NOTE_OLD_STATE in capsys.readouterr().out
    _older_version(out)
    assert main(["build", str(site), "-o", str(out), "--as-of", AS_OF.isoformat(), "-q"]) == 0
    assert capsys.readouterr().out == ""


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Another connection holding a write transaction on a SQLite file."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        db.execute("ROLLBACK")
        db.close()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x80\x05garbage" * 50)


def _folder(path: Path) -> None:
    path.unlink()
    (path / "inside").mkdir(parents=True)


def _missing(path: Path) -> None:
    path.unlink()


def _fewer_posts(path: Path) -> None:
    """A well-formed shard of fewer posts under this one's name."""
    version, layout, prefix, rows = pickle.loads(path.read_bytes())
    path.write_bytes(pickle.dumps((version, layout, prefix, rows[:-1])))


def _other_parse(path: Path) -> None:
    """A well-formed shard of as many posts, one parse changed (its token), under this one's name."""
    version, layout, prefix, rows = pickle.loads(path.read_bytes())
    (rel, row), *rest = rows
    forged = state_module.cached_row(dataclasses.replace(state_module.cached_post(row), token="forged"))
    path.write_bytes(pickle.dumps((version, layout, prefix, ((rel, forged), *rest))))


def _as_if_saved(path: Path, data: bytes) -> None:
    """``data`` in place of the shard file ``path``, named by its digest and named so by the state, as a save
    by other code would leave it: the digest check passes, what the file holds is all there is to go by."""
    import hashlib

    name = f"{state_module.SHARD_PREFIX}{hashlib.sha256(data).hexdigest()}{state_module.SHARD_SUFFIX}"
    (path.parent / name).write_bytes(data)
    path.unlink()
    head_file = path.parent / state_module.STATE_FILE
    version, head = pickle.loads(head_file.read_bytes())
    shards = tuple(dataclasses.replace(s, name=name) if s.name == path.name else s for s in head.shards)
    head_file.write_bytes(pickle.dumps((version, dataclasses.replace(head, shards=shards))))


def _other_layout(path: Path) -> None:
    """The same rows under another field layout (code whose posts have other fields wrote it)."""
    version, layout, prefix, rows = pickle.loads(path.read_bytes())
    (name, names), *rest = layout
    _as_if_saved(path, pickle.dumps((version, ((name, (*names[1:], names[0])), *rest), prefix, rows)))


def _short_rows(path: Path) -> None:
    """Rows one value short, under this code's layout."""
    version, layout, prefix, rows = pickle.loads(path.read_bytes())
    _as_if_saved(path, pickle.dumps((version, layout, prefix, tuple((rel, row[:-1]) for rel, row in rows))))


DAMAGE: dict[str, Callable[[Path], None]] = {"truncated": _truncate, "garbage": _garbage, "folder": _folder}
SHARD_DAMAGE: dict[str, Callable[[Path], None]] = {
    **DAMAGE,
    "missing": _missing,
    "fewer": _fewer_posts,
    "other": _other_parse,
    "layout": _other_layout,
    "short": _short_rows,
}


def _shards(out: Path) -> list[Path]:
    return sorted(out.glob(f"{state_module.SHARD_PREFIX}*{state_module.SHARD_SUFFIX}"))


@pytest.mark.parametrize("how", [*(f"state-{k}" for k in sorted(DAMAGE)), *(f"shard-{k}" for k in sorted(SHARD_DAMAGE))])
def test_a_damaged_state_never_yields_a_wrong_site(copy, how: str) -> None:
    site, out, clean = copy
    what, kind = how.split("-", 1)
    if what == "state":
        DAMAGE[kind](out / state_module.STATE_FILE)
    else:
        (shard,) = _shards(out)  # the fixture's one unit
        SHARD_DAMAGE[kind](shard)
    edit(site)
    result = build(site, out)
    assert len(result.parsed) == len(FILES)
    assert result.notes in ((state_module.NOTE_BROKEN_STATE,), (state_module.NOTE_OLD_STATE,))
    assert tree(out) == clean
    assert build(site, out).parsed == ()  # a good state was saved in its place


def test_a_damaged_noop_key_never_skips_the_build(copy) -> None:
    site, out, clean = copy
    for how in DAMAGE.values():
        how(out / state_module.KEY_FILE)
        edit(site)
        build(site, out)
        assert tree(out) == clean


def test_locked_sqlite_files_never_yield_a_wrong_site(copy) -> None:
    """Every SQLite file of ours (the body store, and the state when it is one) locked by another writer."""
    site, out, clean = copy
    edit(site)
    databases = sorted(p for p in out.iterdir() if p.is_file() and p.read_bytes()[:16] == b"SQLite format 3\0")
    assert out / state_module.BODIES_FILE in databases
    with ExitStack() as stack:
        for path in databases:
            stack.enter_context(_locked(path))
        result = build(site, out)
    assert tree(out) == clean
    assert result.parsed  # the edited post at least
    build(site, out)  # and once the lock is gone
    assert tree(out) == clean


def test_a_noop_build_does_not_read_the_state_and_a_rewritten_state_is_hashed(copy, monkeypatch: pytest.MonkeyPatch) -> None:
    """The no-op key vouches for the state file by its signature: no 20 MB read while it is untouched."""
    site, out, _clean = copy
    edit(site)
    build(site, out)  # (the copy's state has a new inode: a build that is not a no-op writes a key for it)
    read: list[str] = []
    real = Path.read_bytes

    def reading(self: Path) -> bytes:
        read.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", reading)
    result = build(site, out)
    assert result.parsed == () and result.rendered == ()
    assert state_module.STATE_FILE not in read
    # the same bytes written again (a new inode and mtime): hashed, and still vouched for
    data = real(out / state_module.STATE_FILE)
    (out / state_module.STATE_FILE).unlink()
    (out / state_module.STATE_FILE).write_bytes(data)
    assert build(site, out).rendered == ()
    assert state_module.STATE_FILE in read
    # other bytes: not a no-op any more
    _older_version(out)
    assert build(site, out).notes == (state_module.NOTE_OLD_STATE,)


def test_an_edit_rewrites_only_its_units_shard(tmp_path: Path) -> None:
    """The cached posts are saved per unit folder: an edit writes one shard file, and the one it replaces goes."""
    files = {
        **FILES,
        "content/hx/_unit.toml": UNIT_TOML.replace("机械", "化学").replace("jx-", "hx-").replace("order = 10", "order = 20"),
        "content/hx/2026/d.md": post_text("化学院通知", "2026-04-02", "通知公告", "请参加。"),
    }
    site = write_site(tmp_path / "site", files)
    out = tmp_path / "out"
    build(site, out)
    before = {p.name: p.stat().st_ino for p in _shards(out)}
    assert len(before) == 2
    state = state_module.load_state(out)
    assert [s.prefix for s in state.shards] == ["content/hx/", "content/jx/"]
    assert sorted(state.posts) == sorted(rel for rel in files if rel.endswith(".md"))
    edit(site)  # a post of jx
    result = build(site, out)
    assert result.parsed == (EDITED[0],)
    after = {p.name: p.stat().st_ino for p in _shards(out)}
    kept = set(before) & set(after)
    assert len(kept) == 1 and len(after) == 2  # hx's file as it was; jx's written anew, the old one removed
    (hx,) = (s for s in state.shards if s.prefix == "content/hx/")
    assert kept == {hx.name} and after[hx.name] == before[hx.name]
    edited = state_module.load_state(out)
    assert edited.posts[EDITED[0]].token != state.posts[EDITED[0]].token
    assert {rel: c.token for rel, c in edited.posts.items() if rel != EDITED[0]} == {rel: c.token for rel, c in state.posts.items() if rel != EDITED[0]}
    assert build(site, out).parsed == ()  # and a no-op after it


def test_cached_posts_come_back_from_their_rows_as_they_were(sites, tmp_path: Path) -> None:
    """A shard keeps each cached post as rows of field values (`state.cached_row`): read back from disk, every post
    equals the one the build held in memory, field for field, with nothing in it but its fields (and `Post.day`)."""
    site, _warm, _clean = sites
    builder = Builder(BuildOptions(site, tmp_path / "out", as_of=AS_OF, jobs=1))
    assert builder.build().ok and builder._saved is not None
    held = builder._saved.state.posts  # the build's own objects, never pickled
    read = state_module.load_state(tmp_path / "out").posts
    assert held and read.keys() == held.keys() and any(c.body is not None for c in held.values())
    for rel, cached in held.items():
        again = read[rel]
        assert again == cached and again is not cached
        assert again.post.day == cached.post.day
        for obj, cls in ((again, state_module.CachedPost), (again.post, Post), (again.body, RenderedBody)):
            if obj is not None:
                assert type(obj) is cls and set(vars(obj)) <= {f.name for f in dataclasses.fields(cls)} | {"day"}
    draft = dataclasses.replace(next(iter(held.values())), body=None)  # (a draft's parse has no rendered body)
    row = state_module.cached_row(draft)
    assert not any(dataclasses.is_dataclass(v) for v in row)  # the post and its body are rows too
    assert state_module.cached_post(row) == draft


def test_library_versions_from_folder_names_are_importlib_metadatas() -> None:
    """`code_digest` reads the libraries' versions from their dist-info folder names (no
    importlib.metadata on a no-op build): the answers are the ones importlib.metadata gives."""
    from importlib import metadata

    from generator.core import digests

    found = digests._installed_versions()
    for name in digests._LIBRARIES:
        assert found.get(digests._normal(name)) == metadata.version(name), name
