"""Search stage, the index's layout on disk: shards, their members, which shards an update indexes, and putting indexes in place.

The index is sharded by unit and year: one Pagefind index per shard,
``pagefind/<unit>/<year>/``, holding the unit's posts of that year (the year
the post template marks with ``data-pagefind-filter="year:YYYY"``; a post page
without it goes to the shard ``undated``). Which shard each post page is in,
and its filter values, are kept in a hidden file (``MEMBERS``; deleted pages
are no longer there to read). `plan_update` says which post pages to read
again and which shards to index for the HTML a build wrote or deleted;
`install_shards` moves the shards Pagefind indexed into place (`sync_dir`),
writes the manifest ``pagefind/units.json`` and removes stale indexes. A marker
file (``DIRTY``) lists the shards whose index is behind their pages, and
``CHANGING`` the post pages a build is about to write or delete until they are
indexed, so an interrupted run is made good by the next.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import shutil
import stat
import threading
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from generator.core import urls
from generator.core.errors import Problem
from generator.search.pagefind import ENTRY
from generator.write.output import atomic_write

BUNDLE = "pagefind"
SCRATCH = ".liangshai-pagefind"
PREREAD = ".liangshai-pagefind-preread"  # the site a warmed-up service reads ahead (`indexer.Preread`); hidden, gone once read
DIRTY = ".liangshai-pagefind-dirty"  # exists while the index is behind the pages; hidden, never published
# The post pages a build is about to write or delete (`SearchIndex.note_changing`), until they are indexed; hidden, never published.
CHANGING = ".liangshai-pagefind-changing"
# The membership file: {"version": 2, "pages": {post page: [year, {filter: [values]}]}}; hidden, never published.
# Its version is in its name too, and goes up with any change of the layout (what a shard holds, the manifest's
# form): an output folder indexed in another layout has no file of this name, so even an update that changed
# no post page (an upgrade that changed only the layout, or a downgrade) indexes every shard again.
MEMBERS_VERSION = 3  # 3: each filter set once (2: one per page; an older file means one full indexing run)
MEMBERS = f".liangshai-pagefind-shards-v{MEMBERS_VERSION}.json"
MEMBERS_OTHERS = ".liangshai-pagefind-shards*.json"  # this and other versions' (removed once this one is written)
MANIFEST = "units.json"  # {"filters": {...}, "shards": [{"unit", "year", "filters"}, ...]}: the shard indexes search.js merges
BODY_MARK = b"data-pagefind-body"
YEAR_MARK = re.compile(rb'data-pagefind-filter="year:([0-9]{1,4})"')
# A filter as Pagefind reads it: data-pagefind-filter="key:value", or "key" with the element's text as the value.
FILTER_MARK = re.compile(r'data-pagefind-filter="([^"]*)"[^>]*>([^<]*)')
UNDATED = "undated"  # the shard of post pages without a year mark


class _All:
    """The type of `ALL`."""

    def __repr__(self) -> str:
        return "ALL"


ALL = _All()  # a marker or list that cannot be read names no shards or pages: read and index them all

Shard = tuple[str, str]  # (unit folder, year)
Member = tuple[str, dict[str, list[str]]]  # a post page's year (its shard) and its filter values {filter: [values]}
ReadMember = Callable[[Path], Member | None]  # `member`, or a test's spy on it


def where(shard: Shard) -> str:
    """The shard as a message names it."""
    unit, year = shard
    return f"单位 {unit} 的 {year} 年" if year != UNDATED else f"单位 {unit} 未注明年份的文章"


def scratch_name(kind: str, shard: Shard) -> str:
    return f"{kind}-{shard[0]}-{shard[1]}"


def shard_dir(shard: Shard) -> str:
    return f"{shard[0]}/{shard[1]}"


def unit_folders(out_dir: Path) -> list[str]:
    """The output's unit folders: top-level folders with an index page that the site itself does not own."""
    return sorted(
        p.name for p in out_dir.iterdir() if not p.name.startswith(".") and p.name not in urls.RESERVED_TOP and p.is_dir() and (out_dir / urls.unit(p.name)).is_file()
    )


def is_post_page(path: str) -> bool:
    """Could be a post page: ``<unit>/<slug>/index.html`` (urls.post), under no site-owned folder.

    A unit's first column page has the same shape; it counts (it changes
    with its posts anyway).
    """
    return path.count("/") == 2 and path.endswith("/index.html") and path.split("/", 1)[0] not in urls.RESERVED_TOP


# -- the hidden files ---------------------------------------------------------------


def changing(path: Path) -> set[str] | _All:
    """The pages ``CHANGING`` lists, set() without it, ALL when it cannot be read (then every page is read again)."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return set()
    except (OSError, ValueError):
        return ALL
    if not isinstance(data, list) or not all(isinstance(p, str) for p in data):
        return ALL
    return set(data)


def pending(dirty: Path) -> set[str] | _All:
    """The shards the marker says are behind ("unit/year"; a bare unit: all its shards), ALL (unreadable), or set() when there is no marker."""
    try:
        raw = dirty.read_text("utf-8")
    except FileNotFoundError:
        return set()
    except OSError:
        return ALL
    try:
        keys = json.loads(raw)
    except ValueError:
        return ALL
    if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
        return ALL
    return set(keys)


def mark(dirty: Path, shards: Iterable[Shard]) -> None:
    dirty.write_text(json.dumps(sorted(shard_dir(s) for s in shards), ensure_ascii=False), encoding="utf-8")


def read_members(path: Path) -> dict[str, Member] | None:
    """The membership file's {post page: (year, filters)}, or None when it is missing, unreadable or not as written.

    The file lists each distinct filter set once (``filters``) and each page's year
    and filter set by number (``pages``): 1,200 sets for 10,000 pages, read in a
    third of the time of one set per page (the read is on an edit's path).
    """
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != MEMBERS_VERSION:
        return None
    table, pages = data.get("filters"), data.get("pages")
    if type(table) is not list or type(pages) is not dict or not all(map(_valid_filters, table)):
        return None
    members: dict[str, Member] = {}
    count = len(table)
    # Plain loops and exact type checks (a bool is no int here): ~10,000 entries on every edit.
    for page, entry in pages.items():
        if type(entry) is not list or len(entry) != 2:
            return None
        year, number = entry
        if type(year) is not str or type(number) is not int or not 0 <= number < count:
            return None
        members[page] = (year, table[number])
    if not all(map(is_post_page, members)) or not all(map(_valid_year, {year for year, _ in members.values()})):
        return None
    return members


def _valid_filters(filters: object) -> bool:
    """{filter: [values]}, all strings (JSON object keys are always strings)."""
    return type(filters) is dict and all(type(values) is list and all(type(value) is str for value in values) for values in filters.values())


def write_members(path: Path, members: dict[str, Member]) -> None:
    """Write `read_members`' file: the distinct filter sets numbered in the order of the (sorted) pages first having them."""
    numbers: dict[str, int] = {}  # a filter set's JSON → its number
    known: dict[int, int] = {}  # id of a filter set (pages read from the file share them) → its number
    sets: list[dict[str, list[str]]] = []
    pages: dict[str, list[object]] = {}
    for page, (year, filters) in sorted(members.items()):
        number = known.get(id(filters))
        if number is None:
            key = json.dumps(filters, ensure_ascii=False, sort_keys=True)
            number = numbers.setdefault(key, len(sets))
            if number == len(sets):
                sets.append(filters)
            known[id(filters)] = number
        pages[page] = [year, number]
    data = json.dumps({"version": MEMBERS_VERSION, "filters": sets, "pages": pages}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    atomic_write(path, data.encode("utf-8"))
    for other in path.parent.glob(MEMBERS_OTHERS):
        if other.name != path.name:
            other.unlink(missing_ok=True)


def _valid_year(year: str) -> bool:
    return year == UNDATED or (year.isascii() and year.isdigit() and 1 <= len(year) <= 4)


def record(out_dir: Path, members: dict[str, Member], todo: set[Shard], old: dict[str, Member] | None) -> None:
    """Mark the ``todo`` shards as behind their pages, then write the membership file if it changed."""
    if todo:
        mark(out_dir / DIRTY, todo)
    if members != old:  # a body or title edit changes no page's shard or filters: no 1.5 MB rewrite
        write_members(out_dir / MEMBERS, members)


def fresh_scratch(out_dir: Path) -> Path:
    scratch = out_dir / SCRATCH
    if scratch.exists():
        shutil.rmtree(scratch)
    return scratch


# -- reading post pages -------------------------------------------------------------


def member(page: Path) -> Member | None:
    """A post page's (year, filters); None when it is gone or not a post page."""
    try:
        text = page.read_bytes()
    except OSError:
        return None
    return _member(text)


def member_of(path: str, text: bytes | None, out: str) -> Member | None:
    """`member` of the page at ``path`` (relative to the output folder ``out``) from its bytes, as a render worker
    has them (`render.pages.MakeJob.member`; None: not rendered again, so its file is read); None when ``path``
    is not a post page's (nothing is read) or the page is not one."""
    if not is_post_page(path):
        return None
    return member(Path(out) / path) if text is None else _member(text)


def _member(text: bytes) -> Member | None:
    if BODY_MARK not in text:
        return None
    year = YEAR_MARK.search(text)
    return (year.group(1).decode("ascii") if year else UNDATED, page_filters(text))


def page_filters(page: bytes) -> dict[str, list[str]]:
    """The filter values Pagefind reads from a page: {filter: [values, in page order, once each]}.

    The forms the post template uses: ``data-pagefind-filter="key:value"`` and
    ``data-pagefind-filter="key"`` on an element whose text is the value.
    """
    filters: dict[str, list[str]] = {}
    for attr, text in FILTER_MARK.findall(page.decode("utf-8", errors="replace")):
        key, colon, value = html.unescape(attr).partition(":")
        value = " ".join((value if colon else html.unescape(text)).split())
        key = key.strip()
        if key and value and value not in filters.setdefault(key, []):
            filters[key].append(value)
    return filters


def scan(out_dir: Path, units: Iterable[str], read_member: ReadMember = member) -> dict[str, Member]:
    """{post page: (year, filters)} of the post pages (those the post template marks for Pagefind) in ``units``' folders.

    Only post pages may be indexed: on pages without the mark Pagefind would
    index the whole page (a unit's column pages).
    """
    members: dict[str, Member] = {}
    for unit in units:
        for page in sorted((out_dir / unit).glob("*/index.html")):
            found = read_member(page)
            if found is not None:
                members[page.relative_to(out_dir).as_posix()] = found
    return members


def shards_of(members: dict[str, Member]) -> dict[Shard, list[str]]:
    """{shard: its post pages, sorted}."""
    shards: dict[Shard, list[str]] = {}
    for page, (year, _) in sorted(members.items()):
        shards.setdefault((page.split("/", 1)[0], year), []).append(page)
    return shards


# -- which shards an update indexes -------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Update:
    """What an update reads and indexes: the post pages' ``members`` after it, the shards ``todo``, and the ``old`` members (None: everything is read)."""

    members: dict[str, Member]
    todo: set[Shard]
    old: dict[str, Member] | None


def plan_update(
    out_dir: Path,
    marked: set[str] | _All,
    pages: Collection[str] | None,
    read: Callable[[str], Path | None] | None = None,
    old: dict[str, Member] | None = None,
    read_member: ReadMember = member,
) -> Update | None:
    """The `Update` for these changed ``pages``, or None when nothing is to be done.

    ``marked``: the shards the marker names (`pending`). ``read(page)``: the
    file holding the page's new bytes, None for a page about to be deleted
    (`EarlyIndex`: the staged copy); the page in the output by default.
    ``old``: the membership file, when read already.
    """
    bundle = out_dir / BUNDLE
    edited = None if pages is None else sorted({p for p in pages if is_post_page(p)})
    indexed = (bundle / MANIFEST).is_file() and (out_dir / MEMBERS).is_file()  # (and in this layout: `MEMBERS`)
    if edited == [] and not marked and not (out_dir / DIRTY).exists() and indexed:
        return None
    folders = unit_folders(out_dir)
    if isinstance(marked, _All) or edited is None or not indexed:
        old = None
    elif old is None:
        old = read_members(out_dir / MEMBERS)
    if old is None or isinstance(marked, _All) or edited is None:
        # Everything: every post page read, every shard indexed.
        members = scan(out_dir, folders, read_member)
        return Update(members, set(shards_of(members)), None)
    members = _reread(out_dir, folders, marked, edited, old, read, read_member)
    return Update(members, _todo(bundle, marked, edited, old, members), old)


def _reread(
    out_dir: Path, folders: list[str], marked: set[str], edited: list[str], old: dict[str, Member], read: Callable[[str], Path | None] | None, read_member: ReadMember
) -> dict[str, Member]:
    """The members after the update: the old ones, with the units to read again whole read again, and the edited pages."""
    # The units to read again whole: those the marker names and unit
    # folders that came or went (edited pages of other units: below).
    known = {p.split("/", 1)[0] for p in old}
    units = {key.split("/", 1)[0] for key in marked} | (known ^ set(folders))
    members = {p: m for p, m in old.items() if p.split("/", 1)[0] not in units}
    members.update(scan(out_dir, sorted(units & set(folders)), read_member))
    # An edited page of another unit is read alone: a page whose bytes did not
    # change has the same shard and filters as before (a whole unit is ~500 pages).
    # (With ``read``, the output is not yet this build's: every edited page is read through it.)
    for page in edited:
        if read is not None or page.split("/", 1)[0] not in units:
            path = read(page) if read else out_dir / page
            found = None if path is None else read_member(path)
            if found is None:
                members.pop(page, None)
            else:
                members[page] = found
    return members


def _todo(bundle: Path, marked: set[str], edited: list[str], old: dict[str, Member], members: dict[str, Member]) -> set[Shard]:
    """The shards to index: those whose pages changed, the edited pages' old and new shards, the marked ones, and any without an index."""
    before, after = shards_of(old), shards_of(members)
    either = before.keys() | after.keys()
    todo = {s for s in either if before.get(s) != after.get(s)}
    todo |= {(p.split("/", 1)[0], m[0]) for p in edited for m in (old.get(p), members.get(p)) if m is not None}
    for key in marked:
        unit, _, year = key.partition("/")
        todo |= {s for s in either if s[0] == unit and (not year or s[1] == year)}
    # A shard with posts but no index (say, deleted by hand) is indexed too.
    todo |= {s for s in after if not (bundle / shard_dir(s) / ENTRY).is_file()}
    return todo


# -- putting indexes in place -------------------------------------------------------


class ManifestAhead:
    """The manifest for ``members`` with every shard listed, made on a thread while Pagefind indexes.

    An edit's update installs its shard and then writes the manifest; at
    10,000 posts working it out (the filter counts of every post page) took
    ~0.02 s of that tail, ~0.18 s at 50,000. `install_shards` takes these
    bytes when every shard with posts has its index (the usual case), and
    works the manifest out itself otherwise (also when working it out here
    failed: the error is then raised there, where it belongs).

    ``after``: the thread begins once it is set (Pagefind has read the first
    shard's pages, or is still loading its dictionaries), so it does not take
    turns at the interpreter with the linking before that, nor a core with
    Pagefind's reading; `made` sets it (no shard may have begun).
    """

    def __init__(self, members: dict[str, Member], after: threading.Event | None = None) -> None:
        self._members = members
        self._after = after
        self._made: tuple[dict[Shard, list[str]], bytes] | None = None
        self._thread = threading.Thread(target=self._make, name="liangshai-manifest", daemon=True)
        self._thread.start()

    def _make(self) -> None:
        if self._after is not None:
            self._after.wait()
        try:
            shards = shards_of(self._members)
            self._made = (shards, manifest(sorted(shards), shards, self._members))
        except Exception:  # worked out again by `_write_manifest`, which reports it
            self._made = None

    def made(self) -> tuple[dict[Shard, list[str]], bytes] | None:
        """(the shards, the manifest listing them all); None if working it out failed."""
        if self._after is not None:
            self._after.set()
        self._thread.join()
        return self._made


def install_shards(out_dir: Path, members: dict[str, Member], outcomes: dict[Shard, Problem | None], ahead: ManifestAhead | None = None) -> list[Problem]:
    """Move the shards Pagefind indexed into the scratch folder (``outcomes``) into place, then the manifest; stale indexes go.

    Called once `record` has marked the shards: a shard that failed keeps its
    previous index and stays marked. ``ahead``: the manifest made while Pagefind ran, for these ``members``.
    """
    bundle = out_dir / BUNDLE
    dirty = out_dir / DIRTY
    scratch = out_dir / SCRATCH
    errors: list[Problem] = []
    warnings: list[Problem] = []
    failed = []
    try:
        for shard, outcome in sorted(outcomes.items()):
            if outcome is not None and outcome.is_error:
                errors.append(outcome)
                failed.append(shard)
                continue
            if outcome is not None:
                warnings.append(outcome)
            sync_dir(scratch / scratch_name("index", shard), bundle / shard_dir(shard), last=ENTRY)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if failed:
        mark(dirty, failed)
    _write_manifest(bundle, members, ahead)
    if errors:
        first = errors[0]
        if len(errors) > 1:  # one message, not one per shard (a broken binary fails them all)
            first = dataclasses.replace(first, message=f"{first.message}另有 {len(errors) - 1} 份索引（其他单位或年份的文章）也没有更新。")
        return [first, *warnings[:1]]
    dirty.unlink(missing_ok=True)
    return warnings[:1]


def _write_manifest(bundle: Path, members: dict[str, Member], ahead: ManifestAhead | None = None) -> None:
    """The manifest search.js reads, then the stale indexes removed.

    It lists every shard with posts and an index (a shard that failed keeps
    its previous one), in unit then year order.
    """
    made = ahead.made() if ahead is not None else None
    shards = made[0] if made is not None else shards_of(members)
    listed = [s for s in sorted(shards) if (bundle / shard_dir(s) / ENTRY).is_file()]
    data = made[1] if made is not None and len(listed) == len(shards) else manifest(listed, shards, members)
    bundle.mkdir(parents=True, exist_ok=True)
    if not ((bundle / MANIFEST).is_file() and (bundle / MANIFEST).read_bytes() == data):
        atomic_write(bundle / MANIFEST, data)
    # Stale: shards of units gone (or of years without posts), the per-unit
    # and single indexes of older builds.
    keep: dict[str, set[str]] = {}
    for unit, year in listed:
        keep.setdefault(unit, set()).add(year)
    for path in sorted(bundle.iterdir()):
        if path.name == MANIFEST:
            continue
        if path.name in keep and path.is_dir() and not path.is_symlink():
            for sub in sorted(path.iterdir()):
                if sub.name not in keep[path.name]:
                    _remove(sub)
        else:
            _remove(path)


def manifest(listed: list[Shard], shards: dict[Shard, list[str]], members: dict[str, Member]) -> bytes:
    """units.json: the ``listed`` shards, each with the counts of its pages' filter values, and those counts for the whole site.

    search.js fills its filter menus from ``filters`` (no Pagefind filter
    files to fetch when the page opens) and loads only the shards with pages
    that have the chosen values. Keys sorted, so the same pages give the same bytes.
    """
    total: dict[str, dict[str, int]] = {}
    entries = []
    for shard in listed:
        counts: dict[str, dict[str, int]] = {}
        for page in shards[shard]:
            for key, values in members[page][1].items():
                for value in values:
                    counts.setdefault(key, {})[value] = counts.get(key, {}).get(value, 0) + 1
                    total.setdefault(key, {})[value] = total.get(key, {}).get(value, 0) + 1
        entries.append({"unit": shard[0], "year": shard[1], "pages": len(shards[shard]), "filters": counts})
    return json.dumps({"filters": total, "shards": entries}, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def sync_dir(src: Path, dst: Path, last: str) -> None:
    """Make ``dst`` hold exactly ``src``'s files, rewriting only files whose bytes differ.

    ``last`` (the entry file naming the hashed index) is replaced after every
    other new file is in place, and stale files are removed after it, so a
    reader never sees an entry pointing at a missing file.
    """
    if not dst.exists():
        # A shard indexed for the first time (every shard of a cold build): the folder moves
        # whole, one rename instead of one per file (84 shards, 11,600 files at 10,000 posts: ~1 s
        # at the end of a cold build); its entry file appears with the files it names.
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        return
    new = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())
    dst.mkdir(parents=True, exist_ok=True)
    for rel in sorted(new, key=lambda r: r == last):
        target, source = dst / rel, src / rel
        if _same_file(target, source):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    keep = set(new)
    for path in sorted(dst.rglob("*"), reverse=True):
        rel = path.relative_to(dst).as_posix()
        if path.is_file() and rel not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _same_file(target: Path, source: Path) -> bool:
    """Does ``target`` hold ``source``'s bytes? (The indexer links unchanged files: then it is the very file.)"""
    try:
        there = target.stat()
    except OSError:  # (not there)
        return False
    if not stat.S_ISREG(there.st_mode):
        return False
    here = source.stat()
    if there.st_size != here.st_size:
        return False
    # (an inode number of 0 identifies nothing: some file systems give it to every file)
    if there.st_ino and there.st_nlink > 1 and (there.st_ino, there.st_dev) == (here.st_ino, here.st_dev):
        return True
    return target.read_bytes() == source.read_bytes()
