"""Listing a bucket page by page, as Cloud Storage answers `objects.list` (google-cloud-storage and raw calls).

DVC asks whether its remote holds what it is about to push by listing it: a page holds at most
1,000 entries, `maxResults` is honoured (gcsfs asks for one entry to see whether a folder exists),
`nextPageToken` continues, `startOffset`/`endOffset` narrow the names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sandbox.google_helpers import authorized_session, token_credentials
from tests.sandbox.storage_helpers import seed_objects, seed_storage_world, storage_client
from wizard.sandbox.storage import start_storage
from wizard.sandbox.world import World

pytestmark = pytest.mark.timeout(120)

BUCKET = "learner-dvc-bucket"


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = World(tmp_path / "sandbox")
    seed_storage_world(world)
    return world


def _serve(world: World, tmp_path: Path, names: list[str]):
    data_dir = tmp_path / "sandbox" / "storage"
    seed_objects(world, data_dir, BUCKET, names)
    return start_storage(world, data_dir)


def _reads(world: World) -> int:
    return int(world.read()["calls"]["by_service"].get("storage", {}).get("reads", 0))


def _list(server, world: World, **params: str) -> tuple[int, dict]:
    session = authorized_session(world, token_credentials(world))
    answer = session.get(f"{server.url}/storage/v1/b/{BUCKET}/o", params=params)
    return answer.status_code, answer.json()


def test_a_remote_of_1001_objects_is_listed_in_two_pages_of_at_most_1000(world, tmp_path):
    names = [f"dvcstore/files/md5/{i % 256:02x}/{i:030d}" for i in range(1001)]
    with _serve(world, tmp_path, names) as server:
        before = _reads(world)
        listed = [blob.name for blob in storage_client(server).list_blobs(BUCKET, prefix="dvcstore/")]
        assert listed == sorted(names)
        assert _reads(world) - before == 3  # one call per page, and google-cloud-storage reads the bucket once

        status, first = _list(server, world)
        assert status == 200
        assert len(first["items"]) == 1000 and "nextPageToken" in first
        status, second = _list(server, world, pageToken=first["nextPageToken"])
        assert [item["name"] for item in second["items"]] == [sorted(names)[-1]]
        assert "nextPageToken" not in second


def test_one_entry_asked_with_a_delimiter_is_one_prefix_and_a_token_to_go_on(world, tmp_path):
    names = ["dvcstore/files/md5/00/aa", "dvcstore/files/md5/01/bb", "dvcstore/files/md5/02/cc"]
    with _serve(world, tmp_path, names) as server:
        # What gcsfs sends to learn whether DVC's folder exists.
        status, page = _list(server, world, prefix="dvcstore/files/md5/", delimiter="/", maxResults="1")
        assert status == 200
        assert page.get("prefixes") == ["dvcstore/files/md5/00/"] and "items" not in page
        status, page = _list(
            server, world, prefix="dvcstore/files/md5/", delimiter="/", maxResults="5", pageToken=page["nextPageToken"]
        )
        assert page.get("prefixes") == ["dvcstore/files/md5/01/", "dvcstore/files/md5/02/"]
        assert "nextPageToken" not in page


def test_an_empty_prefix_lists_nothing_and_leaves_items_out(world, tmp_path):
    with _serve(world, tmp_path, ["a"]) as server:
        status, page = _list(server, world, prefix="dvcstore/")
        assert status == 200 and page == {"kind": "storage#objects"}


def test_offsets_narrow_the_names(world, tmp_path):
    with _serve(world, tmp_path, ["a", "b", "c/1", "c/2", "d"]) as server:
        client = storage_client(server)
        assert [b.name for b in client.list_blobs(BUCKET, start_offset="b", end_offset="d")] == ["b", "c/1", "c/2"]
        status, page = _list(server, world, delimiter="/", startOffset="c/2")
        assert page.get("prefixes") == ["c/"] and [item["name"] for item in page["items"]] == ["d"]


@pytest.mark.parametrize("params", [{"pageToken": "not-ours"}, {"maxResults": "0"}, {"maxResults": "many"}])
def test_a_token_or_a_size_google_would_not_accept_is_refused(world, tmp_path, params):
    with _serve(world, tmp_path, ["a"]) as server:
        status, page = _list(server, world, **params)
        assert status == 400
        assert page["error"]["errors"][0]["reason"] == "invalid"
