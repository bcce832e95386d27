"""The sandbox authenticates and bills like Google, seen through the official clients only.

TLS with the sandbox's own CA, the learner's application default credentials refreshed at
the sandbox's token endpoint, bearer tokens checked by every fake, quota projects checked as
https://cloud.google.com/docs/quotas/quota-project says, and service-account keys exchanged
with the JWT-bearer grant.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
from google.api_core import exceptions as gexc
from google.api_core.future.polling import DEFAULT_POLLING
from google.auth import exceptions as auth_exc
from google.cloud import resourcemanager_v3

from tests.sandbox.google_helpers import anonymous_channel, official_clients
from wizard.sandbox.control_plane.catalog import DEFAULT_SERVICES
from wizard.sandbox.server import Sandbox
from wizard.sandbox.world import World

pytestmark = pytest.mark.timeout(120)
FAST = DEFAULT_POLLING.with_delay(initial=0.05, maximum=0.2)
PROJECT = "mlops-auth-4242"


@pytest.fixture
def running(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sandbox / "ca.pem"))  # google-auth's refreshes trust the CA
    with Sandbox.start(sandbox) as started:
        yield started


def set_fault(root: Path, **faults: object) -> None:
    with World(root).mutate() as data:
        data["faults"].update(faults)


def create_project(root: Path) -> str:
    clients = official_clients(root)  # no quota project yet: billed to the OAuth client's project
    operation = clients["projects"].create_project(project=resourcemanager_v3.Project(project_id=PROJECT))
    return operation.result(polling=FAST).name.split("/")[1]


def test_endpoints_json_names_what_a_client_needs(running: Sandbox) -> None:
    endpoints = json.loads((running.root / "endpoints.json").read_text())
    assert endpoints["grpc"].startswith("127.0.0.1:")
    assert endpoints["storage"].startswith("https://127.0.0.1:")
    assert endpoints["token_uri"] == endpoints["storage"] + "/token"
    adc = json.loads((running.root / "gcloud" / "application_default_credentials.json").read_text())
    assert adc["type"] == "authorized_user" and adc["refresh_token"] and adc["token_uri"] == endpoints["token_uri"]
    assert oct((running.root / "gcloud" / "application_default_credentials.json").stat().st_mode & 0o777) == "0o600"


def test_a_call_billed_to_a_project_without_the_api_is_refused_until_it_is_enabled(running: Sandbox) -> None:
    number = create_project(running.root)
    billed = official_clients(running.root, quota_project=PROJECT)

    # A new project has Google's default services, and Cloud Resource Manager is not one of them.
    with pytest.raises(gexc.PermissionDenied) as refused:
        billed["projects"].get_project(name=f"projects/{PROJECT}")
    assert refused.value.reason == "SERVICE_DISABLED"
    assert "Cloud Resource Manager API has not been used in project" in refused.value.message
    assert "serviceusage.googleapis.com" in DEFAULT_SERVICES

    # Service Usage is a default service: enabling the API can be billed to the project itself.
    operation = billed["services"].enable_service(
        request={"name": f"projects/{PROJECT}/services/cloudresourcemanager.googleapis.com"}
    )
    operation.result(polling=FAST)
    found = billed["projects"].get_project(name=f"projects/{PROJECT}")
    assert found.name == f"projects/{number}"

    with pytest.raises(gexc.PermissionDenied) as billing_off:
        billed["billing"].get_project_billing_info(name=f"projects/{PROJECT}")
    assert billing_off.value.reason == "SERVICE_DISABLED"


def test_a_quota_project_that_is_not_yours_is_denied(running: Sandbox) -> None:
    someone_elses = official_clients(running.root, quota_project="mlops-project")
    with pytest.raises(gexc.PermissionDenied) as denied:
        list(someone_elses["billing"].list_billing_accounts())
    assert denied.value.reason == "USER_PROJECT_DENIED"
    assert "Caller does not have required permission to use project mlops-project" in denied.value.message


def test_a_call_without_a_token_is_unauthenticated(running: Sandbox) -> None:
    from google.cloud import billing_v1
    from google.cloud.billing_v1.services.cloud_billing.transports import CloudBillingGrpcTransport

    channel = anonymous_channel(World(running.root), running.endpoints.grpc)
    client = billing_v1.CloudBillingClient(transport=CloudBillingGrpcTransport(channel=channel))
    with pytest.raises(gexc.Unauthenticated) as refused:
        list(client.list_billing_accounts())
    assert "Request is missing required authentication credential" in refused.value.message


@pytest.mark.parametrize(
    "state, said",
    [
        ("revoked", "invalid_grant: Token has been expired or revoked."),
        ("expired", "Reauthentication is needed. Please run `gcloud auth application-default login`"),
    ],
)
def test_a_revoked_or_expired_login_cannot_get_a_token(running: Sandbox, state: str, said: str) -> None:
    from google.auth.transport.requests import Request

    creds = official_clients(running.root)["credentials"]
    creds.refresh(Request())  # valid: a token
    assert creds.token
    set_fault(running.root, credentials=state)
    with pytest.raises(auth_exc.RefreshError, match=said.replace("(", r"\(").replace("`", ".")):
        creds.refresh(Request())
    # Through gRPC the refusal comes back as UNAVAILABLE from the metadata plugin: the wizard
    # must not take it for a network problem (see wizard.engine.auth_errors).
    with pytest.raises(gexc.ServiceUnavailable, match="Getting metadata from plugin failed with error") as wrapped:
        list(official_clients(running.root)["billing"].list_billing_accounts(retry=None))
    assert said[:20] in wrapped.value.message


def test_storage_enforces_the_service_accounts_roles(running: Sandbox) -> None:
    """objectViewer reads, objectAdmin writes; anything else is Google's 403."""
    from google.cloud import iam_admin_v1, storage
    from google.oauth2 import service_account

    root = running.root
    create_project(root)
    with World(root).mutate() as data:
        project = data["projects"][PROJECT]
        project["billing_account"] = "012345-6789AB-CDEF01"
        project["services"] = sorted(set(project["services"]) | {"iam.googleapis.com"})
        data["faults"]["service_account_visibility_seconds"] = 0
    learner = official_clients(root, quota_project=PROJECT)
    bucket = learner["storage"].create_bucket(f"{PROJECT}-data", project=PROJECT)
    bucket.blob("dvcstore/files/md5/00/11").upload_from_string(b"data")

    endpoints = json.loads((root / "endpoints.json").read_text())
    from functools import partial

    import grpc
    from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

    roots = grpc.ssl_channel_credentials((root / "ca.pem").read_bytes())
    iam = iam_admin_v1.IAMClient(
        credentials=learner["credentials"],
        client_options={"api_endpoint": endpoints["grpc"]},
        transport=partial(IAMGrpcTransport, ssl_channel_credentials=roots),
    )
    account = iam.create_service_account(name=f"projects/{PROJECT}", account_id="dvc-service-account")
    key = iam.create_service_account_key(name=account.name)
    info = json.loads(key.private_key_data)
    assert info["token_uri"] == endpoints["token_uri"]
    sa_creds = service_account.Credentials.from_service_account_info(
        info, scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    as_ci = storage.Client(project=PROJECT, credentials=sa_creds, client_options={"api_endpoint": endpoints["storage"]})

    with pytest.raises(gexc.Forbidden) as no_role:
        as_ci.bucket(bucket.name).get_blob("dvcstore/files/md5/00/11")
    assert no_role.value.message.endswith(
        f"{account.email} does not have storage.objects.get access to the Google Cloud Storage object. "
        "Permission 'storage.objects.get' denied on resource (or it may not exist)."
    )

    def grant(role: str) -> None:
        with World(root).mutate() as data:
            data["projects"][PROJECT]["iam_policy"]["bindings"].append(
                {"role": role, "members": [f"serviceAccount:{account.email}"]}
            )

    grant("roles/storage.objectViewer")
    assert as_ci.bucket(bucket.name).blob("dvcstore/files/md5/00/11").download_as_bytes() == b"data"
    with pytest.raises(gexc.Forbidden) as read_only:
        as_ci.bucket(bucket.name).blob("written-by-ci").upload_from_string(b"x", retry=None)
    assert "does not have storage.objects.create access" in read_only.value.message
    grant("roles/storage.objectAdmin")
    as_ci.bucket(bucket.name).blob("written-by-ci").upload_from_string(b"x", retry=None)

    # A deleted key can no longer be exchanged for a token (JWT-bearer grant).
    iam.delete_service_account_key(name=key.name)
    fresh = service_account.Credentials.from_service_account_info(
        info, scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    from google.auth.transport.requests import Request

    with pytest.raises(auth_exc.RefreshError, match="invalid_grant: Invalid JWT Signature"):
        fresh.refresh(Request())
