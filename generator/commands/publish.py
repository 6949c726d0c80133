"""Entry: ``liangshai publish`` — build, then switch the web root atomically.

Layout of the web root (``--to WEBROOT``)::

    WEBROOT/current -> releases/<name>        symlink with a relative target
    WEBROOT/releases/<YYYYmmddTHHMMSSZ>-<hash8>/
    WEBROOT/.liangshai-publish.lock          serialises publish and rollback
    WEBROOT/.liangshai-history.json          which release was current, in order (rollback)

How one publish goes, all under an exclusive ``flock`` on the lock file:

1. build into a fresh hidden folder inside WEBROOT (same filesystem); a build
   with errors prints them and publishes nothing (exit 1);
2. hash the output tree: sorted relative paths and the SHA-256 of each file's
   bytes; hidden files (any path part starting with ".", e.g. the builder's
   ``.liangshai-state.json``) are never published;
3. the same hash as the current release → "内容未变化，未创建新版本", exit 0;
4. otherwise assemble ``releases/.incoming-<name>/``: files whose bytes equal
   the current release's are hard-linked from it (same inode, so the mtime and
   nginx's ETag stay the same and no space is spent), the rest are linked from
   the build; the fingerprinted CSS/JS of the releases that are kept are
   carried over too, so a page served a moment before the switch still finds
   its stylesheet after it; then the folder is renamed to ``releases/<name>``;
5. a new symlink ``current.tmp-…`` → ``releases/<name>`` is renamed over
   ``current`` (``rename(2)`` is atomic: a reader resolves either the old
   release or the new one, never a mix, and never nothing);
6. releases beyond ``--keep`` are deleted, oldest first, never the new current
   one (``--keep 1`` deletes the previous release at once: nothing to roll
   back to, so 2 or more is the sensible minimum).

Release names sort in publishing order: the timestamp is UTC to the second and
is moved forward by a second when it would not be later than the newest
release (two publishes within one second, or a clock that went back).
Releases are immutable once renamed into place.

``--rollback`` undoes the last publish that is not undone yet: it points
``current`` at the release that was current before that switch. The order is
tracked explicitly in ``WEBROOT/.liangshai-history.json`` (written atomically
under the lock, after every switch): a stack of the releases that were current,
newest last, plus a log of the switches. Publishing pushes the new release,
rolling back pops the current one, so publish A, B, rollback (→ A), publish C,
rollback goes back to A, not to B (which is newer than A by name but was
never current before C). Releases deleted by ``--keep`` are skipped. A web
root without the file (published by an older version) or whose ``current`` was
moved by hand falls back to the order of the release names. Exit codes: 0 done,
1 the build has errors, 2 a usage problem (bad WEBROOT, nothing to roll back to),
3 ``--keep-going`` published the site without the posts that have errors of their
own (`build.held_back`: left out entirely, named on stderr with their errors).
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator.core.exits import EXIT_CONTENT, EXIT_HELD, EXIT_OK, EXIT_USAGE

RELEASES = "releases"
CURRENT = "current"
LOCK_FILE = ".liangshai-publish.lock"
MANIFEST = ".liangshai-release.json"
MANIFEST_VERSION = 1
HISTORY = ".liangshai-history.json"  # beside the lock: which release was current, in order
HISTORY_VERSION = 1
HISTORY_LOG = 100  # switches kept in the log (the stack itself is bounded by the releases kept)
BUILD_PREFIX = ".build-"
INCOMING_PREFIX = ".incoming-"
CURRENT_TMP_PREFIX = "current.tmp-"

RELEASE_RE = re.compile(r"^(\d{8}T\d{6}Z)-([0-9a-f]{8})$")
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
# assets/style.<hash>.css, assets/site.<hash>.js (see Builder._assets)
FINGERPRINTED_RE = re.compile(r"^assets/(?:.+/)?[^/]+\.[0-9a-f]{8,64}\.(?:css|js)$")


class PublishError(Exception):
    """A usage problem: the message is Chinese and shown as is (exit 2)."""


@dataclass(frozen=True)
class Manifest:
    hash: str
    files: dict[str, str]  # relative path -> sha256 of its bytes
    carried: tuple[str, ...] = ()

    def to_json(self, created: str) -> bytes:
        data = {"version": MANIFEST_VERSION, "hash": self.hash, "created": created, "files": self.files, "carried": list(self.carried)}
        return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True).encode("utf-8")


# -- pure helpers -----------------------------------------------------------


def tree_hash(files: dict[str, str]) -> str:
    """Deterministic hash of a tree given as {relative path: sha256 of bytes}."""
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode("utf-8") + b"\0" + files[rel].encode("ascii") + b"\n")
    return h.hexdigest()


def release_name(now: dt.datetime, content_hash: str, existing: list[str]) -> str:
    """``YYYYmmddTHHMMSSZ-<hash8>``, later by name than every existing release."""
    stamp = now.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None)
    stamps = [dt.datetime.strptime(m.group(1), STAMP_FORMAT) for m in map(RELEASE_RE.match, existing) if m]
    if stamps and stamp <= max(stamps):
        stamp = max(stamps) + dt.timedelta(seconds=1)
    return f"{stamp.strftime(STAMP_FORMAT)}-{content_hash[:8]}"


def releases_to_keep(names: list[str], keep: int, current: str | None) -> set[str]:
    """The newest ``keep`` releases by name, plus the current one whatever its age."""
    kept = set(sorted(names)[-keep:]) if keep > 0 else set()
    if current is not None:
        kept.add(current)
    return kept


# -- reading the web root ---------------------------------------------------


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def scan_tree(root: Path) -> dict[str, str]:
    """{relative posix path: sha256} of every regular, non-hidden file under ``root``."""
    files: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        base = Path(dirpath)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = base / name
            if not path.is_file() or path.is_symlink():
                continue
            files[path.relative_to(root).as_posix()] = file_sha256(path)
    return files


def list_releases(webroot: Path) -> list[str]:
    folder = webroot / RELEASES
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if RELEASE_RE.match(p.name) and p.is_dir() and not p.is_symlink())


def current_release(webroot: Path) -> str | None:
    """The release ``current`` points to (it may have been deleted by hand), or None."""
    link = webroot / CURRENT
    if not link.is_symlink():
        if link.exists():
            raise PublishError(f"{link} 已存在但不是符号链接。publish 用符号链接切换版本，请先把它移走（例如改名为 current.old），再发布。")
        return None
    target = os.readlink(link)
    parts = Path(target).parts
    if len(parts) == 2 and parts[0] == RELEASES and RELEASE_RE.match(parts[1]):
        return parts[1]
    if Path(target).is_absolute() and Path(target).parent == (webroot / RELEASES).resolve() and RELEASE_RE.match(Path(target).name):
        return Path(target).name
    raise PublishError(f"{link} 指向 {target}，不是本工具发布的版本（应当指向 {RELEASES}/<版本名>）。请人工检查后再发布或回退。")


def read_manifest(release: Path) -> Manifest | None:
    try:
        data = json.loads((release / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return None
    files, digest = data.get("files"), data.get("hash")
    if not isinstance(files, dict) or not isinstance(digest, str):
        return None
    carried = tuple(x for x in data.get("carried", []) if isinstance(x, str))
    return Manifest(digest, {str(k): str(v) for k, v in files.items()}, carried)


def read_release_history(webroot: Path) -> tuple[list[str], list[dict[str, str]]] | None:
    """(stack of releases that were current, oldest first; the switch log), or None when unreadable."""
    try:
        data = json.loads((webroot / HISTORY).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != HISTORY_VERSION:
        return None
    stack, log = data.get("stack"), data.get("switches", [])
    if not isinstance(stack, list) or not all(isinstance(n, str) and RELEASE_RE.match(n) for n in stack) or not isinstance(log, list):
        return None
    return list(stack), [dict(e) for e in log if isinstance(e, dict)]


def rollback_stack(webroot: Path, current: str) -> tuple[list[str], list[dict[str, str]]]:
    """The history stack, ending with ``current``; rebuilt from release names when it cannot be trusted."""
    history = read_release_history(webroot)
    if history is not None and history[0] and history[0][-1] == current:
        return history
    # No history yet (a web root published before it was kept), or `current` was
    # moved by hand: the releases older by name than the current one, in order.
    log = history[1] if history is not None else []
    return [n for n in list_releases(webroot) if n < current] + [current], log


# -- changing the web root (caller holds the lock) ---------------------------


def write_history(webroot: Path, stack: list[str], log: list[dict[str, str]], switch: dict[str, str]) -> None:
    """Record a switch of ``current``: replace the history file atomically (temporary file, fsync, rename)."""
    existing = set(list_releases(webroot))
    data = {
        "version": HISTORY_VERSION,
        "stack": [n for n in stack if n in existing],
        "switches": [*log, switch][-HISTORY_LOG:],
    }
    folder = webroot
    tmp = folder / f"{HISTORY}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with tmp.open("wb") as f:
            f.write(json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / HISTORY)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(folder)


def _switch_record(action: str, before: str | None, after: str) -> dict[str, str]:
    at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    return {"at": at, "action": action, "from": before or "", "to": after}


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def switch_current(webroot: Path, name: str) -> None:
    """Atomically point ``WEBROOT/current`` at ``releases/<name>``."""
    tmp = webroot / f"{CURRENT_TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    os.symlink(f"{RELEASES}/{name}", tmp)
    try:
        os.replace(tmp, webroot / CURRENT)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(webroot)


def _link_or_copy(src: Path, dst: Path) -> bool:
    """Hard-link ``src`` to ``dst`` (True), or copy it where links are impossible (False)."""
    try:
        os.link(src, dst)
        return True
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES):
            raise
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o644)
    return False


def _clean_leftovers(webroot: Path) -> None:
    """Remove what an interrupted publish left behind (we hold the lock)."""
    for p in webroot.iterdir():
        if p.name.startswith(BUILD_PREFIX) and p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        elif (p.name.startswith(CURRENT_TMP_PREFIX) and p.is_symlink()) or (p.name.startswith(f"{HISTORY}.tmp-") and p.is_file() and not p.is_symlink()):
            p.unlink(missing_ok=True)
    releases = webroot / RELEASES
    if releases.is_dir():
        for p in releases.iterdir():
            if p.name.startswith(INCOMING_PREFIX) and p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)


@dataclass(frozen=True)
class Assembled:
    reused: int
    carried: int


def assemble_release(build: Path, files: dict[str, str], folder: Path, previous: Path | None, previous_files: dict[str, str], carry_from: list[Path]) -> tuple[Manifest, Assembled]:
    """Fill the new release ``folder`` from the build (see the module docstring, step 4)."""
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    reused = 0
    made: set[Path] = set()
    for rel, digest in sorted(files.items()):
        dst = folder / rel
        parent = dst.parent
        if parent not in made:
            parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        src = build / rel
        if previous is not None and previous_files.get(rel) == digest:
            old = previous / rel
            try:
                if old.is_file() and old.stat().st_size == src.stat().st_size:
                    _link_or_copy(old, dst)
                    reused += 1
                    continue
            except OSError:
                pass
        os.chmod(src, 0o644)  # a web server user must read it, whatever the umask
        _link_or_copy(src, dst)
    carried: list[str] = []
    for other in carry_from:
        manifest = read_manifest(other)
        if manifest is None:
            continue
        for rel in sorted(manifest.files):
            if rel in files or rel in carried or not FINGERPRINTED_RE.match(rel):
                continue
            src = other / rel
            if not src.is_file():
                continue
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(src, folder / rel)
            carried.append(rel)
    for dirpath, dirnames, _ in os.walk(folder):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o755)
    return Manifest(tree_hash(files), dict(files), tuple(sorted(carried))), Assembled(reused, len(carried))


def prune(webroot: Path, kept: set[str]) -> list[str]:
    removed = []
    for name in list_releases(webroot):
        if name not in kept:
            shutil.rmtree(webroot / RELEASES / name)
            removed.append(name)
    return removed


# -- the command --------------------------------------------------------------


class _Lock:
    """Exclusive flock on WEBROOT/.liangshai-publish.lock, held for the whole command."""

    def __init__(self, webroot: Path):
        self.path = webroot / LOCK_FILE
        self.fd: int | None = None

    def __enter__(self) -> _Lock:
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise PublishError(f"无法创建锁文件 {self.path}：{exc.strerror}。请检查对网站根目录的写权限。") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("另一个发布或回退正在进行，等待它完成……", file=sys.stderr, flush=True)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _prepare_webroot(to: Path, *, create: bool) -> Path:
    if to.exists() and not to.is_dir():
        raise PublishError(f"网站根目录 {to} 不是文件夹。--to 应当是一个文件夹，例如 /srv/liangshai。")
    if not to.exists():
        if not create:
            raise PublishError(f"网站根目录 {to} 不存在，还没有发布过任何版本，无法回退。")
        if not to.parent.is_dir():
            raise PublishError(f"网站根目录 {to} 的上级文件夹 {to.parent} 不存在，请先创建它，或检查 --to 是否写错。")
        try:
            # exist_ok: two first publishes can race here; the lock comes after
            to.mkdir(mode=0o755, exist_ok=True)
        except OSError as exc:
            raise PublishError(f"无法创建网站根目录 {to}：{exc.strerror}。") from None
    webroot = to.resolve()
    releases = webroot / RELEASES
    if releases.exists() and (not releases.is_dir() or releases.is_symlink()):
        raise PublishError(f"{releases} 已存在但不是文件夹，请先把它移走。")
    if not os.access(webroot, os.W_OK | os.X_OK):
        raise PublishError(f"没有网站根目录 {webroot} 的写权限。请以网站文件的属主运行 publish。")
    return webroot


def _rollback(webroot: Path) -> int:
    current = current_release(webroot)
    if current is None:
        raise PublishError(f"{webroot}/{CURRENT} 不存在：还没有发布过任何版本，无法回退。")
    stack, log = rollback_stack(webroot, current)
    existing = set(list_releases(webroot))
    stack.pop()
    gone = []
    while stack and stack[-1] not in existing:
        gone.append(stack.pop())
    if not stack:
        raise PublishError(
            f"没有比当前版本 {RELEASES}/{current} 更早的可回退版本，无法回退：它之前的版本都已经回退过，或已按 --keep 删除。"
            f"要恢复某个保留的版本，请重新发布对应的内容。"
        )
    target = stack[-1]
    switch_current(webroot, target)
    write_history(webroot, stack, log, _switch_record("rollback", current, target))
    print(f"已回退：current 从 {RELEASES}/{current} 切换到 {RELEASES}/{target}（发布 {RELEASES}/{current} 之前的版本）。")
    if gone:
        print(f"更早切换过的 {'、'.join(gone)} 已按 --keep 删除，已跳过。")
    print(f"较新的版本 {RELEASES}/{current} 仍然保留；再次发布会生成新的版本。")
    return EXIT_OK


@dataclass(frozen=True)
class _Release:
    """A release made current by `_switch_to_new_release`, and what its report needs."""

    name: str
    kept: frozenset[str]
    reused: int
    stack: tuple[str, ...]  # the history stack before the switch
    log: tuple[dict[str, str], ...]


def _publish(site: Path, webroot: Path, keep: int, as_of: dt.date | None, keep_going: bool = False) -> int:
    from generator.build.builder import Builder, BuildOptions

    current = current_release(webroot)  # checks `current` before the (slow) build
    build = Path(tempfile.mkdtemp(prefix=BUILD_PREFIX, dir=webroot))
    try:
        result = Builder(BuildOptions(site, build, drafts=False, as_of=as_of, keep_going=keep_going)).build()
        for p in result.problems:
            print(p.format(), file=sys.stderr if p.is_error else sys.stdout)
        if not result.ok:
            errors = sum(1 for p in result.problems if p.is_error)
            where = f"{RELEASES}/{current}" if current else "（尚未发布过）"
            print(f"发布中止：生成有 {errors} 个错误，没有发布任何内容，current 保持不变：{where}。", file=sys.stderr)
            return EXIT_CONTENT
        files = scan_tree(build)
        release = _switch_to_new_release(webroot, build, files, current, keep)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    if release is None:
        print(f"内容未变化，未创建新版本（当前版本仍是 {RELEASES}/{current}）。")
    else:
        _finish_release(webroot, release, current, keep, len(files))
    return _held_report(result.problems, result.held)


def _switch_to_new_release(webroot: Path, build: Path, files: dict[str, str], current: str | None, keep: int) -> _Release | None:
    """Assemble the build as a new release and point ``current`` at it (steps 3-5 of the
    module docstring); None when the build is the current release's content."""
    digest = tree_hash(files)
    previous = webroot / RELEASES / current if current else None
    prev_manifest = read_manifest(previous) if previous is not None and previous.is_dir() else None
    if prev_manifest is not None and prev_manifest.hash == digest:
        return None
    (webroot / RELEASES).mkdir(mode=0o755, exist_ok=True)
    existing = list_releases(webroot)
    name = release_name(dt.datetime.now(dt.UTC), digest, existing)
    kept = releases_to_keep([*existing, name], keep, name)
    # the previous current too, even when --keep is about to delete it: pages
    # it served a moment ago must still find their stylesheet after the switch
    carry_from = [webroot / RELEASES / n for n in sorted(kept | ({current} if current else set()), reverse=True) if n != name]
    incoming = webroot / RELEASES / f"{INCOMING_PREFIX}{name}"
    manifest, stats = assemble_release(
        build, files, incoming, previous if prev_manifest is not None else None, prev_manifest.files if prev_manifest else {}, carry_from
    )
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    (incoming / MANIFEST).write_bytes(manifest.to_json(created))
    os.chmod(incoming / MANIFEST, 0o644)
    os.rename(incoming, webroot / RELEASES / name)
    _fsync_dir(webroot / RELEASES)
    stack, log = rollback_stack(webroot, current) if current else ([], [])
    switch_current(webroot, name)
    return _Release(name, frozenset(kept), stats.reused, tuple(stack), tuple(log))


def _finish_release(webroot: Path, release: _Release, current: str | None, keep: int, count: int) -> None:
    """Step 6 and the history, after the build folder is gone; then say what happened."""
    name = release.name
    removed = prune(webroot, set(release.kept))
    write_history(webroot, [*release.stack, name], list(release.log), _switch_record("publish", current, name))
    note = f"，其中 {release.reused} 个与上一版本相同（硬链接）" if release.reused else ""
    print(f"已发布 {RELEASES}/{name}：{count} 个文件{note}；current 已切换到新版本。")
    if current and current not in removed:
        print(f"上一版本 {RELEASES}/{current} 仍然保留，需要时运行 liangshai publish --to {webroot} --rollback 回退。")
    if removed:
        print(f"按 --keep {keep} 删除了旧版本：{'、'.join(removed)}。")


def _held_report(problems: tuple, held: tuple[str, ...]) -> int:
    """--keep-going: name the held-back posts with their errors; exit 3 when there are any."""
    if not held:
        return EXIT_OK
    from generator.cli import print_held

    print_held(problems, held)
    return EXIT_HELD


def run_publish(site: Path, to: Path, keep: int, rollback: bool, as_of: dt.date | None, keep_going: bool = False) -> int:
    """``liangshai publish``: 0 published (or unchanged), 1 build errors, 2 usage errors,
    3 published with posts held back (``keep_going``: a post with errors of its own is left
    out and the rest published; errors in site.toml, a _unit.toml or the theme still stop it)."""
    if keep < 1:
        print(f"liangshai publish: 用法错误：--keep 至少为 1（当前为 {keep}），否则会删除正在使用的版本。", file=sys.stderr)
        return EXIT_USAGE
    try:
        if not rollback:
            from generator.build.builder import output_folder_problem

            # the same rule as `build -o`: the build and the releases are written inside WEBROOT
            why = output_folder_problem(site, to, "请把 --to 换成站点文件夹以外的文件夹，例如 /srv/liangshai。")
            if why is not None:
                raise PublishError(why.replace("输出文件夹", "网站根目录（--to）", 1))
        webroot = _prepare_webroot(to, create=not rollback)
        with _Lock(webroot):
            _clean_leftovers(webroot)
            if rollback:
                return _rollback(webroot)
            return _publish(site, webroot, keep, as_of, keep_going)
    except PublishError as exc:
        print(f"liangshai publish: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        where = f"：{exc.filename}" if exc.filename else ""
        print(f"liangshai publish: 写入网站根目录失败{where}：{exc.strerror or exc}。current 未被切换到不完整的版本。", file=sys.stderr)
        return EXIT_USAGE


__all__ = ["CURRENT", "HISTORY", "MANIFEST", "RELEASES", "current_release", "list_releases", "read_manifest", "read_release_history", "release_name", "releases_to_keep", "rollback_stack", "run_publish", "scan_tree", "tree_hash"]
