"""The project that pays for a call must be able to pay, for Cloud Storage and for reading operations too.

Seen through the official clients only, as a learner whose credentials carry a quota project
(`gcloud auth application-default set-quota-project`, or `with_quota_project`): google-auth then
sends `x-goog-user-project` on every call, and Google checks that project
(https://cloud.google.com/docs/quotas/quota-project, https://cloud.google.com/storage/docs/requester-pays).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from google.api_core import exceptions as gexc
from google.api_core.future.polling import DEFAULT_POLLING
from google.cloud import resourcemanager_v3

from tests.sandbox.google_helpers import official_clients
from wizard.sandbox.init import BILLING_ACCOUNT_ID
from wizard.sandbox.server import Sandbox

pytestmark = pytest.mark.timeout(120)
FAST = DEFAULT_POLLING.with_delay(initial=0.05, maximum=0.2)
DATA_PROJECT = "mlops-data-4242"  # holds the bucket
PAYER = "mlops-payer-4242"  # named to pay for the calls
STORAGE_APIS = ("storage.googleapis.com", "storage-api.googleapis.com", "storage-component.googleapis.com")


@pytest.fixture
def running(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sandbox / "ca.pem"))  # google-auth's refreshes trust the CA
    with Sandbox.start(sandbox) as started:
        yield started


def create_project(root: Path, project_id: str) -> str:
    """Created billed to the OAuth client's own project, as gcloud does before the project exists."""
    operation = official_clients(root)["projects"].create_project(
        project=resourcemanager_v3.Project(project_id=project_id)
    )
    return operation.result(polling=FAST).name.split("/")[1]


def set_services(root: Path, project_id: str, *, enable: tuple[str, ...] = (), disable: tuple[str, ...] = ()) -> None:
    services = official_clients(root)["services"]
    for service in disable:
        services.disable_service(request={"name": f"projects/{project_id}/services/{service}"}).result(polling=FAST)
    if enable:
        services.batch_enable_services(
            request={"parent": f"projects/{project_id}", "service_ids": list(enable)}
        ).result(polling=FAST)


def test_a_storage_call_billed_to_a_project_without_cloud_storage_is_refused_until_it_is_enabled(
    running: Sandbox,
) -> None:
    root = running.root
    create_project(root, DATA_PROJECT)
    plain = official_clients(root)
    plain["billing"].update_project_billing_info(
        name=f"projects/{DATA_PROJECT}",
        project_billing_info={"billing_account_name": f"billingAccounts/{BILLING_ACCOUNT_ID}"},
    )
    bucket = plain["storage"].create_bucket(f"{DATA_PROJECT}-store", project=DATA_PROJECT)
    bucket.blob("dvcstore/files/md5/ab/cdef").upload_from_string(b"tracked data")

    payer_number = create_project(root, PAYER)
    set_services(root, PAYER, disable=STORAGE_APIS)  # Cloud Storage is a default service: turn it off
    billed = official_clients(root, quota_project=PAYER)["storage"].bucket(bucket.name)

    with pytest.raises(gexc.Forbidden) as read:
        billed.get_blob("dvcstore/files/md5/ab/cdef", retry=None)
    assert read.value.reason == "SERVICE_DISABLED"
    assert f"Cloud Storage JSON API has not been used in project {payer_number}" in read.value.message
    with pytest.raises(gexc.Forbidden):  # the media download path too (its client keeps no reason)
        billed.blob("dvcstore/files/md5/ab/cdef").download_as_bytes(retry=None)
    with pytest.raises(gexc.Forbidden) as upload:  # the upload path too (its client quotes the body)
        billed.blob("dvcstore/files/md5/12/3456").upload_from_string(b"new", retry=None)
    assert '"reason": "SERVICE_DISABLED"' in upload.value.message

    set_services(root, PAYER, enable=("storage.googleapis.com",))
    assert billed.blob("dvcstore/files/md5/ab/cdef").download_as_bytes() == b"tracked data"
    billed.blob("dvcstore/files/md5/12/3456").upload_from_string(b"new")
    assert sorted(b.name for b in billed.list_blobs(prefix="dvcstore/")) == [
        "dvcstore/files/md5/12/3456",
        "dvcstore/files/md5/ab/cdef",
    ]


def test_a_storage_call_billed_to_someone_elses_or_an_unknown_project_is_refused(running: Sandbox) -> None:
    root = running.root
    create_project(root, DATA_PROJECT)
    plain = official_clients(root)
    plain["billing"].update_project_billing_info(
        name=f"projects/{DATA_PROJECT}",
        project_billing_info={"billing_account_name": f"billingAccounts/{BILLING_ACCOUNT_ID}"},
    )
    name = plain["storage"].create_bucket(f"{DATA_PROJECT}-store", project=DATA_PROJECT).name

    someone_elses = official_clients(root, quota_project="mlops-project")["storage"]
    with pytest.raises(gexc.Forbidden) as denied:
        someone_elses.bucket(name).reload(retry=None)
    assert denied.value.reason == "USER_PROJECT_DENIED"
    assert "does not have serviceusage.services.use access to the Google Cloud project" in denied.value.message

    # The `userProject` parameter (Requester Pays) names the paying project the same way.
    with pytest.raises(gexc.BadRequest, match="User project specified in the request is invalid"):
        plain["storage"].bucket(name, user_project="no-such-project-4242").reload(retry=None)
    plain["storage"].bucket(name, user_project=DATA_PROJECT).reload()


def test_reading_an_operation_is_billed_like_a_call_to_the_api_that_started_it(running: Sandbox) -> None:
    root = running.root
    create_project(root, PAYER)  # Cloud Resource Manager is not a default service
    started = official_clients(root)["projects"].create_project(
        project=resourcemanager_v3.Project(project_id=DATA_PROJECT)
    )
    name = started.operation.name

    billed = official_clients(root, quota_project=PAYER)["projects"]
    with pytest.raises(gexc.PermissionDenied) as refused:
        billed.get_operation(request={"name": name}, retry=None)
    assert refused.value.reason == "SERVICE_DISABLED"
    assert f"Cloud Resource Manager API has not been used in project {PAYER}" in refused.value.message

    with pytest.raises(gexc.PermissionDenied) as not_yours:
        official_clients(root, quota_project="mlops-project")["projects"].get_operation(
            request={"name": name}, retry=None
        )
    assert not_yours.value.reason == "USER_PROJECT_DENIED"

    set_services(root, PAYER, enable=("cloudresourcemanager.googleapis.com",))
    read = billed.get_operation(request={"name": name})
    assert read.name == name

    # An operation of Service Usage is read through Service Usage, a default service of the payer.
    enabling = official_clients(root, quota_project=PAYER)["services"].enable_service(
        request={"name": f"projects/{PAYER}/services/iam.googleapis.com"}
    )
    assert enabling.result(polling=FAST).service.state.name == "ENABLED"
