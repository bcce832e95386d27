"""Google's control-plane errors, built the way Google sends them.

Learners meet these errors in real life, and the wizard has to explain them, so the fake
must send the same gRPC code, the same message and the same rich-status details
(`google.rpc.ErrorInfo`, `QuotaFailure`, `PreconditionFailure`, ...). The official clients
turn them into `google.api_core.exceptions` whose `.reason`, `.domain` and `.details` the
wizard reads. Messages quoted from real responses are marked "Google's text"; the others
are close approximations and say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

# Google's text for the generic 403 of Resource Manager and Cloud Billing.
CALLER_HAS_NO_PERMISSION = "The caller does not have permission"
# Google's text for a generic FAILED_PRECONDITION (billing quota, key limit).
PRECONDITION_CHECK_FAILED = "Precondition check failed."


class ApiError(Exception):
    """An RPC failure to send back as a rich `google.rpc.Status`.

    Raised anywhere inside an RPC implementation (also inside `world.mutate()`, which then
    rolls the change back); the RPC plumbing turns it into `context.abort_with_status`.
    """

    def __init__(self, code: grpc.StatusCode, message: str, details: Iterable[Message] = ()) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.details = list(details)

    def to_status(self) -> status_pb2.Status:
        packed = []
        for detail in self.details:
            holder = any_pb2.Any()
            holder.Pack(detail)
            packed.append(holder)
        return status_pb2.Status(code=self.code.value[0], message=self.message, details=packed)


# -- detail builders -------------------------------------------------------------------
def error_info(reason: str, domain: str, metadata: Mapping[str, str] | None = None) -> error_details_pb2.ErrorInfo:
    return error_details_pb2.ErrorInfo(reason=reason, domain=domain, metadata=dict(metadata or {}))


def precondition_violation(type_: str, subject: str, description: str) -> error_details_pb2.PreconditionFailure:
    return error_details_pb2.PreconditionFailure(
        violations=[
            error_details_pb2.PreconditionFailure.Violation(type=type_, subject=subject, description=description)
        ]
    )


def bad_request(field: str, description: str) -> error_details_pb2.BadRequest:
    return error_details_pb2.BadRequest(
        field_violations=[error_details_pb2.BadRequest.FieldViolation(field=field, description=description)]
    )


# -- common errors ---------------------------------------------------------------------
def permission_denied(message: str = CALLER_HAS_NO_PERMISSION, details: Iterable[Message] = ()) -> ApiError:
    return ApiError(grpc.StatusCode.PERMISSION_DENIED, message, details)


def invalid_argument(message: str, field: str | None = None, description: str | None = None) -> ApiError:
    details = [bad_request(field, description or message)] if field else []
    return ApiError(grpc.StatusCode.INVALID_ARGUMENT, message, details)


def not_found(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.NOT_FOUND, message)


def already_exists(message: str = "Requested entity already exists", resource_name: str | None = None) -> ApiError:
    details = [error_details_pb2.ResourceInfo(resource_name=resource_name)] if resource_name else []
    return ApiError(grpc.StatusCode.ALREADY_EXISTS, message, details)


def failed_precondition(message: str = PRECONDITION_CHECK_FAILED, details: Iterable[Message] = ()) -> ApiError:
    return ApiError(grpc.StatusCode.FAILED_PRECONDITION, message, details)


def service_disabled(service: str, title: str, project_ref: str) -> ApiError:
    """Google's SERVICE_DISABLED: the API is not enabled in the consumer project.

    Google names the project the way the request named it (ID or number).
    """
    url = f"https://console.developers.google.com/apis/api/{service}/overview?project={project_ref}"
    message = (
        f"{title} has not been used in project {project_ref} before or it is disabled. "
        f"Enable it by visiting {url} then retry. If you enabled this API recently, wait a few "
        "minutes for the action to propagate to our systems and retry."
    )
    details: list[Message] = [
        error_info(
            "SERVICE_DISABLED",
            "googleapis.com",
            {
                "service": service,
                "consumer": f"projects/{project_ref}",
                "serviceTitle": title,
                "activationUrl": url,
            },
        ),
        error_details_pb2.LocalizedMessage(locale="en-US", message=message),
        error_details_pb2.Help(
            links=[error_details_pb2.Help.Link(description="Google developers console API activation", url=url)]
        ),
    ]
    return permission_denied(message, details)


def billing_quota_exceeded(account_id: str) -> ApiError:
    """Google's text when a billing account already pays for as many projects as it may."""
    return failed_precondition(
        PRECONDITION_CHECK_FAILED,
        [
            error_details_pb2.QuotaFailure(
                violations=[
                    error_details_pb2.QuotaFailure.Violation(
                        subject=f"billingAccounts/{account_id}",
                        description=(
                            "Cloud billing quota exceeded: "
                            "https://support.google.com/code/contact/billing_quota_increase"
                        ),
                    )
                ]
            )
        ],
    )


def billing_required(project_number: str, services: list[str]) -> ApiError:
    """Google's text when a service that costs money is enabled on a project without billing."""
    joined = ",".join(services)
    subject = f"?error_code=390001&project={project_number}" + "".join(f"&services={s}" for s in services)
    return failed_precondition(
        f"Billing account for project '{project_number}' is not found. Billing must be enabled for "
        f"activation of service(s) '{joined}' to proceed.",
        [
            precondition_violation("googleapis.com/billing-enabled", subject, ""),
            error_info(
                "UREQ_PROJECT_BILLING_NOT_FOUND",
                "serviceusage.googleapis.com/billing-enabled",
                {"project": project_number, "services": joined},
            ),
        ],
    )


def unknown_services(services: list[str]) -> ApiError:
    """Google's text for a service name that does not exist (or that one may not see)."""
    joined = ",".join(services)
    return permission_denied(
        f"Not found or permission denied for service(s): {joined}.",
        [
            precondition_violation("googleapis.com", f"?error_code=220002&services={quote(joined)}", ""),
            error_info(
                "SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED",
                "serviceusage.googleapis.com",
                {"services": joined},
            ),
        ],
    )


def iam_permission_denied(permission: str) -> ApiError:
    """IAM admin's 403 for a resource that is not the caller's or does not exist."""
    return permission_denied(
        f"Permission '{permission}' denied on resource (or it may not exist).",
        [error_info("IAM_PERMISSION_DENIED", "iam.googleapis.com", {"permission": permission})],
    )
