"""What every control-plane call passes first: who is calling, and which project pays.

- The bearer token must be valid (UNAUTHENTICATED otherwise, with Google's text:
  https://cloud.google.com/docs/authentication/troubleshoot-adc). The control plane serves
  the learner; a service account gets the generic PERMISSION_DENIED (strict: the CI
  accounts of the guide hold no control-plane roles).
- The quota project (`x-goog-user-project`,
  https://cloud.google.com/docs/quotas/quota-project) must be a project the caller may use
  services of (USER_PROJECT_DENIED otherwise) and where the API being called is enabled
  (SERVICE_DISABLED otherwise). Without the header, the call is billed to the OAuth client's
  own project, which has every API the wizard uses; that is what `gcloud` does before a
  project exists.
- Reading an operation (google.longrunning.Operations) is a call to the API that started it
  (Google serves it from that API's endpoint), billed and checked like any other call to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import grpc

from wizard.sandbox import auth
from wizard.sandbox.world import World

from .access import find_project, is_ready
from .catalog import SERVICES
from .errors import ApiError, error_info, permission_denied, service_disabled

# The API (service name) behind each gRPC service of the fake.
API_OF_SERVICE = {
    "google.cloud.resourcemanager.v3.Projects": "cloudresourcemanager.googleapis.com",
    "google.cloud.billing.v1.CloudBilling": "cloudbilling.googleapis.com",
    "google.api.serviceusage.v1.ServiceUsage": "serviceusage.googleapis.com",
    "google.iam.admin.v1.IAM": "iam.googleapis.com",
    "google.container.v1.ClusterManager": "container.googleapis.com",
    "google.devtools.artifactregistry.v1.ArtifactRegistry": "artifactregistry.googleapis.com",
    # google.longrunning.Operations: a call to the API that started the operation (see
    # `operations.operation_api`); the fake serves every operation from one endpoint.
}
OPERATIONS_SERVICE = "google.longrunning.Operations"
# Roles that carry serviceusage.services.use
# (https://cloud.google.com/service-usage/docs/access-control#permissions).
SERVICE_USERS = {
    "roles/owner",
    "roles/editor",
    "roles/serviceusage.serviceUsageConsumer",
    "roles/serviceusage.serviceUsageAdmin",
}
_SEE = "See https://developers.google.com/identity/sign-in/web/devconsole-project."
MISSING_CREDENTIAL = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    f"login cookie or other valid authentication credential. {_SEE}"
)
INVALID_CREDENTIAL = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, "
    f"login cookie or other valid authentication credential. {_SEE}"
)


def check_caller(
    world: World, full_service_name: str, metadata: Iterable[Any] | None, request: Any = None
) -> auth.Principal:
    """The caller, once its token and quota project pass; ApiError as Google answers otherwise."""
    headers = {str(k).lower(): str(v) for k, v in (metadata or ())}
    api = API_OF_SERVICE.get(full_service_name, "")
    if full_service_name == OPERATIONS_SERVICE:
        from .operations import operation_api

        api = operation_api(world.view(), str(getattr(request, "name", "") or ""))
    try:
        principal = auth.principal_of(world, headers.get("authorization"))
    except auth.AuthFailure as failure:
        reason = (
            "CREDENTIALS_MISSING"
            if failure.missing
            else ("ACCESS_TOKEN_EXPIRED" if "expired" in str(failure) else "ACCESS_TOKEN_TYPE_UNSUPPORTED")
        )
        text = MISSING_CREDENTIAL if failure.missing else INVALID_CREDENTIAL
        raise ApiError(
            grpc.StatusCode.UNAUTHENTICATED,
            text,
            [error_info(reason, "googleapis.com", {"service": api} if api else {})],
        ) from None
    data = world.view()  # read-only
    if principal.kind != "user" or principal.email != data.get("learner"):
        raise permission_denied()
    quota_project = headers.get("x-goog-user-project")
    if quota_project and api:
        check_quota_project(data, principal, quota_project, api)
    return principal


def check_quota_project(data: dict[str, Any], principal: auth.Principal, ref: str, api: str) -> None:
    project = find_project(data, ref)
    roles = set()
    if project is not None and is_ready(project) and project.get("state", "ACTIVE") == "ACTIVE":
        roles = {
            b.get("role")
            for b in project.get("iam_policy", {}).get("bindings", [])
            if principal.member in b.get("members", [])
        }
        if project.get("owner") == principal.email:
            roles.add("roles/owner")
    if not roles & SERVICE_USERS:
        raise user_project_denied(ref, api)
    if api not in project.get("services", []):  # type: ignore[union-attr]
        raise service_disabled(api, SERVICES[api].title if api in SERVICES else api, ref)


def user_project_denied(ref: str, api: str) -> ApiError:
    """Google's text when the quota project is not one the caller may bill."""
    message = (
        f"Caller does not have required permission to use project {ref}. Grant the caller the "
        "roles/serviceusage.serviceUsageConsumer role, or a custom role with the serviceusage.services.use "
        f"permission, by visiting https://console.developers.google.com/iam-admin/iam/admin?project={ref} and "
        "then retry. Propagation of the new permission may take a few minutes."
    )
    return permission_denied(
        message, [error_info("USER_PROJECT_DENIED", "googleapis.com", {"consumer": f"projects/{ref}", "service": api})]
    )
