"""The sandbox's Cloud Storage, driven over the wire by google-cloud-storage and real dvc.

Each test arranges a small world (a learner project with billing and Cloud Storage, a few
broken projects, a bucket someone else owns), starts the storage server on a free loopback
port and checks what a learner would see: status, message, reason, settings read back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from google.api_core import exceptions as gexc

from tests.sandbox.google_helpers import authorized_session, token_credentials
from tests.sandbox.storage_helpers import (
    PROJECT,
    PROJECT_NUMBER,
    TAKEN_BUCKET,
    TAKEN_PROJECT,
    dvc,
    dvc_env,
    seed_storage_world,
    storage_client,
)
from wizard.sandbox.storage import bucket_name_problem, object_names, start_storage
from wizard.sandbox.world import LEARNER, SOMEONE_ELSE, World

pytestmark = pytest.mark.timeout(60)

TAKEN_MESSAGE = (
    "The requested bucket name is not available. The bucket namespace is shared by all users "
    "of the system. Please select a different name and try again."
)
OWNED_MESSAGE = "Your previous request to create the named bucket succeeded and you already own it."


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = World(tmp_path / "sandbox")
    seed_storage_world(world)
    return world


@pytest.fixture
def server(world: World, tmp_path: Path):
    handle = start_storage(world, tmp_path / "sandbox" / "storage")
    yield handle
    handle.stop()


@pytest.fixture
def client(server):
    return storage_client(server)


def said(err: gexc.GoogleAPICallError) -> str:
    """The message exactly as the server wrote it (api_core prefixes method and URL)."""
    return err.response.json()["error"]["message"]


def new_bucket(
    client, name: str, location: str = "europe-west6", uniform: bool = True, prevention: str | None = "enforced"
):
    """What the wizard sends: `gcloud storage buckets create --uniform-bucket-level-access
    --public-access-prevention --location=...`."""
    bucket = client.bucket(name)
    bucket.iam_configuration.uniform_bucket_level_access_enabled = uniform
    if prevention:
        bucket.iam_configuration.public_access_prevention = prevention
    return client.create_bucket(bucket, location=location, retry=None)


# -- bucket insert ----------------------------------------------------------------------------
def test_create_bucket_keeps_the_settings_asked_for(client, world):
    created = new_bucket(client, "learner-dvc-bucket")
    assert created.location == "EUROPE-WEST6"
    assert created.location_type == "region"
    assert created.iam_configuration.uniform_bucket_level_access_enabled is True
    assert created.iam_configuration.public_access_prevention == "enforced"
    assert created.project_number == int(PROJECT_NUMBER)

    again = client.get_bucket("learner-dvc-bucket")  # a fresh read, not the insert's answer
    assert again.location == "EUROPE-WEST6"
    assert again.iam_configuration.uniform_bucket_level_access_enabled is True
    assert again.iam_configuration.public_access_prevention == "enforced"
    assert again.time_created is not None

    record = world.read()["buckets"]["learner-dvc-bucket"]
    assert record["project"] == PROJECT and record["owner"] == LEARNER
    assert record["location"] == "EUROPE-WEST6"
    assert record["uniform_access"] is True and record["public_access_prevention"] == "enforced"


def test_create_bucket_defaults_are_googles(client, world):
    created = client.create_bucket("learner-plain-bucket", retry=None)
    assert created.location == "US"
    assert created.location_type == "multi-region"
    assert created.iam_configuration.uniform_bucket_level_access_enabled is False
    assert created.iam_configuration.public_access_prevention == "inherited"
    assert world.read()["buckets"]["learner-plain-bucket"]["public_access_prevention"] == "inherited"


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Learner-Bucket",
        "-learner",
        "learner-",
        "goog-learner",
        "my-google-bucket",
        "192.168.5.4",
        "learner bucket",
        "learner/bucket",
        "learner..bucket",
    ],
)
def test_invalid_bucket_names_are_refused(server, world, name):
    # Raw JSON API requests: google-cloud-storage refuses some of these names before sending.
    session = authorized_session(world, token_credentials(world))
    answer = session.post(
        f"{server.url}/storage/v1/b",
        params={"project": PROJECT},
        json={"name": name, "location": "europe-west6"},
        timeout=10,
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["message"] == f"Invalid bucket name: '{name}'"
    assert error["errors"][0]["reason"] == "invalid"
    assert name not in world.read()["buckets"]


def test_an_invalid_name_through_the_client(client):
    with pytest.raises(gexc.BadRequest) as caught:
        client.create_bucket("Learner-Bucket", retry=None)
    assert "Invalid bucket name" in caught.value.message


@pytest.mark.parametrize("name", ["abc", "a" * 63, "learner_bucket-1", "learner.data.bucket", "1learner9"])
def test_valid_bucket_names_pass_the_rules(name):
    assert bucket_name_problem(name) is None


def test_a_name_someone_else_owns_is_not_available(client, world):
    with pytest.raises(gexc.Conflict) as caught:
        new_bucket(client, TAKEN_BUCKET)
    assert said(caught.value) == TAKEN_MESSAGE
    assert world.read()["buckets"][TAKEN_BUCKET]["owner"] == SOMEONE_ELSE


def test_creating_twice_says_you_already_own_it(client, world):
    new_bucket(client, "learner-dvc-bucket")
    with pytest.raises(gexc.Conflict) as caught:
        new_bucket(client, "learner-dvc-bucket", location="us-east1", prevention="inherited")
    assert said(caught.value) == OWNED_MESSAGE
    assert world.read()["buckets"]["learner-dvc-bucket"]["location"] == "EUROPE-WEST6"  # unchanged


@pytest.mark.parametrize("project", [TAKEN_PROJECT, "no-such-project"])
def test_create_in_a_project_that_is_not_the_learners_is_denied(server, world, project):
    with pytest.raises(gexc.Forbidden) as caught:
        new_bucket(storage_client(server, project), "learner-dvc-bucket")
    assert said(caught.value) == (
        f"{LEARNER} does not have storage.buckets.create access to the Google Cloud project. "
        "Permission 'storage.buckets.create' denied on resource (or it may not exist)."
    )
    assert "learner-dvc-bucket" not in world.read()["buckets"]


def test_a_project_still_being_created_is_not_there_yet(server, world):
    with world.mutate() as data:
        data["projects"][PROJECT]["ready_at"] = time.time() + 3600
    with pytest.raises(gexc.Forbidden):
        new_bucket(storage_client(server), "learner-dvc-bucket")


def test_create_without_billing_fails_like_google(server, world):
    with pytest.raises(gexc.Forbidden) as caught:
        new_bucket(storage_client(server, "no-billing-project"), "learner-dvc-bucket")
    assert said(caught.value) == "The billing account for the owning project is disabled in state absent"
    assert caught.value.errors[0]["reason"] == "accountDisabled"

    with pytest.raises(gexc.Forbidden) as caught:
        new_bucket(storage_client(server, "closed-billing-project"), "learner-dvc-bucket")
    assert said(caught.value) == "The billing account for the owning project is disabled in state closed"
    assert "learner-dvc-bucket" not in world.read()["buckets"]


def test_create_with_the_api_disabled_says_service_disabled(server, world):
    with pytest.raises(gexc.Forbidden) as caught:
        new_bucket(storage_client(server, "no-api-project"), "learner-dvc-bucket")
    err = caught.value
    assert err.reason == "SERVICE_DISABLED"  # from the ErrorInfo detail, as google.api_core reads it
    assert said(err).startswith(
        "Cloud Storage JSON API has not been used in project 100000000045 before or it is disabled."
    )
    assert err.errors[0]["reason"] == "accessNotConfigured"
    assert err.domain == "googleapis.com"

    with world.mutate() as data:  # enabling Cloud Storage (as the wizard does) fixes it
        data["projects"]["no-api-project"]["services"].append("storage.googleapis.com")
    new_bucket(storage_client(server, "no-api-project"), "learner-dvc-bucket")


def test_an_unknown_location_is_refused(client):
    with pytest.raises(gexc.BadRequest):
        new_bucket(client, "learner-dvc-bucket", location="europe-west66")


# -- bucket get / list / patch / delete --------------------------------------------------------
def test_someone_elses_bucket_is_forbidden_and_unknown_is_not_found(client):
    with pytest.raises(gexc.Forbidden) as caught:
        client.get_bucket(TAKEN_BUCKET, retry=None)
    assert said(caught.value) == (
        "learner@example.com does not have storage.buckets.get access to the Google Cloud Storage bucket. "
        "Permission 'storage.buckets.get' denied on resource (or it may not exist)."
    )
    with pytest.raises(gexc.Forbidden):
        client.bucket(TAKEN_BUCKET).delete(retry=None)
    with pytest.raises(gexc.Forbidden):
        bucket = client.bucket(TAKEN_BUCKET)
        bucket.labels = {"mine": "now"}
        bucket.patch(retry=None)
    with pytest.raises(gexc.NotFound) as caught:
        client.get_bucket("nobody-has-this-bucket", retry=None)
    assert said(caught.value) == "The specified bucket does not exist."
    assert client.lookup_bucket("nobody-has-this-bucket") is None


def test_list_buckets_shows_only_the_projects_buckets(server, world, client):
    new_bucket(client, "learner-dvc-bucket")
    new_bucket(client, "learner-other-bucket", location="us")
    with world.mutate() as data:  # a second learner project with a bucket of its own
        data["projects"]["second-project"] = {
            **data["projects"][PROJECT],
            "project_id": "second-project",
            "number": "100000000046",
        }
    new_bucket(storage_client(server, "second-project"), "learner-second-bucket")

    assert sorted(b.name for b in client.list_buckets()) == ["learner-dvc-bucket", "learner-other-bucket"]
    assert [b.name for b in storage_client(server, "second-project").list_buckets()] == ["learner-second-bucket"]
    listed = {b.name: b for b in client.list_buckets()}
    assert listed["learner-dvc-bucket"].location == "EUROPE-WEST6"
    with pytest.raises(gexc.Forbidden):
        list(storage_client(server, TAKEN_PROJECT).list_buckets())


def test_patch_keeps_the_new_settings(client, world):
    bucket = new_bucket(client, "learner-dvc-bucket", uniform=False, prevention=None)
    bucket.iam_configuration.public_access_prevention = "enforced"
    bucket.iam_configuration.uniform_bucket_level_access_enabled = True
    bucket.labels = {"course": "mlops"}
    bucket.patch(retry=None)

    fresh = client.get_bucket("learner-dvc-bucket")
    assert fresh.iam_configuration.public_access_prevention == "enforced"
    assert fresh.iam_configuration.uniform_bucket_level_access_enabled is True
    assert fresh.labels == {"course": "mlops"}
    assert fresh.location == "EUROPE-WEST6"
    record = world.read()["buckets"]["learner-dvc-bucket"]
    assert record["uniform_access"] is True and record["public_access_prevention"] == "enforced"


def test_delete_refuses_a_bucket_with_objects_then_deletes_an_empty_one(client, world):
    bucket = new_bucket(client, "learner-dvc-bucket")
    bucket.blob("dvcstore/files/md5/ab/cdef").upload_from_string(b"data")
    with pytest.raises(gexc.Conflict) as caught:
        bucket.delete(retry=None)
    assert said(caught.value) == "The bucket you tried to delete is not empty."
    bucket.blob("dvcstore/files/md5/ab/cdef").delete()
    bucket.delete(retry=None)
    assert "learner-dvc-bucket" not in world.read()["buckets"]
    with pytest.raises(gexc.NotFound):
        client.get_bucket("learner-dvc-bucket", retry=None)
    new_bucket(client, "learner-dvc-bucket")  # the name is free again


def test_billing_unlinked_later_makes_the_bucket_unusable(client, world):
    bucket = new_bucket(client, "learner-dvc-bucket")
    with world.mutate() as data:
        data["projects"][PROJECT]["billing_account"] = None
    with pytest.raises(gexc.Forbidden) as caught:
        bucket.blob("x").upload_from_string(b"x", retry=None)
    assert "disabled in state absent" in caught.value.message


# -- objects ----------------------------------------------------------------------------------
def test_objects_round_trip_in_the_learners_bucket(client, server):
    bucket = new_bucket(client, "learner-dvc-bucket")
    bucket.blob("dvcstore/files/md5/00/11").upload_from_string(b"hello")
    assert bucket.blob("dvcstore/files/md5/00/11").download_as_bytes() == b"hello"
    assert [b.name for b in client.list_blobs("learner-dvc-bucket", prefix="dvcstore/")] == ["dvcstore/files/md5/00/11"]
    with pytest.raises(gexc.NotFound) as caught:
        bucket.blob("missing").download_as_bytes()
    assert "No such object: learner-dvc-bucket/missing" in str(caught.value)
    assert object_names(server.data_dir, "learner-dvc-bucket") == ["dvcstore/files/md5/00/11"]


BINARY = {
    "crlf": b"a\r\nb\r\n",
    "ends-with-cr": b"P5 8 8 255\n\x00\x01\r\n\x07\r",
    "all-bytes": bytes(range(256)) * 3,
    "ends-with-blank-line": b"x\n\n",
    "empty": b"",
}


GCSFS_ROUND_TRIP = """
import json, sys
import gcsfs
fs = gcsfs.GCSFileSystem(endpoint_url=sys.argv[1])
for name, content in json.loads(sys.argv[2]).items():
    data = bytes.fromhex(content)
    fs.pipe(f"learner-dvc-bucket/gcsfs/{name}", data)
    assert fs.cat(f"learner-dvc-bucket/gcsfs/{name}") == data, name
print("round trips:", len(json.loads(sys.argv[2])))
"""


def test_binary_objects_keep_every_byte(client, server):
    """Both upload styles (google-resumable-media: CRLF multipart; gcsfs: LF multipart).

    gcsfs runs as DVC runs it: in its own process, with the learner's credentials and the
    sandbox's CA in its environment (aiohttp reads SSL_CERT_FILE once per process).
    """
    bucket = new_bucket(client, "learner-dvc-bucket")
    for name, content in BINARY.items():
        bucket.blob(f"client/{name}").upload_from_string(content)
        assert bucket.blob(f"client/{name}").download_as_bytes() == content, name
    payload = json.dumps({name: content.hex() for name, content in BINARY.items()})
    result = subprocess.run(
        [sys.executable, "-c", GCSFS_ROUND_TRIP, server.url, payload],
        env=dvc_env(server),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"round trips: {len(BINARY)}" in result.stdout
    for name, content in BINARY.items():
        assert bucket.blob(f"gcsfs/{name}").download_as_bytes() == content, name


def test_objects_in_someone_elses_bucket_are_forbidden(client):
    bucket = client.bucket(TAKEN_BUCKET)
    with pytest.raises(gexc.Forbidden) as caught:
        list(client.list_blobs(TAKEN_BUCKET))
    assert "storage.objects.list" in caught.value.message
    with pytest.raises(gexc.Forbidden) as caught:
        bucket.blob("stolen.txt").upload_from_string(b"x", retry=None)
    assert "storage.objects.create" in str(caught.value)
    with pytest.raises(gexc.Forbidden):
        bucket.blob("stolen.txt").download_as_bytes(retry=None)
    with pytest.raises(gexc.NotFound):
        list(client.list_blobs("nobody-has-this-bucket"))


def test_a_batch_touching_someone_elses_bucket_is_forbidden(client):
    mine = new_bucket(client, "learner-dvc-bucket")
    mine.blob("a").upload_from_string(b"a")
    mine.blob("b").upload_from_string(b"b")
    with client.batch():
        mine.blob("a").delete()
    assert [b.name for b in client.list_blobs("learner-dvc-bucket")] == ["b"]
    with pytest.raises(gexc.Forbidden), client.batch():
        mine.blob("b").delete()
        client.bucket(TAKEN_BUCKET).blob("theirs").delete()
    assert [b.name for b in client.list_blobs("learner-dvc-bucket")] == ["b"]


# -- counting and faults ----------------------------------------------------------------------
def test_every_request_is_counted(client, world):
    before = world.read()["calls"]["by_service"].get("storage", {"reads": 0, "writes": 0})
    bucket = new_bucket(client, "learner-dvc-bucket")  # 1 write
    client.get_bucket("learner-dvc-bucket")  # 1 read
    with pytest.raises(gexc.Forbidden):
        client.get_bucket(TAKEN_BUCKET, retry=None)  # refused requests count too
    bucket.blob("x").upload_from_string(b"x")  # 1 write
    after = world.read()["calls"]["by_service"]["storage"]
    assert after["writes"] - before["writes"] == 2
    assert after["reads"] - before["reads"] == 2


def test_an_injected_failure_answers_503_until_cleared(client, world):
    with world.mutate() as data:
        data["faults"]["fail"] = {"storage.buckets.insert": "UNAVAILABLE"}
    with pytest.raises(gexc.ServiceUnavailable):
        new_bucket(client, "learner-dvc-bucket")
    assert "learner-dvc-bucket" not in world.read()["buckets"]
    with world.mutate() as data:
        data["faults"]["fail"] = {}
    assert new_bucket(client, "learner-dvc-bucket").location == "EUROPE-WEST6"


# -- persistence ------------------------------------------------------------------------------
def test_objects_survive_a_restart(world, tmp_path):
    data_dir = tmp_path / "sandbox" / "storage"
    with start_storage(world, data_dir) as first:
        new_bucket(storage_client(first), "learner-dvc-bucket").blob("kept").upload_from_string(b"kept")
    with start_storage(world, data_dir) as second:
        bucket = storage_client(second).get_bucket("learner-dvc-bucket")
        assert bucket.location == "EUROPE-WEST6"
        assert bucket.blob("kept").download_as_bytes() == b"kept"


SERVE = """
import sys, time
from pathlib import Path
from wizard.sandbox.world import World
from wizard.sandbox.storage import start_storage
handle = start_storage(World(Path(sys.argv[1])), Path(sys.argv[2]))
print(handle.url, flush=True)
time.sleep(120)
"""


def test_objects_survive_sigkill(world, tmp_path):
    data_dir = tmp_path / "sandbox" / "storage"
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(world.root), str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        url = proc.stdout.readline().strip()
        client = storage_client(url, root=world.root)
        bucket = new_bucket(client, "learner-dvc-bucket")
        for i in range(5):
            bucket.blob(f"dvcstore/files/md5/0{i}/x").upload_from_string(f"{i}".encode())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(object_names(data_dir, "learner-dvc-bucket")) == 5
    json.loads((data_dir / ".cloudstorage" / ".meta").read_text())  # intact, not half-written
    with start_storage(world, data_dir) as again:
        blob = storage_client(again).bucket("learner-dvc-bucket").blob("dvcstore/files/md5/03/x")
        assert blob.download_as_bytes() == b"3"


def test_object_names_without_a_server(tmp_path):
    assert object_names(tmp_path / "nothing-here", "any-bucket") == []


# -- dvc --------------------------------------------------------------------------------------
def _dvc_repo(path: Path, env: dict[str, str], files: int = 12) -> None:
    path.mkdir()
    subprocess.run(["git", "init", "--quiet"], cwd=path, check=True)
    data = path / "data" / "raw"
    for i in range(files):
        folder = data / f"class{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"img{i}.bin").write_bytes(bytes([i]) * (100 + i) + b"\r\n\r")  # CR last, on purpose
    dvc(["init", "--quiet"], path, env)
    dvc(["add", "--quiet", "data/raw"], path, env)


def test_dvc_push_and_pull_through_the_sandbox(client, server, tmp_path):
    new_bucket(client, "learner-dvc-bucket")
    env = dvc_env(server)
    repo = tmp_path / "repo"
    _dvc_repo(repo, env)
    dvc(["remote", "add", "-d", "data", "gs://learner-dvc-bucket/dvcstore"], repo, env)
    pushed = dvc(["push"], repo, env)
    assert "13 files pushed" in pushed.stdout  # 12 files and the directory's manifest

    names = object_names(server.data_dir, "learner-dvc-bucket")
    assert len(names) == 13
    assert all(name.startswith("dvcstore/files/md5/") for name in names)
    assert [b.name for b in client.list_blobs("learner-dvc-bucket")] == names

    again = dvc(["push"], repo, env)  # nothing new to send
    assert "Everything is up to date" in again.stdout

    # A fresh clone of the data: drop the cache and the files, pull them back.
    import shutil

    shutil.rmtree(repo / ".dvc" / "cache")
    shutil.rmtree(repo / "data" / "raw")
    dvc(["pull"], repo, env)
    assert (repo / "data" / "raw" / "class1" / "img4.bin").read_bytes() == bytes([4]) * 104 + b"\r\n\r"
    assert "modified" not in dvc(["status"], repo, env).stdout  # every file hashes as before


def test_dvc_push_to_someone_elses_bucket_is_forbidden(server, tmp_path):
    env = dvc_env(server)
    repo = tmp_path / "repo"
    _dvc_repo(repo, env, files=2)
    dvc(["remote", "add", "-d", "data", f"gs://{TAKEN_BUCKET}/dvcstore"], repo, env)
    result = dvc(["push"], repo, env, check=False)
    assert result.returncode != 0
    assert "does not have storage.objects.list access" in result.stderr
