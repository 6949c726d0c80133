"""Search stage, the Pagefind side: its binary, its service protocol, and the canonical form of what it writes.

`pagefind_binary` finds the extended binary (it segments Chinese). `Service`
speaks Pagefind's service protocol (``pagefind --service``) to one child
process; `Warming` starts one such child early and has it load its
dictionaries on a thread while the builder works. `canonicalize` rewrites
Pagefind's filter indexes (CBOR inside gzip) in a fixed order, so the same
site gives the same bytes. Nothing here knows about shards or the output
folder's layout (`shards`), nor which shards to index (`index`).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # (Windows) the pipes keep their size
    fcntl = None  # type: ignore[assignment]

ENTRY = "pagefind-entry.json"  # the entry file naming an index's hashed files: written last, read first
# Pagefind's own UIs: search.js uses only the JS API, so they are not published.
UNUSED = ("pagefind-ui", "pagefind-component-ui", "pagefind-modular-ui", "pagefind-highlight")
WARM_LOG = ".liangshai-pagefind-warm.log"  # the warmed-up service's stderr; hidden: never published


def pagefind_binary() -> Path | None:
    """The extended Pagefind binary (Chinese segmentation) from the pagefind[extended] wheel."""
    override = os.environ.get("PAGEFIND_BINARY_PATH")
    if override:
        return Path(override)
    try:
        from pagefind_bin_extended import get_executable
    except ImportError:
        return None
    try:
        return get_executable()
    except FileNotFoundError:
        return None


class ServiceError(Exception):
    """The Pagefind service failed: ``exit`` is its exit code when it is gone (None: it answered with an error)."""

    def __init__(self, detail: str, exit: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.exit = exit


# Pagefind's answers pass through a pipe: at Linux's default 64 KiB, an edit's GetFiles
# (~1.6 MB) is ~25 reads, and each one waits for the interpreter while the builder's
# thread renders. 1 MiB is the most an unprivileged process may ask for (pipe-max-size).
PIPE_SIZE = 1 << 20


def _widen(pipe: IO[bytes] | None) -> None:
    """Ask for a ``PIPE_SIZE`` pipe buffer; where the system says no, the default stays."""
    if pipe is None or fcntl is None or not hasattr(fcntl, "F_SETPIPE_SZ"):
        return
    try:
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    except OSError:
        pass


class Service:
    """One Pagefind process in service mode (``pagefind --service``), indexing one shard after another.

    The protocol is the one the ``pagefind`` Python package speaks (base64 of
    a JSON message, then a comma, each way; one answer per request). It is
    spoken here directly and synchronously: the package's client waits 0.1 s
    before reading each answer (about 25 s for 84 shards) and reads the
    binary's stderr on the same pipe as its answers. An index made this way
    (NewIndex, AddDir, GetFiles) holds the same bytes as ``pagefind --site``
    with the same options (once canonicalized). The service answers in order,
    each answer carrying its request's number: `send` and `receive` let the
    caller work between the two halves, `post` sends a request whose answer
    `receive` drops.
    """

    def __init__(self, binary: Path, scratch: Path, name: str, log_path: Path | None = None) -> None:
        self.binary = binary
        self.log_path = log_path or scratch / f"service-{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.answered = False  # has this process answered a request yet
        self._buffer = b""
        self._next_id = 0
        self._dropped: set[int] = set()  # requests `post`ed, their answers not read yet

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([str(self.binary), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        self.answered = False
        self._buffer = b""
        self._dropped = set()
        _widen(self.proc.stdout)

    def request(self, payload: dict) -> dict:
        return self.receive(self.send(payload))

    def send(self, payload: dict) -> int:
        """The first half of `request`: the service works on it while the caller does something else; `receive` takes the number returned."""
        if self.proc is None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        self._next_id += 1
        message = base64.b64encode(json.dumps({"message_id": self._next_id, "payload": payload}).encode("utf-8")) + b","
        try:
            self.proc.stdin.write(message)
            self.proc.stdin.flush()
        except OSError:
            raise self._died() from None
        return self._next_id

    def post(self, payload: dict) -> None:
        """A request whose answer nobody waits for (DeleteIndex): `receive` drops it when it comes."""
        self._dropped.add(self.send(payload))

    def receive(self, message_id: int) -> dict:
        """The answer to request ``message_id`` (`send`); answers to `post`ed requests before it are dropped."""
        while True:
            message = self._message()
            number = message.get("message_id")
            if number in self._dropped:
                self._dropped.discard(number)
                continue
            answer = message.get("payload")
            # (an error about a message Pagefind could not read carries no number)
            if number not in (message_id, None) or not isinstance(answer, dict):
                self.close()
                raise ServiceError(f"Pagefind 的应答不是对这个请求的（{number!r}，应为 {message_id}）")
            self.answered = True
            if answer.get("type") == "Error":
                raise ServiceError(str(answer.get("message") or "未知错误"))
            return answer

    def _message(self) -> dict:
        """The next message on the service's output."""
        assert self.proc is not None and self.proc.stdout is not None
        try:
            fd = self.proc.stdout.fileno()
            if b"," not in self._buffer:
                # An answer can be megabytes (GetFiles): the chunks are joined once, and only
                # the new chunk is searched for the end of the message.
                chunks = [self._buffer]
                while True:
                    chunk = os.read(fd, PIPE_SIZE)
                    if not chunk:
                        raise EOFError
                    chunks.append(chunk)
                    if b"," in chunk:
                        break
                self._buffer = b"".join(chunks)
        except (OSError, EOFError):
            raise self._died() from None
        raw, _, self._buffer = self._buffer.partition(b",")
        try:
            message = json.loads(base64.b64decode(raw))
        except (ValueError, TypeError):
            message = None
        if not isinstance(message, dict):
            self.close()
            raise ServiceError(f"无法理解 Pagefind 的应答：{raw[:80]!r}")
        return message

    def _died(self) -> ServiceError:
        """The process is gone (or stopped reading): its exit code and the end of its stderr."""
        assert self.proc is not None
        self.close()
        try:
            text = self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            text = ""
        return ServiceError(" / ".join(text.strip().splitlines()[-5:]) or "无输出", self.proc.returncode)

    def close(self) -> None:
        if self.proc is None:
            return
        proc = self.proc
        for pipe in (proc.stdin, proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=10)  # stdin closed: the service exits
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- a service warmed up while the builder works ----------------------------------
#
# The extended binary loads its Chinese dictionaries at the first page it
# segments (~0.2 s of CPU), not at start. A one-post edit indexes one shard of
# ~100 pages, so that load is a fifth of its search time. `Warming` starts one
# service and has it segment a tiny page on a thread while the builder parses
# and renders on the other core; the indexing run then takes it as its first
# service. Nothing about the index changes: the warm-up index is deleted.

Job = Callable[["Service | None"], object]  # `Warming.then`: what the thread does with the service (None: it failed)

WARM_PAGE = '<html lang="zh-CN"><body data-pagefind-body><p>党支部</p></body></html>'


class Warming:
    """One Pagefind service loading its dictionaries on a thread, until an indexing run takes it (`take`) or nobody does (`close`).

    `then` gives the thread a job to do with the service once the dictionaries
    are loaded (the search's `SearchIndex.preread`): its result is `result`.
    The folders in `litter` (what the job made) are removed by `close`.
    """

    def __init__(self, binary: Path, out_dir: Path) -> None:
        self.service = Service(binary, out_dir, "warm", out_dir / WARM_LOG)
        self.result: object = None
        self._loaded = threading.Event()  # the dictionaries are loaded, or the service failed
        self._asked = threading.Event()  # `then` was called, or nothing more will be asked
        self._job: Job | None = None
        self._done = threading.Event()  # the job is done (or there is none)
        self.litter: list[Path] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pagefind-warm-up", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def asked(self) -> bool:
        """Has the thread been given its job (or been told there is none)?"""
        return self._asked.is_set()

    def then(self, job: Job | None) -> None:
        """Give the thread ``job`` (None: none), at most once and before `take`: it is called with the
        service once the dictionaries are loaded, or with None when the service failed."""
        if not self._asked.is_set():
            self._job = job
            self._asked.set()

    def _run(self) -> None:
        service: Service | None = self.service
        try:
            try:
                index = self.service.request({"type": "NewIndex", "config": {"keep_index_url": True}})["index_id"]
                self.service.request({"type": "AddFile", "index_id": index, "url": "/warm/", "file_contents": WARM_PAGE})
                self.service.post({"type": "DeleteIndex", "index_id": index})
            except (ServiceError, OSError, KeyError, TypeError):
                self.service.close()  # unusable: the indexing run starts its own and reports what fails
                service = None
            finally:
                self._loaded.set()
            self._asked.wait()
            if self._job is not None:
                self.result = self._job(service)
        except BaseException as exc:  # a bug, not a Pagefind failure (the job returns None for those): `take` raises it
            self._error = exc
        finally:
            self._done.set()  # whatever happened: `take` waits for this

    def ready(self) -> bool:
        """Has the service loaded its dictionaries (or failed to)? (A job given by `then` may still be running.)"""
        return self._loaded.is_set()

    def done(self) -> object:
        """`result` if the job is done by now, else None (never waits)."""
        return self.result if self._done.is_set() else None

    def take(self) -> Service | None:
        """The warmed-up service, once ready and its job done; None (and closed) when it failed."""
        self._asked.set()  # no job given by now: none
        self._done.wait()
        if self._error is not None:
            error, self._error = self._error, None
            self.close()
            raise error
        if self.service.proc is None or self.service.proc.poll() is not None:
            self.close()
            return None
        return self.service

    def close(self) -> None:
        """Stop the service and remove its log.

        A service still loading its dictionaries (or doing its job) is killed
        first, so a build that failed (or needed no index) does not wait for
        them: the thread then reads the end of its output and stops. Killed,
        not its pipes closed: the thread may be reading them.
        """
        self._asked.set()
        proc = self.service.proc
        if self._thread.is_alive() and proc is not None and proc.poll() is None:
            proc.kill()
        self._thread.join()
        self.service.close()
        self.service.log_path.unlink(missing_ok=True)
        for path in self.litter:
            shutil.rmtree(path, ignore_errors=True)


# -- determinism ------------------------------------------------------------------
#
# Pagefind 1.5 writes its filter indexes from a hash map, so the order of the
# filters and of their values (and with it the files' hashed names, the meta
# index naming them and the entry file) changes from run to run. Everything
# else it writes is stable. `canonicalize` sorts both orders and renames the
# files after their new content, so the same site gives the same bytes.
# The files are gzip("pagefind_dcd" + CBOR); the CBOR items used are unsigned
# and negative integers, byte and text strings, arrays and simple values.

DCD = b"pagefind_dcd"


class Simple(bytes):
    """A CBOR simple value or float, kept as its encoded bytes."""


def _cbor_item(data: bytes, i: int) -> tuple[object, int]:
    major, info = data[i] >> 5, data[i] & 31
    start, i = i, i + 1
    if major == 7:
        size = 0 if info < 24 else {24: 1, 25: 2, 26: 4, 27: 8}[info]
        return Simple(data[start : i + size]), i + size
    if info < 24:
        n = info
    elif info <= 27:
        width = 1 << (info - 24)
        n, i = int.from_bytes(data[i : i + width], "big"), i + width
    else:
        raise ValueError(f"CBOR 不定长或保留的头部 {data[start]:#x}")
    if major == 0:
        return n, i
    if major == 1:
        return -1 - n, i
    if major == 2:
        return bytes(data[i : i + n]), i + n
    if major == 3:
        return data[i : i + n].decode("utf-8"), i + n
    if major == 4:
        items = []
        for _ in range(n):
            item, i = _cbor_item(data, i)
            items.append(item)
        return items, i
    raise ValueError(f"CBOR 类型 {major} 不在预期之内")


def cbor_decode(data: bytes) -> object:
    value, end = _cbor_item(data, 0)
    if end != len(data):
        raise ValueError("CBOR 数据后有多余字节")
    return value


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * width):
            return bytes([major << 5 | info]) + n.to_bytes(width, "big")
    raise ValueError("CBOR 整数过大")


def cbor_encode(value: object) -> bytes:
    if isinstance(value, Simple):
        return bytes(value)
    if isinstance(value, bool):
        raise TypeError("bool")
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _cbor_head(3, len(raw)) + raw
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(cbor_encode(v) for v in value)
    raise TypeError(type(value).__name__)


def read_dcd(path: Path) -> object:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(DCD):
        raise ValueError(f"{path.name} 不是 Pagefind 数据文件")
    return cbor_decode(data[len(DCD) :])


def _dcd_file(lang: str, value: object, taken: set[str]) -> tuple[str, bytes]:
    """``value`` as a Pagefind data file: (name after its content, gzip bytes)."""
    data = DCD + cbor_encode(value)
    digest = hashlib.sha256(data).hexdigest()
    n = 7
    while f"{lang}_{digest[:n]}" in taken:
        n += 1
    taken.add(f"{lang}_{digest[:n]}")
    return f"{lang}_{digest[:n]}", gzip.compress(data, mtime=0)


def canonicalize(bundle: Path) -> None:
    """Sort Pagefind's filter indexes in ``bundle`` and rename them (and the meta index) by content.

    Everything is read and checked before the first file changes, so an
    unexpected format leaves Pagefind's own (working) output as it was.
    """
    entry = json.loads((bundle / ENTRY).read_text("utf-8"))
    writes: dict[Path, bytes] = {}
    removes: list[Path] = []
    for lang, info in entry["languages"].items():
        meta_path = bundle / f"pagefind.{info['hash']}.pf_meta"
        meta = read_dcd(meta_path)
        if not (isinstance(meta, list) and len(meta) >= 4 and isinstance(meta[3], list)):
            raise ValueError(f"{meta_path.name} 的结构不在预期之内")
        taken: set[str] = set()
        renamed = []
        for name, old in sorted(meta[3], key=lambda f: f[0]):
            path = bundle / "filter" / f"{old}.pf_filter"
            index = read_dcd(path)
            if not (isinstance(index, list) and len(index) == 2 and index[0] == name and isinstance(index[1], list)):
                raise ValueError(f"{path.name} 的结构不在预期之内")
            new, data = _dcd_file(lang, [name, sorted(index[1], key=lambda v: v[0])], taken)
            removes.append(path)
            writes[bundle / "filter" / f"{new}.pf_filter"] = data
            renamed.append([name, new])
        meta[3] = renamed
        info["hash"], data = _dcd_file(lang, meta, set())
        removes.append(meta_path)
        writes[bundle / f"pagefind.{info['hash']}.pf_meta"] = data
    for path in removes:
        path.unlink()
    for path, data in writes.items():
        path.write_bytes(data)
    (bundle / ENTRY).write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
