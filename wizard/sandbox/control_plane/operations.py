"""Long-running operations, kept in the world so they finish even across restarts.

An operation is stored as Google would print it in JSON: `response` and `metadata` are
`Any` messages written with their "@type". GetOperation rebuilds them, so a finished
Operation's response carries its real type (the clients refuse an untyped one), and a
sandbox restarted between CreateProject and GetOperation still answers correctly.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import proto
from google.longrunning import operations_pb2
from google.protobuf import any_pb2, json_format
from google.protobuf.message import Message

from wizard.sandbox.world import World

from . import clock
from .errors import not_found
from .rpc import Rpc, service_handler

# Service Usage answers an enable of an already enabled service with this finished operation.
NOOP_OPERATION = "operations/noop.DONE_OPERATION"

# The API that started an operation of each kind. Google serves an operation from that API's
# own endpoint (e.g. GET https://serviceusage.googleapis.com/v1/{name=operations/*}), so reading
# it is a call to that API and is billed to the quota project like any other call to it
# (https://cloud.google.com/docs/quotas/quota-project).
API_OF_KIND = {
    "create_project": "cloudresourcemanager.googleapis.com",
    "delete_project": "cloudresourcemanager.googleapis.com",
    "undelete_project": "cloudresourcemanager.googleapis.com",
    "enable_service": "serviceusage.googleapis.com",
    "enable_services": "serviceusage.googleapis.com",
    "disable_service": "serviceusage.googleapis.com",
    "delete_repository": "artifactregistry.googleapis.com",
}
# For a name the world does not hold: the prefixes each API gives its operations' names.
_API_OF_PREFIX = (
    ("operations/cp.", "cloudresourcemanager.googleapis.com"),
    ("operations/dp.", "cloudresourcemanager.googleapis.com"),
    ("operations/up.", "cloudresourcemanager.googleapis.com"),
    ("operations/acat.", "serviceusage.googleapis.com"),
    ("operations/noop.", "serviceusage.googleapis.com"),
)


def operation_api(data: dict[str, Any], name: str) -> str:
    """The API (service name) a GetOperation for `name` is a call to; "" when nothing tells."""
    record = data.get("operations", {}).get(name)
    if record is not None:
        return API_OF_KIND.get(str(record.get("kind", "")), "")
    return next((api for prefix, api in _API_OF_PREFIX if name.startswith(prefix)), "")


def _pb(message: Message | proto.Message) -> Message:
    return type(message).pb(message) if isinstance(message, proto.Message) else message


def to_json_any(message: Message | proto.Message) -> dict[str, Any]:
    """{"@type": ..., fields...}: how the world stores an operation's response or metadata."""
    holder = any_pb2.Any()
    holder.Pack(_pb(message))
    return json_format.MessageToDict(holder)


def from_json_any(data: dict[str, Any]) -> any_pb2.Any:
    return json_format.ParseDict(data, any_pb2.Any())


def new_operation_name(kind: str, project_number: str = "") -> str:
    """Names shaped like Google's: operations/cp.123..., operations/acat.p2-NUMBER-uuid."""
    if kind in ("create_project", "delete_project", "undelete_project"):
        prefix = {"create_project": "cp", "delete_project": "dp", "undelete_project": "up"}[kind]
        return f"operations/{prefix}.{secrets.randbelow(9 * 10**18) + 10**18}"
    prefix = "acat" if kind.startswith("enable") else "acf"
    return f"operations/{prefix}.p2-{project_number}-{uuid.uuid4()}"


def record_operation(
    data: dict[str, Any],
    name: str,
    kind: str,
    done_at: float,
    response: Message | proto.Message,
    metadata: Message | proto.Message | None = None,
) -> operations_pb2.Operation:
    """Store an operation inside an ongoing `world.mutate()` and return it as first seen."""
    data.setdefault("operations", {})[name] = {
        "done_at": done_at,
        "kind": kind,
        "response": to_json_any(response),
        "metadata": to_json_any(metadata) if metadata is not None else None,
    }
    return build_operation(name, data["operations"][name])


def record_failed_operation(
    data: dict[str, Any],
    name: str,
    kind: str,
    done_at: float,
    code: int,
    message: str,
    details: Sequence[Message] = (),
    metadata: Message | proto.Message | None = None,
) -> operations_pb2.Operation:
    """Store an operation that will end with `google.rpc.Status` {code, message, details}."""
    data.setdefault("operations", {})[name] = {
        "done_at": done_at,
        "kind": kind,
        "error": {"code": code, "message": message, "details": [to_json_any(d) for d in details]},
        "metadata": to_json_any(metadata) if metadata is not None else None,
    }
    return build_operation(name, data["operations"][name])


def done_operation(
    name: str, response: Message | proto.Message, metadata: Message | proto.Message | None = None
) -> operations_pb2.Operation:
    """A finished operation that is not stored (Service Usage's no-op answer)."""
    op = operations_pb2.Operation(name=name, done=True)
    op.response.CopyFrom(from_json_any(to_json_any(response)))
    if metadata is not None:
        op.metadata.CopyFrom(from_json_any(to_json_any(metadata)))
    return op


# Some metadata reflects progress (CreateProjectMetadata.ready): fix it up when read.
_METADATA_PROGRESS: dict[str, Callable[[dict[str, Any], bool], None]] = {
    "create_project": lambda meta, done: meta.update({"gettable": done, "ready": done}),
}


def build_operation(name: str, record: dict[str, Any], now: float | None = None) -> operations_pb2.Operation:
    done = (clock.now() if now is None else now) >= float(record["done_at"])
    op = operations_pb2.Operation(name=name, done=done)
    metadata = record.get("metadata")
    if metadata:
        metadata = dict(metadata)
        fix = _METADATA_PROGRESS.get(record.get("kind", ""))
        if fix:
            fix(metadata, done)
        op.metadata.CopyFrom(from_json_any(metadata))
    if done:
        error = record.get("error")
        if error:
            op.error.code = int(error.get("code", 2))
            op.error.message = str(error.get("message", ""))
            for detail in error.get("details") or []:
                op.error.details.append(from_json_any(detail))
        else:
            op.response.CopyFrom(from_json_any(record["response"]))
    return op


class OperationsService:
    """google.longrunning.Operations, shared by every service of the fake control plane."""

    def __init__(self, world: World) -> None:
        self.world = world

    def get_operation(self, request: operations_pb2.GetOperationRequest) -> operations_pb2.Operation:
        if request.name == NOOP_OPERATION:
            return operations_pb2.Operation(name=NOOP_OPERATION, done=True)
        record = self.world.read().get("operations", {}).get(request.name)
        if record is None:
            raise not_found(f"Operation {request.name} not found.")
        return build_operation(request.name, record)

    def handler(self):
        return service_handler(
            self.world,
            "google.longrunning.Operations",
            "operations",
            [
                Rpc(
                    "GetOperation",
                    operations_pb2.GetOperationRequest,
                    operations_pb2.Operation,
                    self.get_operation,
                    write=False,
                )
            ],
        )
