"""The fake Google control plane, driven over the wire by the official clients.

Each test arranges a small world (a learner billing account, a project someone else
owns), starts the gRPC fake on a free loopback port and talks to it with the same
google-cloud-* clients the wizard uses. The errors are checked the way the wizard will
read them: exception class, message, `.reason` and rich-status details.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from google.api_core import exceptions as gexc
from google.api_core.future.polling import DEFAULT_POLLING
from google.cloud import billing_v1, iam_admin_v1, resourcemanager_v3, service_usage_v1
from google.cloud.billing_v1.services.cloud_billing.transports import CloudBillingGrpcTransport
from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport
from google.cloud.resourcemanager_v3.services.projects.transports import ProjectsGrpcTransport
from google.cloud.service_usage_v1.services.service_usage.transports import ServiceUsageGrpcTransport
from google.iam.v1 import iam_policy_pb2, policy_pb2
from google.rpc import error_details_pb2

from tests.sandbox.google_helpers import sandbox_channel
from wizard.sandbox.control_plane import start_control_plane
from wizard.sandbox.world import LEARNER, SOMEONE_ELSE, World

pytestmark = pytest.mark.timeout(30)

FAST = DEFAULT_POLLING.with_delay(initial=0.01, maximum=0.05)
ACCOUNT = "012345-6789AB-CDEF01"
OTHER_ACCOUNT = "0A0A0A-0B0B0B-0C0C0C"
CLOSED_ACCOUNT = "0D0D0D-0E0E0E-0F0F0F"
TAKEN = "taken-project"
KeyType = iam_admin_v1.ListServiceAccountKeysRequest.KeyType


# -- arranging the world ---------------------------------------------------------------
def seed(world: World) -> None:
    with world.mutate() as data:
        data["faults"].update(operation_seconds=0.05, service_account_visibility_seconds=0.2)
        data["billing_accounts"] = {
            ACCOUNT: {
                "display_name": "My Billing Account",
                "open": True,
                "owner": LEARNER,
                "project_quota": 3,
            },
            CLOSED_ACCOUNT: {
                "display_name": "Old trial",
                "open": False,
                "owner": LEARNER,
                "project_quota": 3,
            },
            OTHER_ACCOUNT: {
                "display_name": "Not yours",
                "open": True,
                "owner": SOMEONE_ELSE,
                "project_quota": 3,
            },
        }
        data["projects"][TAKEN] = project_record(data, TAKEN, owner=SOMEONE_ELSE)


def project_record(data: dict[str, Any], project_id: str, owner: str = LEARNER, **extra: Any) -> dict[str, Any]:
    number = str(data["next_number"])
    data["next_number"] += 1
    record = {
        "project_id": project_id,
        "number": number,
        "owner": owner,
        "display_name": project_id,
        "state": "ACTIVE",
        "create_time": "2025-01-01T00:00:00.000000Z",
        "ready_at": 0.0,
        "billing_account": None,
        "services": [],
        "service_accounts": {},
        "iam_policy": {
            "version": 3,
            "etag": "BwAAAAAAAAA=",
            "bindings": [{"role": "roles/owner", "members": [f"user:{owner}"]}],
        },
    }
    record.update(extra)
    return record


def add_project(world: World, project_id: str, **extra: Any) -> dict[str, Any]:
    """A ready project of the learner's, put straight into the world (tests not about creation)."""
    with world.mutate() as data:
        data["projects"][project_id] = project_record(data, project_id, **extra)
        return dict(data["projects"][project_id])


def set_faults(world: World, **faults: Any) -> None:
    with world.mutate() as data:
        data["faults"].update(faults)


def wait_until(check: Callable[[], Any], timeout: float = 3.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (gexc.NotFound, gexc.PermissionDenied):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


# -- the server and the clients ----------------------------------------------------------
@dataclass
class Cloud:
    world: World
    server: grpc.Server
    port: int
    channel: grpc.Channel
    projects: resourcemanager_v3.ProjectsClient
    billing: billing_v1.CloudBillingClient
    services: service_usage_v1.ServiceUsageClient
    iam: iam_admin_v1.IAMClient

    def close(self) -> None:
        self.channel.close()
        self.server.stop(grace=None).wait()


def connect(world: World) -> Cloud:
    server, port = start_control_plane(world)
    channel = sandbox_channel(world, port)
    return Cloud(
        world=world,
        server=server,
        port=port,
        channel=channel,
        projects=resourcemanager_v3.ProjectsClient(transport=ProjectsGrpcTransport(channel=channel)),
        billing=billing_v1.CloudBillingClient(transport=CloudBillingGrpcTransport(channel=channel)),
        services=service_usage_v1.ServiceUsageClient(transport=ServiceUsageGrpcTransport(channel=channel)),
        iam=iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=channel)),
    )


@pytest.fixture
def cloud(tmp_path) -> Iterator[Cloud]:
    world = World(tmp_path)
    seed(world)
    connected = connect(world)
    yield connected
    connected.close()


def detail(error: gexc.GoogleAPICallError, kind: type) -> Any:
    found = [d for d in error.details if isinstance(d, kind)]
    assert found, f"no {kind.__name__} in {error.details!r}"
    return found[0]


def link_billing(cloud: Cloud, project_id: str, account: str = ACCOUNT) -> billing_v1.ProjectBillingInfo:
    return cloud.billing.update_project_billing_info(
        name=f"projects/{project_id}",
        project_billing_info=billing_v1.ProjectBillingInfo(billing_account_name=f"billingAccounts/{account}"),
    )


# -- Resource Manager ------------------------------------------------------------------------
def test_create_project_waits_for_the_operation_then_reads_back(cloud: Cloud) -> None:
    set_faults(cloud.world, operation_seconds=0.3)
    op = cloud.projects.create_project(
        project=resourcemanager_v3.Project(project_id="mlops-learner-1", display_name="MLOps course")
    )
    assert not op.done()
    with pytest.raises(gexc.PermissionDenied, match="The caller does not have permission"):
        cloud.projects.get_project(name="projects/mlops-learner-1")  # not ready yet, like Google

    project = op.result(polling=FAST)
    assert isinstance(project, resourcemanager_v3.Project)
    assert project.project_id == "mlops-learner-1"
    assert project.state == resourcemanager_v3.Project.State.ACTIVE
    assert project.name.startswith("projects/") and project.name.split("/")[1].isdigit()
    assert op.metadata.ready is True
    assert op.operation.name.startswith("operations/cp.")

    by_id = cloud.projects.get_project(name="projects/mlops-learner-1")
    by_number = cloud.projects.get_project(name=project.name)
    assert by_id == by_number and by_id.display_name == "MLOps course"

    found = list(cloud.projects.search_projects(query="id:mlops-learner-1"))
    assert [p.project_id for p in found] == ["mlops-learner-1"]
    assert [p.project_id for p in cloud.projects.search_projects(query="")] == ["mlops-learner-1"]  # not the taken one

    policy = cloud.projects.get_iam_policy(request={"resource": "projects/mlops-learner-1"})
    assert [(b.role, list(b.members)) for b in policy.bindings] == [("roles/owner", [f"user:{LEARNER}"])]


@pytest.mark.parametrize(
    "bad_id",
    [
        "short",
        "Upper-case",
        "1starts-with-digit",
        "ends-with-hyphen-",
        "has_underscore",
        "x" * 31,
        "my-google-project",
    ],
)
def test_project_ids_breaking_the_rules_are_invalid(cloud: Cloud, bad_id: str) -> None:
    with pytest.raises(gexc.InvalidArgument):
        cloud.projects.create_project(project=resourcemanager_v3.Project(project_id=bad_id))


def test_a_taken_project_id_is_a_conflict_even_when_deleted(cloud: Cloud) -> None:
    with pytest.raises(gexc.Conflict, match="Requested entity already exists"):
        cloud.projects.create_project(project=resourcemanager_v3.Project(project_id=TAKEN))

    add_project(cloud.world, "my-old-project")
    deleted = cloud.projects.delete_project(name="projects/my-old-project").result(polling=FAST)
    assert deleted.state == resourcemanager_v3.Project.State.DELETE_REQUESTED
    with pytest.raises(gexc.AlreadyExists):
        cloud.projects.create_project(project=resourcemanager_v3.Project(project_id="my-old-project"))
    restored = cloud.projects.undelete_project(name="projects/my-old-project").result(polling=FAST)
    assert restored.state == resourcemanager_v3.Project.State.ACTIVE


def test_someone_elses_project_is_forbidden_everywhere(cloud: Cloud) -> None:
    number = cloud.world.read()["projects"][TAKEN]["number"]
    for name in (f"projects/{TAKEN}", f"projects/{number}", "projects/does-not-exist"):
        with pytest.raises(gexc.PermissionDenied, match="The caller does not have permission"):
            cloud.projects.get_project(name=name)
    with pytest.raises(gexc.PermissionDenied):
        cloud.projects.get_iam_policy(request={"resource": f"projects/{TAKEN}"})
    with pytest.raises(gexc.PermissionDenied):
        cloud.billing.get_project_billing_info(name=f"projects/{TAKEN}")
    with pytest.raises(gexc.PermissionDenied):
        cloud.services.get_service(request={"name": f"projects/{TAKEN}/services/storage.googleapis.com"})
    with pytest.raises(gexc.PermissionDenied) as caught:
        cloud.iam.list_service_accounts(name=f"projects/{TAKEN}")
    assert caught.value.reason == "IAM_PERMISSION_DENIED"
    assert list(cloud.projects.search_projects(query=f"id:{TAKEN}")) == []


# -- Cloud Billing -----------------------------------------------------------------------------
def test_billing_link_unlink_and_accounts(cloud: Cloud) -> None:
    add_project(cloud.world, "mlops-billing")
    accounts = {a.name: a.open_ for a in cloud.billing.list_billing_accounts()}
    assert accounts == {f"billingAccounts/{ACCOUNT}": True, f"billingAccounts/{CLOSED_ACCOUNT}": False}

    before = cloud.billing.get_project_billing_info(name="projects/mlops-billing")
    assert not before.billing_enabled and before.billing_account_name == ""
    info = link_billing(cloud, "mlops-billing")
    assert info.billing_enabled and info.billing_account_name == f"billingAccounts/{ACCOUNT}"
    assert cloud.world.read()["projects"]["mlops-billing"]["billing_account"] == ACCOUNT
    unlinked = cloud.billing.update_project_billing_info(
        name="projects/mlops-billing",
        project_billing_info=billing_v1.ProjectBillingInfo(billing_account_name=""),
    )
    assert not unlinked.billing_enabled

    with pytest.raises(gexc.PermissionDenied):
        link_billing(cloud, "mlops-billing", OTHER_ACCOUNT)
    with pytest.raises(gexc.PermissionDenied):
        cloud.billing.get_billing_account(name=f"billingAccounts/{OTHER_ACCOUNT}")
    with pytest.raises(gexc.FailedPrecondition):
        link_billing(cloud, "mlops-billing", CLOSED_ACCOUNT)


def test_billing_quota_exceeded_like_google(cloud: Cloud) -> None:
    with cloud.world.mutate() as data:
        data["billing_accounts"][ACCOUNT]["project_quota"] = 1
    add_project(cloud.world, "first-project")
    add_project(cloud.world, "second-project")
    link_billing(cloud, "first-project")
    link_billing(cloud, "first-project")  # linking again is a no-op, not a quota error

    with pytest.raises(gexc.FailedPrecondition, match="Precondition check failed.") as caught:
        link_billing(cloud, "second-project")
    violation = detail(caught.value, error_details_pb2.QuotaFailure).violations[0]
    assert (
        violation.description
        == "Cloud billing quota exceeded: https://support.google.com/code/contact/billing_quota_increase"
    )
    assert violation.subject == f"billingAccounts/{ACCOUNT}"

    with cloud.world.mutate() as data:
        data["billing_accounts"][ACCOUNT]["project_quota"] = 10
    set_faults(cloud.world, billing_quota_exceeded=True)
    with pytest.raises(gexc.FailedPrecondition):
        link_billing(cloud, "second-project")
    assert cloud.world.read()["projects"]["second-project"]["billing_account"] is None


# -- Service Usage -----------------------------------------------------------------------------
def test_enable_services_with_and_without_billing(cloud: Cloud) -> None:
    add_project(cloud.world, "mlops-services")
    parent = "projects/mlops-services"
    op = cloud.services.batch_enable_services(
        request={"parent": parent, "service_ids": ["storage.googleapis.com", "iam.googleapis.com"]}
    )
    response = op.result(polling=FAST)
    assert isinstance(response, service_usage_v1.BatchEnableServicesResponse)
    assert {s.config.name for s in response.services} == {"storage.googleapis.com", "iam.googleapis.com"}
    assert all(s.state == service_usage_v1.State.ENABLED for s in response.services)

    with pytest.raises(gexc.FailedPrecondition, match="Billing must be enabled") as caught:
        cloud.services.enable_service(request={"name": f"{parent}/services/container.googleapis.com"})
    assert caught.value.reason == "UREQ_PROJECT_BILLING_NOT_FOUND"

    with pytest.raises(gexc.PermissionDenied, match="Not found or permission denied") as caught:
        cloud.services.enable_service(request={"name": f"{parent}/services/no-such-api.googleapis.com"})
    assert caught.value.reason == "SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED"

    link_billing(cloud, "mlops-services")
    enabled = cloud.services.enable_service(request={"name": f"{parent}/services/container.googleapis.com"}).result(
        polling=FAST
    )
    assert isinstance(enabled, service_usage_v1.EnableServiceResponse)
    number = cloud.world.read()["projects"]["mlops-services"]["number"]
    assert enabled.service.name == f"projects/{number}/services/container.googleapis.com"

    again = cloud.services.enable_service(request={"name": f"{parent}/services/container.googleapis.com"})
    assert again.done() and again.operation.name == "operations/noop.DONE_OPERATION"

    listed = [
        s.config.name for s in cloud.services.list_services(request={"parent": parent, "filter": "state:ENABLED"})
    ]
    assert listed == ["container.googleapis.com", "iam.googleapis.com", "storage.googleapis.com"]
    got = cloud.services.batch_get_services(
        request={
            "parent": parent,
            "names": [f"{parent}/services/compute.googleapis.com", f"{parent}/services/iam.googleapis.com"],
        }
    )
    assert [s.state for s in got.services] == [
        service_usage_v1.State.DISABLED,
        service_usage_v1.State.ENABLED,
    ]

    disabled = cloud.services.disable_service(request={"name": f"{parent}/services/container.googleapis.com"}).result(
        polling=FAST
    )
    assert disabled.service.state == service_usage_v1.State.DISABLED
    assert (
        cloud.services.get_service(request={"name": f"{parent}/services/container.googleapis.com"}).state
        == service_usage_v1.State.DISABLED
    )


# -- IAM admin ---------------------------------------------------------------------------------
def test_iam_admin_needs_the_iam_api_enabled(cloud: Cloud) -> None:
    project = add_project(cloud.world, "mlops-no-iam")
    with pytest.raises(gexc.PermissionDenied) as caught:
        cloud.iam.create_service_account(name="projects/mlops-no-iam", account_id="dvc-storage")
    error = caught.value
    assert error.reason == "SERVICE_DISABLED"
    assert error.domain == "googleapis.com"
    assert error.metadata["service"] == "iam.googleapis.com"
    assert error.metadata["consumer"] == "projects/mlops-no-iam"
    assert (
        "Identity and Access Management (IAM) API has not been used in project mlops-no-iam "
        "before or it is disabled" in error.message
    )

    with pytest.raises(gexc.PermissionDenied) as caught:
        cloud.iam.list_service_accounts(name=f"projects/{project['number']}")
    assert caught.value.reason == "SERVICE_DISABLED"
    assert f"in project {project['number']} before" in caught.value.message


def test_new_service_account_is_invisible_for_a_while(cloud: Cloud) -> None:
    add_project(cloud.world, "mlops-sa", services=["iam.googleapis.com"])
    with pytest.raises(gexc.InvalidArgument):
        cloud.iam.create_service_account(name="projects/mlops-sa", account_id="abc")  # too short
    created = cloud.iam.create_service_account(
        name="projects/mlops-sa",
        account_id="dvc-storage",
        service_account=iam_admin_v1.ServiceAccount(display_name="DVC storage"),
    )
    email = "dvc-storage@mlops-sa.iam.gserviceaccount.com"
    assert created.email == email and created.unique_id and created.project_id == "mlops-sa"
    name = f"projects/mlops-sa/serviceAccounts/{email}"

    with pytest.raises(gexc.NotFound):
        cloud.iam.get_service_account(name=name)
    assert list(cloud.iam.list_service_accounts(name="projects/mlops-sa")) == []
    policy = cloud.projects.get_iam_policy(request={"resource": "projects/mlops-sa"})
    policy.bindings.add(role="roles/storage.objectAdmin", members=[f"serviceAccount:{email}"])
    with pytest.raises(gexc.InvalidArgument, match="does not exist"):
        cloud.projects.set_iam_policy(request={"resource": "projects/mlops-sa", "policy": policy})
    with pytest.raises(gexc.Conflict, match="already exists within project projects/mlops-sa"):
        cloud.iam.create_service_account(name="projects/mlops-sa", account_id="dvc-storage")

    seen = wait_until(lambda: cloud.iam.get_service_account(name=f"projects/-/serviceAccounts/{email}"))
    assert seen.unique_id == created.unique_id and seen.display_name == "DVC storage"
    assert [a.email for a in cloud.iam.list_service_accounts(name="projects/mlops-sa")] == [email]
    updated = cloud.projects.set_iam_policy(request={"resource": "projects/mlops-sa", "policy": policy})
    assert any(f"serviceAccount:{email}" in b.members for b in updated.bindings)

    cloud.iam.delete_service_account(name=name)
    with pytest.raises(gexc.NotFound):
        cloud.iam.get_service_account(name=name)
    after = cloud.projects.get_iam_policy(request={"resource": "projects/mlops-sa"})
    members = [m for b in after.bindings for m in b.members]
    assert f"deleted:serviceAccount:{email}?uid={created.unique_id}" in members


def _ready_account(cloud: Cloud, project_id: str = "mlops-keys") -> str:
    add_project(cloud.world, project_id, services=["iam.googleapis.com"])
    set_faults(cloud.world, service_account_visibility_seconds=0)
    return cloud.iam.create_service_account(name=f"projects/{project_id}", account_id="ci-deployer").name


def test_key_creation_returns_a_google_style_key_file(cloud: Cloud) -> None:
    from google.oauth2 import service_account

    account = _ready_account(cloud)
    key = cloud.iam.create_service_account_key(name=account)
    document = json.loads(key.private_key_data)
    key_id = key.name.rsplit("/", 1)[-1]
    email = "ci-deployer@mlops-keys.iam.gserviceaccount.com"
    assert list(document) == [
        "type",
        "project_id",
        "private_key_id",
        "private_key",
        "client_email",
        "client_id",
        "auth_uri",
        "token_uri",
        "auth_provider_x509_cert_url",
        "client_x509_cert_url",
        "universe_domain",
    ]
    assert document["type"] == "service_account" and document["project_id"] == "mlops-keys"
    assert document["private_key_id"] == key_id and len(key_id) == 40
    assert document["client_email"] == email
    assert document["client_x509_cert_url"].endswith("ci-deployer%40mlops-keys.iam.gserviceaccount.com")
    assert serialization.load_pem_private_key(document["private_key"].encode(), password=None).key_size == 2048
    assert service_account.Credentials.from_service_account_info(document).service_account_email == email
    assert key.key_type == KeyType.USER_MANAGED

    world_text = (cloud.world.path).read_text()
    assert "PRIVATE KEY" not in world_text and document["private_key"][40:80] not in world_text

    user_keys = cloud.iam.list_service_account_keys(name=account, key_types=[KeyType.USER_MANAGED]).keys
    assert [k.name for k in user_keys] == [key.name] and not user_keys[0].private_key_data
    all_keys = cloud.iam.list_service_account_keys(name=account).keys
    assert sorted(k.key_type for k in all_keys) == [KeyType.USER_MANAGED, KeyType.SYSTEM_MANAGED]
    assert cloud.iam.get_service_account_key(name=key.name).valid_after_time == key.valid_after_time

    cloud.iam.delete_service_account_key(name=key.name)
    with pytest.raises(gexc.NotFound):
        cloud.iam.get_service_account_key(name=key.name)


def test_key_limits_and_org_policy(cloud: Cloud) -> None:
    account = _ready_account(cloud)
    set_faults(cloud.world, disable_key_creation=True)
    with pytest.raises(gexc.FailedPrecondition, match="Key creation is not allowed on this service account.") as caught:
        cloud.iam.create_service_account_key(name=account)
    violation = detail(caught.value, error_details_pb2.PreconditionFailure).violations[0]
    assert violation.type == "constraints/iam.disableServiceAccountKeyCreation"
    assert violation.subject.startswith(account + "?configvalue=")

    set_faults(cloud.world, disable_key_creation=False)
    with cloud.world.mutate() as data:
        keys = data["projects"]["mlops-keys"]["service_accounts"]["ci-deployer@mlops-keys.iam.gserviceaccount.com"][
            "keys"
        ]
        for n in range(10):
            keys[f"{n:040x}"] = {
                "create_time": "2025-01-01T00:00:00.000000Z",
                "valid_after": "2025-01-01T00:00:00.000000Z",
                "valid_before": "9999-12-31T23:59:59.000000Z",
                "public_key_fingerprint": "00",
            }
    with pytest.raises(gexc.FailedPrecondition, match="Precondition check failed."):
        cloud.iam.create_service_account_key(name=account)


# -- IAM policy etags ------------------------------------------------------------------------
def test_stale_policy_etag_is_aborted(cloud: Cloud) -> None:
    add_project(cloud.world, "mlops-policy")
    resource = "projects/mlops-policy"
    read = cloud.projects.get_iam_policy(
        request=iam_policy_pb2.GetIamPolicyRequest(resource=resource, options={"requested_policy_version": 3})
    )
    assert read.etag
    first = policy_pb2.Policy()
    first.CopyFrom(read)
    first.bindings.add(role="roles/viewer", members=["user:friend@example.com"])
    written = cloud.projects.set_iam_policy(request={"resource": resource, "policy": first})
    assert written.etag != read.etag

    stale = policy_pb2.Policy()
    stale.CopyFrom(read)
    stale.bindings.add(role="roles/editor", members=["user:other@example.com"])
    with pytest.raises(gexc.Aborted, match="There were concurrent policy changes"):
        cloud.projects.set_iam_policy(request={"resource": resource, "policy": stale})
    roles = {b.role for b in cloud.projects.get_iam_policy(request={"resource": resource}).bindings}
    assert roles == {"roles/owner", "roles/viewer"}

    conditional = cloud.projects.get_iam_policy(request={"resource": resource})
    conditional.version = 3
    conditional.bindings.add(
        role="roles/storage.admin",
        members=["user:friend@example.com"],
        condition={"title": "until 2030", "expression": 'request.time < timestamp("2030-01-01T00:00:00Z")'},
    )
    cloud.projects.set_iam_policy(request={"resource": resource, "policy": conditional})
    v3 = cloud.projects.get_iam_policy(request={"resource": resource, "options": {"requested_policy_version": 3}})
    assert v3.version == 3 and any(b.condition.title == "until 2030" for b in v3.bindings)
    v1 = cloud.projects.get_iam_policy(request={"resource": resource})
    assert v1.version == 1 and any("_withcond_" in b.role for b in v1.bindings)


# -- counters, restarts, injected failures ---------------------------------------------------
def test_every_rpc_counts_once(cloud: Cloud) -> None:
    add_project(cloud.world, "mlops-count")
    before = cloud.world.read()["calls"]
    cloud.projects.get_project(name="projects/mlops-count")
    cloud.billing.get_project_billing_info(name="projects/mlops-count")
    link_billing(cloud, "mlops-count")
    with pytest.raises(gexc.PermissionDenied):
        cloud.projects.get_project(name=f"projects/{TAKEN}")  # a refused call still counts
    op = cloud.services.enable_service(request={"name": "projects/mlops-count/services/storage.googleapis.com"})
    op.result(polling=FAST)
    after = cloud.world.read()["calls"]

    def delta(service: str, kind: str) -> int:
        return after["by_service"].get(service, {}).get(kind, 0) - before["by_service"].get(service, {}).get(kind, 0)

    assert (delta("resourcemanager", "reads"), delta("resourcemanager", "writes")) == (2, 0)
    assert (delta("billing", "reads"), delta("billing", "writes")) == (1, 1)
    assert (delta("serviceusage", "reads"), delta("serviceusage", "writes")) == (0, 1)
    assert delta("operations", "reads") >= 1 and delta("operations", "writes") == 0
    assert after["writes"] - before["writes"] == 2
    assert after["reads"] - before["reads"] == 3 + delta("operations", "reads")


def test_a_restart_keeps_projects_and_running_operations(tmp_path) -> None:
    world = World(tmp_path)
    seed(world)
    set_faults(world, operation_seconds=0.4)
    first = connect(world)
    op = first.projects.create_project(project=resourcemanager_v3.Project(project_id="survives-restart"))
    add_project(world, "mlops-restart", services=["iam.googleapis.com"])
    set_faults(world, service_account_visibility_seconds=0)
    first.iam.create_service_account(name="projects/mlops-restart", account_id="dvc-storage")
    link_billing(first, "mlops-restart")
    op_name = op.operation.name
    assert not op.done()
    first.close()

    second = connect(World(tmp_path))
    try:
        operations = second.projects.transport.operations_client
        deadline = time.monotonic() + 3
        while not (raw := operations.get_operation(op_name)).done:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        project = resourcemanager_v3.Project.deserialize(raw.response.value)
        assert raw.response.type_url.endswith("google.cloud.resourcemanager.v3.Project")
        assert project.project_id == "survives-restart"
        assert second.projects.get_project(name="projects/survives-restart").name == project.name
        assert second.billing.get_project_billing_info(name="projects/mlops-restart").billing_enabled
        emails = [a.email for a in second.iam.list_service_accounts(name="projects/mlops-restart")]
        assert emails == ["dvc-storage@mlops-restart.iam.gserviceaccount.com"]
    finally:
        second.close()


@pytest.mark.parametrize(
    "injected, expected",
    [
        ("UNAVAILABLE", gexc.ServiceUnavailable),
        ("503", gexc.ServiceUnavailable),
        ("INTERNAL", gexc.InternalServerError),
    ],
)
def test_injected_failures_use_the_requested_code(cloud: Cloud, injected: str, expected: type) -> None:
    add_project(cloud.world, "mlops-faults")
    set_faults(cloud.world, fail={"Projects.GetProject": injected})
    with pytest.raises(expected):
        cloud.projects.get_project(name="projects/mlops-faults", retry=None)
    set_faults(cloud.world, fail={})
    assert cloud.projects.get_project(name="projects/mlops-faults", retry=None).project_id == "mlops-faults"


def test_a_busy_port_is_refused_not_shared(cloud: Cloud, tmp_path) -> None:
    """grpcio would share a port through SO_REUSEPORT; two sandboxes must not."""
    with pytest.raises((RuntimeError, OSError)):
        start_control_plane(World(tmp_path / "other"), port=cloud.port)
