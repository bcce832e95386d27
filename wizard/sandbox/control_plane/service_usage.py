"""google.api.serviceusage.v1.ServiceUsage: enabling the APIs a project may call.

Two rules hurt learners and are enforced here: a service name Google does not know is
refused (PERMISSION_DENIED, "Not found or permission denied"), and services that cost
money cannot be enabled before the project is linked to an open billing account.
Enabling is recorded at once; the returned operation finishes after
`faults.operation_seconds`, like Google's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from google.cloud.service_usage_v1.types import resources
from google.cloud.service_usage_v1.types import serviceusage as su
from google.longrunning import operations_pb2

from wizard.sandbox.world import World

from . import clock
from .access import billing_enabled, learner_project
from .catalog import SERVICES
from .errors import billing_required, error_info, invalid_argument, permission_denied, unknown_services
from .operations import NOOP_OPERATION, done_operation, new_operation_name, record_operation
from .paging import page
from .rpc import Rpc, service_handler

_PARENT = re.compile(r"^projects/([^/]+)$")
_SERVICE_NAME = re.compile(r"^projects/([^/]+)/services/([^/]+)$")
MAX_BATCH_ENABLE = 20
MAX_BATCH_GET = 30


def _split_service_name(name: str, field: str = "name") -> tuple[str, str]:
    match = _SERVICE_NAME.match(name or "")
    if not match:
        raise invalid_argument(
            f"Invalid service name {name!r}; expected projects/{{project}}/services/{{service}}.", field
        )
    return match.group(1), match.group(2)


def _split_parent(parent: str) -> str:
    match = _PARENT.match(parent or "")
    if not match:
        raise invalid_argument(f"Invalid parent {parent!r}; expected projects/{{project}}.", "parent")
    return match.group(1)


def _denied(action: str, target: str, permission: str):
    """Service Usage's own 403 wording (approximation of Google's text and details)."""
    return permission_denied(
        f"Permission denied to {action} [{target}]",
        [error_info("AUTH_PERMISSION_DENIED", "serviceusage.googleapis.com", {"permission": permission})],
    )


def service_message(project: dict[str, Any], service: str, enabled: bool | None = None) -> resources.Service:
    """Google names services by project number, whatever the request used."""
    if enabled is None:
        enabled = service in project.get("services", [])
    number = project["number"]
    return resources.Service(
        name=f"projects/{number}/services/{service}",
        parent=f"projects/{number}",
        config=resources.ServiceConfig(name=service, title=SERVICES[service].title),
        state=resources.State.ENABLED if enabled else resources.State.DISABLED,
    )


class ServiceUsageService:
    def __init__(self, world: World) -> None:
        self.world = world

    def _check_known(self, services: Iterable[str]) -> None:
        unknown = [s for s in services if s not in SERVICES]
        if unknown:
            raise unknown_services(unknown)

    def _enable(self, ref: str, services: list[str], kind: str, response_for) -> operations_pb2.Operation:
        """Shared by EnableService and BatchEnableServices (all or nothing, like Google)."""
        now = clock.now()
        with self.world.mutate() as data:
            project = learner_project(
                data,
                ref,
                allow_deleted=False,
                denied=_denied("enable service", ",".join(services), "serviceusage.services.enable"),
            )
            self._check_known(services)
            if not billing_enabled(data, project):
                costly = [s for s in services if SERVICES[s].needs_billing]
                if costly:
                    raise billing_required(project["number"], costly)
            missing = [s for s in services if s not in project.get("services", [])]
            metadata = resources.OperationMetadata(
                resource_names=[f"projects/{project['number']}/services/{s}" for s in services]
            )
            if not missing:
                return done_operation(NOOP_OPERATION, response_for(project), metadata)
            project["services"] = sorted(set(project.get("services", [])) | set(missing))
            seconds = float(data["faults"].get("operation_seconds", 1.0))
            name = new_operation_name(kind, project["number"])
            return record_operation(data, name, kind, now + seconds, response_for(project), metadata)

    def enable_service(self, request: su.EnableServiceRequest) -> operations_pb2.Operation:
        ref, service = _split_service_name(request.name)
        return self._enable(
            ref,
            [service],
            "enable_service",
            lambda project: su.EnableServiceResponse(service=service_message(project, service, True)),
        )

    def batch_enable_services(self, request: su.BatchEnableServicesRequest) -> operations_pb2.Operation:
        ref = _split_parent(request.parent)
        services = list(dict.fromkeys(request.service_ids))
        if not services:
            raise invalid_argument("service_ids must name at least one service.", "service_ids")
        if len(services) > MAX_BATCH_ENABLE:
            raise invalid_argument(f"At most {MAX_BATCH_ENABLE} services can be enabled in one request.", "service_ids")
        return self._enable(
            ref,
            services,
            "enable_services",
            lambda project: su.BatchEnableServicesResponse(
                services=[service_message(project, s, True) for s in services]
            ),
        )

    def disable_service(self, request: su.DisableServiceRequest) -> operations_pb2.Operation:
        ref, service = _split_service_name(request.name)
        now = clock.now()
        with self.world.mutate() as data:
            project = learner_project(
                data,
                ref,
                allow_deleted=False,
                denied=_denied("disable service", service, "serviceusage.services.disable"),
            )
            self._check_known([service])
            metadata = resources.OperationMetadata(resource_names=[f"projects/{project['number']}/services/{service}"])
            if service not in project.get("services", []):
                response = su.DisableServiceResponse(service=service_message(project, service, False))
                return done_operation(NOOP_OPERATION, response, metadata)
            project["services"] = [s for s in project["services"] if s != service]
            response = su.DisableServiceResponse(service=service_message(project, service, False))
            seconds = float(data["faults"].get("operation_seconds", 1.0))
            name = new_operation_name("disable_service", project["number"])
            return record_operation(data, name, "disable_service", now + seconds, response, metadata)

    def get_service(self, request: su.GetServiceRequest) -> resources.Service:
        ref, service = _split_service_name(request.name)
        data = self.world.read()
        project = learner_project(data, ref, denied=_denied("get service", service, "serviceusage.services.get"))
        self._check_known([service])
        return service_message(project, service)

    def batch_get_services(self, request: su.BatchGetServicesRequest) -> su.BatchGetServicesResponse:
        ref = _split_parent(request.parent)
        if len(request.names) > MAX_BATCH_GET:
            raise invalid_argument(f"At most {MAX_BATCH_GET} services can be read in one request.", "names")
        wanted = []
        for name in request.names:
            name_ref, service = _split_service_name(name, "names")
            if name_ref != ref:
                raise invalid_argument(f"Service {name} is not under {request.parent}.", "names")
            wanted.append(service)
        data = self.world.read()
        project = learner_project(
            data, ref, denied=_denied("get services", ",".join(wanted), "serviceusage.services.get")
        )
        self._check_known(wanted)
        return su.BatchGetServicesResponse(services=[service_message(project, s) for s in wanted])

    def list_services(self, request: su.ListServicesRequest) -> su.ListServicesResponse:
        ref = _split_parent(request.parent)
        data = self.world.read()
        project = learner_project(
            data,
            ref,
            denied=_denied("list services for consumer container", f"projects/{ref}", "serviceusage.services.list"),
        )
        wanted = (request.filter or "").replace(" ", "").upper()
        enabled = set(project.get("services", []))
        if wanted == "STATE:ENABLED":
            names = sorted(enabled)
        elif wanted == "STATE:DISABLED":
            names = sorted(set(SERVICES) - enabled)
        elif not wanted:
            names = sorted(SERVICES)
        else:
            raise invalid_argument(f"Invalid filter {request.filter!r}; use state:ENABLED or state:DISABLED.", "filter")
        chunk, token = page(names, request.page_size, request.page_token, default_size=50, max_size=200)
        return su.ListServicesResponse(services=[service_message(project, s) for s in chunk], next_page_token=token)

    def handler(self):
        return service_handler(
            self.world,
            "google.api.serviceusage.v1.ServiceUsage",
            "serviceusage",
            [
                Rpc(
                    "EnableService",
                    su.EnableServiceRequest,
                    operations_pb2.Operation,
                    self.enable_service,
                    write=True,
                ),
                Rpc(
                    "BatchEnableServices",
                    su.BatchEnableServicesRequest,
                    operations_pb2.Operation,
                    self.batch_enable_services,
                    write=True,
                ),
                Rpc(
                    "DisableService",
                    su.DisableServiceRequest,
                    operations_pb2.Operation,
                    self.disable_service,
                    write=True,
                ),
                Rpc("GetService", su.GetServiceRequest, resources.Service, self.get_service, write=False),
                Rpc(
                    "BatchGetServices",
                    su.BatchGetServicesRequest,
                    su.BatchGetServicesResponse,
                    self.batch_get_services,
                    write=False,
                ),
                Rpc(
                    "ListServices",
                    su.ListServicesRequest,
                    su.ListServicesResponse,
                    self.list_services,
                    write=False,
                ),
            ],
        )
