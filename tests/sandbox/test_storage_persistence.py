"""The sandbox's Cloud Storage keeps every byte and every object, fast, whatever happens to it.

DVC uploads with many threads at once; the sandbox must store them all, byte for byte, and
give them back after a restart, without rewriting its whole index per object. A process
killed in the middle leaves an index that reads back whole (the SIGKILL story is in
test_storage.py); here, what a crash can leave behind in the index's journal.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.sandbox.storage_helpers import seed_storage_world, storage_client
from wizard.sandbox.emulator_store import EPOCH_KEY, JOURNAL_FILE, META_FILE, object_names, store_root
from wizard.sandbox.storage import start_storage
from wizard.sandbox.world import World

pytestmark = pytest.mark.timeout(120)

BUCKET = "learner-dvc-bucket"


def _content(i: int) -> bytes:
    return bytes(range(256)) * (i % 5) + f"object {i}\r\n".encode() + b"\r"  # binary, CR last


def test_parallel_uploads_all_land_byte_for_byte_and_survive_a_restart(tmp_path: Path):
    world = World(tmp_path / "sandbox")
    seed_storage_world(world)
    data_dir = tmp_path / "sandbox" / "storage"
    names = [f"dvcstore/files/md5/{i:02x}/{i:030x}" for i in range(60)]
    with start_storage(world, data_dir) as server:
        client = storage_client(server)
        bucket = client.bucket(BUCKET)
        bucket.iam_configuration.uniform_bucket_level_access_enabled = True
        client.create_bucket(bucket, location="europe-west6", retry=None)
        with ThreadPoolExecutor(max_workers=8) as pool:  # as DVC's upload jobs do
            list(pool.map(lambda i: bucket.blob(names[i]).upload_from_string(_content(i)), range(len(names))))
        assert sorted(b.name for b in client.list_blobs(BUCKET)) == sorted(names)
    assert object_names(data_dir, BUCKET) == sorted(names)
    with start_storage(world, data_dir) as again:
        bucket = storage_client(again).bucket(BUCKET)
        assert [bucket.blob(names[i]).download_as_bytes() for i in (0, 7, 59)] == [_content(i) for i in (0, 7, 59)]
    assert world.read()["calls"]["by_service"]["storage"]["writes"] == 61  # the bucket and each object, once


def _index(root: Path, epoch: int, objects: dict[str, dict]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / META_FILE).write_text(json.dumps({"buckets": {BUCKET: {}}, "objects": {BUCKET: objects}, EPOCH_KEY: epoch}))


def _journal(root: Path, epoch: int, *lines: str) -> None:
    (root / JOURNAL_FILE).write_text(json.dumps({"epoch": epoch}) + "\n" + "".join(f"{line}\n" for line in lines))


def _put(name: str) -> str:
    return json.dumps({"put": [BUCKET, name, {"name": name}]})


def test_objects_recorded_in_the_journal_count_up_to_a_line_cut_short(tmp_path: Path):
    root = store_root(tmp_path)
    _index(root, 3, {"a": {"name": "a"}})
    _journal(root, 3, _put("b"), _put("c"), '{"put": ["learner-dvc-bu')  # the crash cut the last line
    assert object_names(tmp_path, BUCKET) == ["a", "b", "c"]


def test_a_journal_older_than_the_index_is_ignored(tmp_path: Path):
    """The process died after writing a new index and before starting its new journal."""
    root = store_root(tmp_path)
    _index(root, 4, {"a": {"name": "a"}})  # already holds what the old journal said, minus a delete
    _journal(root, 3, _put("deleted-since"))
    assert object_names(tmp_path, BUCKET) == ["a"]
