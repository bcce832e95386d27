"""gcp-storage-emulator's storage, made fast, concurrent and crash-safe for the sandbox.

The emulator keeps its whole index (every bucket and object resource) in one `.meta` JSON
file and rewrites it after every change: a `dvc push` of 10,000 files rewrote it 10,000
times, each time bigger, so the push slowed down with the square of the file count. Here:

- an object stored by `create_file` (every upload, copy, rewrite, compose) is appended as
  one line to `.meta.journal`: constant work per object, left in the page cache without an
  fsync. That survives the process being killed (SIGKILL, a crash), which is what the
  sandbox must survive; it does not claim to survive a power cut;
- every other change (buckets, deletes, resumable sessions, IAM policies), and a journal as
  long as the index itself (at least `COMPACT_MIN` lines: amortised constant work), write
  the whole index atomically as the emulator did, and start a new journal;
- object bytes go to a temporary file renamed into place (atomic, no fsync), written
  outside the index lock, so parallel uploads write in parallel;
- every index method the emulator's handlers call holds one index lock, so the handlers
  themselves may run concurrently.

The index and its journal carry an epoch: a journal of another epoch than the index is
stale (the process died between writing the index and starting the new journal) and is
ignored. Only the emulator's persistence is replaced; its handlers and resources stay its own.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import threading
from pathlib import Path
from typing import IO, Any, Callable

from gcp_storage_emulator import settings as gse_settings
from gcp_storage_emulator.exceptions import NotFound
from gcp_storage_emulator.storage import Storage

from wizard.fsutil import atomic_write

META_FILE = ".meta"
JOURNAL_FILE = ".meta.journal"
EPOCH_KEY = "sandbox_journal_epoch"
COMPACT_MIN = 1000


def replace_write(path: Path, content: bytes) -> None:
    """Write `content` to `path` through a temporary file and a rename, without fsync.

    A killed process leaves the old file or the new one, never a mix; the kernel keeps the
    bytes of a finished write even when the process dies right after."""
    tmp = _stage(path, content)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


_STAGED = itertools.count()
_STAGE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _stage(path: Path, content: bytes) -> str:
    """`content` in a new temporary file beside `path` (0600, as `mkstemp` makes them); its name.

    Named by process and counter rather than by `mkstemp`, and the folder made only when it is
    missing: both cost system calls and time per object, thousands of times in a `dvc push`."""
    while True:
        tmp = f"{path.parent}{os.sep}.{path.name[:40]}.{os.getpid()}.{next(_STAGED)}.tmp"
        try:
            fd = os.open(tmp, _STAGE_FLAGS, 0o600)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            continue
        except FileExistsError:  # left by a killed process that had the same id
            continue
        break
    try:
        view, written = memoryview(content), 0
        while written < len(view):
            written += os.write(fd, view[written:])
    except BaseException:
        os.close(fd)
        _unlink(tmp)
        raise
    os.close(fd)
    return tmp


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def store_root(data_dir: Path) -> Path:
    return Path(data_dir) / gse_settings.STORAGE_DIR


def read_index(root: Path) -> tuple[dict[str, Any], int]:
    """The emulator's index under `root` with its journal replayed, and the journal's length."""
    try:
        index = json.loads((root / META_FILE).read_text("utf-8"))
    except FileNotFoundError:
        index = {}
    try:
        lines = (root / JOURNAL_FILE).read_bytes().splitlines()
    except FileNotFoundError:
        return index, 0
    replayed = 0
    for number, line in enumerate(lines):
        try:
            entry = json.loads(line)
        except ValueError:
            break  # a line cut short by a crash: everything before it counts
        if number == 0:
            if entry.get("epoch") != index.get(EPOCH_KEY, 0):
                return index, 0  # stale journal of an older index
            continue
        bucket, name, resource = entry["put"]
        index.setdefault("objects", {}).setdefault(bucket, {})[name] = resource
        replayed += 1
    return index, replayed


def object_names(data_dir: Path, bucket: str) -> list[str]:
    """The names of a bucket's objects, read from the emulator's index on disk (no server)."""
    index, _ = read_index(store_root(data_dir))
    return sorted((index.get("objects") or {}).get(bucket, {}))


class JournaledStorage(Storage):
    """The emulator's `Storage` with a journaled index and a lock (see the module's docstring)."""

    def __init__(self, data_dir: Path) -> None:
        self._index_lock = threading.RLock()
        self._journal: IO[bytes] | None = None
        self._journal_lines = 0
        self._epoch = 0
        self._root = store_root(data_dir)
        super().__init__(use_memory_fs=False, data_dir=str(Path(data_dir).resolve()))
        store = getattr(self, "_store", None)
        disk_path = getattr(store, "_disk_path", None)
        if disk_path is not None and not getattr(store, "_use_memory", False):
            store.write_bytes = lambda rel, content: replace_write(disk_path(rel), content)  # type: ignore[union-attr]

    # -- the index ---------------------------------------------------------------------
    def _read_config_from_file(self) -> None:
        index, replayed = read_index(self._root)
        self.buckets = index.get("buckets") or {}
        self.objects = index.get("objects") or {}
        self.resumable = index.get("resumable") or {}
        self.bucket_iam_policies = index.get("bucket_iam_policies") or {}
        self.soft_deleted = index.get("soft_deleted") or {}
        self._epoch = int(index.get(EPOCH_KEY, 0))
        if replayed or not (self._root / JOURNAL_FILE).exists():
            self._write_config_to_file()  # fold the journal in, start a fresh one

    def _write_config_to_file(self) -> None:
        with self._index_lock:
            epoch = self._epoch + 1
            index = {
                "buckets": self.buckets,
                "objects": self.objects,
                "resumable": self.resumable,
                "bucket_iam_policies": self.bucket_iam_policies,
                "soft_deleted": self.soft_deleted,
                EPOCH_KEY: epoch,
            }
            atomic_write(self._root / META_FILE, json.dumps(index, separators=(",", ":")))
            self._epoch = epoch
            if self._journal is not None:
                self._journal.close()
            replace_write(self._root / JOURNAL_FILE, json.dumps({"epoch": epoch}).encode() + b"\n")
            self._journal = open(self._root / JOURNAL_FILE, "ab")  # noqa: SIM115 - kept open
            self._journal_lines = 0

    def _journal_put(self, bucket: str, name: str, resource: dict[str, Any]) -> None:
        if self._journal is None:
            self._write_config_to_file()
        assert self._journal is not None
        self._journal.write(json.dumps({"put": [bucket, name, resource]}, separators=(",", ":")).encode() + b"\n")
        self._journal.flush()
        self._journal_lines += 1
        if self._journal_lines >= max(COMPACT_MIN, sum(len(objects) for objects in self.objects.values())):
            self._write_config_to_file()

    def close(self) -> None:
        """Fold the journal into the index (a next start reads one file) and let go of it."""
        with self._index_lock:
            if self._journal_lines:
                self._write_config_to_file()
            if self._journal is not None:
                self._journal.close()
                self._journal = None

    # -- objects -----------------------------------------------------------------------
    def create_file(
        self, bucket_name: str, file_name: str, content: bytes, file_obj: dict[str, Any], file_id: str | None = None
    ) -> None:
        if file_id:  # the end of a resumable upload: rare, the emulator's own way
            with self._index_lock:
                return super().create_file(bucket_name, file_name, content, file_obj, file_id)
        with self._index_lock:
            if bucket_name not in self.buckets:
                raise NotFound
        path = self._store._disk_path(self._object_path(bucket_name, file_name))
        tmp = _stage(path, content or b"")  # the bytes, outside the lock
        try:
            with self._index_lock:
                if bucket_name not in self.buckets:
                    raise NotFound
                os.replace(tmp, path)
                self.objects.setdefault(bucket_name, {})[file_name] = file_obj
                self._journal_put(bucket_name, file_name, file_obj)
        except BaseException:
            _unlink(tmp)
            raise
        return None


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def under_lock(self: JournaledStorage, *args: Any, **kwargs: Any) -> Any:
        with self._index_lock:
            return method(self, *args, **kwargs)

    return under_lock


# Every index method the emulator's handlers call (get_file reads a file renamed into place
# atomically: it needs no lock).
for _name in (
    "get_bucket",
    "get_file_list",
    "create_bucket",
    "create_resumable_upload",
    "get_resumable_byte_count",
    "add_to_resumable_upload",
    "get_file_obj",
    "get_resumable_file_obj",
    "delete_resumable_file_obj",
    "delete_bucket",
    "get_bucket_iam_policy",
    "set_bucket_iam_policy",
    "delete_file",
    "get_soft_deleted_file_obj",
    "get_soft_deleted_file",
    "restore_soft_deleted_file",
    "wipe",
    "patch_object",
):
    if hasattr(Storage, _name):
        setattr(JournaledStorage, _name, _locked(getattr(Storage, _name)))
