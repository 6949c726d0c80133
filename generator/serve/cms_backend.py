"""Entry (serve): ``liangshai serve --cms`` — the browser editor against the working copy, no git server.

Decap CMS's ``local_backend`` talks a small JSON protocol to a proxy server
(``decap-server``'s local file-system mode: one ``POST /api/v1`` whose body names
an ``action`` and its ``params``). `LocalBackend` answers it over the site's
``content/`` folder, so a unit edits its files in place and the preview's
watcher rebuilds as for a hand edit (the check results reach the error overlay
that ``admin.js``'s page carries too). `LocalEditor` serves ``/admin/``: the
same page and configuration as ``build`` publishes (`render.cms`), with
``local_backend`` pointing at this server.

Every path the editor sends is confined to a unit folder: relative, no ``..``,
no hidden or ``_``-named parts (``_unit.toml`` is the organisation's), under
``content/<unit>/`` of a unit that exists, and not through a symlink that leads
out. Anything else is refused with a Chinese message (HTTP 422); nothing is
written outside ``content/<unit>/``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.core.model import UNIT_FILE
from generator.load.config import load_config
from generator.render.cms import ADMIN, admin_pages, backend_config, vendor_files

API_PATH = "/__liangshai/cms/api/v1"
# A request carries an attachment base64-encoded: room for the largest attachment
# the build accepts ([limits] document_mb, 64 MB by default) and then some.
MAX_BODY = 100 * 1024 * 1024
CONTENT = "content"


class Refused(Exception):
    """A request the local backend will not carry out; the message is Chinese."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def _json(status: int, value: object) -> Answer:
    return Answer(status, json.dumps(value, ensure_ascii=False).encode("utf-8"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalBackend:
    """decap-server's local file-system actions over ``site/content/<unit>/`` only."""

    def __init__(self, site: Path) -> None:
        self.site = site.resolve()
        self.content = self.site / CONTENT
        self.actions: dict[str, Callable[[dict[str, Any]], object]] = {
            "info": self._info,
            "entriesByFolder": self._entries_by_folder,
            "entriesByFiles": lambda p: [self._entry(f.get("path"), f.get("label")) for f in _list(p, "files")],
            "getEntry": lambda p: self._entry(p.get("path")),
            "persistEntry": self._persist_entry,
            "getMedia": self._get_media,
            "getMediaFile": lambda p: self._media_file(self.confine(p.get("path"))),
            "persistMedia": self._persist_media,
            "deleteFile": lambda p: self._delete([p.get("path")]),
            "deleteFiles": lambda p: self._delete(_list(p, "paths")),
            "getDeployPreview": lambda p: None,
        }

    def handle(self, body: bytes) -> Answer:
        """One request body → the answer decap-server would give (errors as ``{"error": …}``)."""
        try:
            request = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _json(400, {"error": "请求不是 JSON。"})
        if not isinstance(request, dict):
            return _json(400, {"error": "请求应当是 JSON 对象。"})
        action, params = request.get("action"), request.get("params") or {}
        handler = self.actions.get(action) if isinstance(action, str) else None
        if handler is None:
            return _json(422, {"error": f"不支持的操作“{action}”。"})
        if not isinstance(params, dict):
            return _json(422, {"error": "params 应当是 JSON 对象。"})
        try:
            return _json(200, handler(params))
        except Refused as exc:
            return _json(422, {"error": str(exc)})
        except OSError as exc:
            return _json(500, {"error": f"读写文件出错：{exc.strerror or exc}"})

    # -- confinement ------------------------------------------------------

    def confine(self, rel: object, *, folder: bool = False) -> Path:
        """``rel`` (site-relative, as the editor sends it) as a path inside a unit folder, or `Refused`."""
        if not isinstance(rel, str) or not rel or "\x00" in rel or "\\" in rel or rel.startswith("/"):
            raise Refused(f"路径“{rel}”不合法。")
        parts = [p for p in rel.split("/") if p]
        if any(p in (".", "..") or p.startswith((".", "_")) for p in parts):
            raise Refused(f"路径“{rel}”不合法：不能含有 ..、隐藏文件或以 _ 开头的名字（{UNIT_FILE} 由组织部维护）。")
        if len(parts) < (2 if folder else 3) or parts[0] != CONTENT:
            raise Refused(f"只能读写 {CONTENT}/<单位>/ 里的文件，“{rel}”不在其中。")
        unit = self.content / parts[1]
        if not (unit / UNIT_FILE).is_file():
            raise Refused(f"单位文件夹 {CONTENT}/{parts[1]}/ 不存在（或缺少 {UNIT_FILE}）。")
        target = self.site.joinpath(*parts)
        real_unit = unit.resolve()
        real = target.resolve()
        if real != real_unit and real_unit not in real.parents:
            raise Refused(f"“{rel}”是指向单位文件夹以外的链接，不能读写。")
        return target

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.site).as_posix()

    # -- actions ----------------------------------------------------------

    def _info(self, params: dict[str, Any]) -> object:
        return {"repo": self.site.name, "publish_modes": ["simple"], "type": "local_fs"}

    def _entries_by_folder(self, params: dict[str, Any]) -> object:
        folder = self.confine(params.get("folder"), folder=True)
        extension = str(params.get("extension") or "")
        raw_depth = params.get("depth")
        depth = raw_depth if isinstance(raw_depth, int) else 1
        files = [p for p in _walk(folder, depth) if p.name.endswith(extension)]
        return [self._entry(self._rel(p)) for p in files]

    def _entry(self, rel: object, label: object = None) -> dict[str, Any]:
        path = self.confine(rel)
        info: dict[str, Any] = {"path": self._rel(path), "label": label, "id": None}
        try:
            data = path.read_bytes()
        except OSError:
            return {"data": None, "file": info}
        info["id"] = _sha256(data)
        return {"data": data.decode("utf-8", errors="replace"), "file": info}

    def _persist_entry(self, params: dict[str, Any]) -> object:
        entry = params.get("entry")
        data_files = params.get("dataFiles") or ([entry] if isinstance(entry, dict) else [])
        writes: list[tuple[Path, bytes]] = [(self.confine(a.get("path")), _decoded(a)) for a in _items(params.get("assets") or [])]
        files = _items(data_files)
        if not files:
            raise Refused("没有要保存的文章。")
        # attachments first: a rebuild that sees the post must also see the files it names
        writes += [(self.confine(f.get("path")), _text(f.get("raw"))) for f in files]
        moves = [(self.confine(f.get("path")), self.confine(f.get("newPath"))) for f in files if f.get("newPath")]
        for path, data in writes:
            _write(path, data)
        for old, new in moves:
            _move(old, new)
        return {"message": "entry persisted"}

    def _get_media(self, params: dict[str, Any]) -> object:
        rel = params.get("mediaFolder")
        if rel in (CONTENT, CONTENT + "/"):
            return []  # the shared library: nothing is kept there (uploads belong to a post)
        folder = self.confine(rel, folder=True)
        # a post's own file is not one of its attachments (picking or deleting it there would break the post)
        return [self._media_file(p) for p in _walk(folder, 1) if not p.name.endswith(".md")]

    def _media_file(self, path: Path) -> dict[str, Any]:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise Refused(f"读不到文件“{self._rel(path)}”：{exc.strerror or exc}") from None
        return {"id": _sha256(data), "content": base64.b64encode(data).decode("ascii"), "encoding": "base64", "path": self._rel(path), "name": path.name}

    def _persist_media(self, params: dict[str, Any]) -> object:
        asset = params.get("asset")
        if not isinstance(asset, dict):
            raise Refused("缺少要上传的文件。")
        path = self.confine(asset.get("path"))
        _write(path, _decoded(asset))
        return self._media_file(path)

    def _delete(self, rels: list[Any]) -> object:
        paths = [self.confine(r) for r in rels]
        for path in paths:
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            _prune_empty(path.parent, self.content)
        return {"message": "deleted " + ", ".join(self._rel(p) for p in paths)}


def _list(params: dict[str, Any], key: str) -> list[Any]:
    value = params.get(key)
    if not isinstance(value, list):
        raise Refused(f"{key} 应当是列表。")
    return value


def _items(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Refused("请求的格式不对。")
    return value


def _text(raw: object) -> bytes:
    if not isinstance(raw, str):
        raise Refused("文章内容应当是文字。")
    return raw.encode("utf-8")


def _decoded(asset: dict[str, Any]) -> bytes:
    content = asset.get("content")
    if asset.get("encoding") != "base64" or not isinstance(content, str):
        raise Refused("上传的文件应当是 base64 编码。")
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise Refused("上传的文件不是有效的 base64。") from None


def _walk(folder: Path, depth: int) -> list[Path]:
    """Files under ``folder`` down to ``depth`` levels, sorted, skipping hidden and ``_`` names and symlinks."""
    found: list[Path] = []
    if depth <= 0 or not folder.is_dir():
        return found
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith((".", "_")) or entry.is_symlink():
            continue
        if entry.is_dir():
            found += _walk(Path(entry.path), depth - 1)
        elif entry.is_file():
            found.append(Path(entry.path))
    return found


def _write(path: Path, data: bytes) -> None:
    """Atomically: the watcher never sees half a post."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".liangshai-cms-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _move(old: Path, new: Path) -> None:
    """A renamed entry; a bundle (``index.md``) takes the files beside it along."""
    new.parent.mkdir(parents=True, exist_ok=True)
    if old.name == "index.md" and new.name == "index.md" and old.parent != new.parent:
        for p in sorted(old.parent.iterdir()):
            os.replace(p, new.parent / p.name)
        _prune_empty(old.parent, old.parent.parent)
    else:
        os.replace(old, new)


def _prune_empty(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents while empty, up to (not including) a unit folder."""
    while folder != stop and stop in folder.parents and not (folder / UNIT_FILE).exists():
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


class LocalEditor:
    """``/admin/`` in the preview: the editor page, its configuration with ``local_backend``, the bundle."""

    def __init__(self, site: Path) -> None:
        self.site = site.resolve()
        self.backend = LocalBackend(self.site)
        self._vendor = {p.name: p for p in vendor_files()}

    def page(self, name: str, host: str) -> tuple[str, bytes] | None:
        """The file ``admin/<name>`` as (content type, bytes); None when there is none.

        ``host``: the request's (already checked) Host, so the API URL is the
        page's own origin, whichever name the browser used (localhost or 127.0.0.1).
        """
        if name in self._vendor:
            path = self._vendor[name]
            return ("application/wasm" if name.endswith(".wasm") else "text/javascript; charset=utf-8"), path.read_bytes()
        if name not in ("", "index.html", "config.yml", "admin.js"):
            return None
        made = self._made(f"http://{host}{API_PATH}")
        key = name or "index.html"
        kind = {"index.html": "text/html; charset=utf-8", "config.yml": "text/yaml; charset=utf-8"}.get(key, "text/javascript; charset=utf-8")
        return kind, made[key]

    def _made(self, url: str) -> dict[str, bytes]:
        """The pages as ``build`` makes them, from site.toml and the units as they are now (the build may be failing)."""
        from generator.render.assets import fingerprint_assets
        from generator.render.theme import resolve_theme

        config = load_config(self.site)
        assets, _ = fingerprint_assets(resolve_theme(self.site, config.theme))
        backend: dict[str, object] = backend_config(config.cms) if config.cms is not None else {"name": "proxy", "proxy_url": url, "branch": "main"}
        return admin_pages(config, _units(self.site, config), assets, backend, local_url=url)


def _units(site: Path, config: Any) -> tuple[Any, ...]:
    """Every unit whose ``_unit.toml`` reads (a broken one is the build's error to report)."""
    from generator.parse.post import parse_unit

    units = []
    content = site / CONTENT
    for folder in sorted(content.iterdir()) if content.is_dir() else []:
        rel = f"{CONTENT}/{folder.name}/{UNIT_FILE}"
        if (site / rel).is_file():
            unit, _ = parse_unit((site / rel).read_bytes(), rel, folder.name, config)
            if unit is not None:
                units.append(unit)
    return tuple(units)


__all__ = ["ADMIN", "API_PATH", "MAX_BODY", "Answer", "LocalBackend", "LocalEditor", "Refused"]
