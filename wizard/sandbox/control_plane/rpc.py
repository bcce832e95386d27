"""Serving Google's gRPC methods without .proto files.

The official clients already carry every message type (proto-plus wrappers or plain
protobuf classes), so a generic handler that (de)serializes with those types is wire-
compatible with the real services. This module also does what every fake RPC must do the
same way: count the call in the world, honour injected failures, check the caller's
bearer token and quota project (see `gate.py`), and turn `ApiError` into a rich status the
clients can read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import proto
from google.api_core import exceptions as core_exceptions
from grpc_status import rpc_status

from wizard.sandbox.faults import Transient, grpc_fault, injected_once
from wizard.sandbox.world import World

from .errors import ApiError, error_info
from .gate import check_caller

log = logging.getLogger(__name__)

Impl = Callable[[Any], Any]

# What Google says for the codes a test usually injects; anything else gets a neutral text.
_INJECTED_MESSAGES = {
    "UNAVAILABLE": "The service is currently unavailable.",
    "INTERNAL": "Internal error encountered.",
    "DEADLINE_EXCEEDED": "The request was aborted because it did not complete in time.",
    "RESOURCE_EXHAUSTED": "Quota exceeded.",
    "ABORTED": "The operation was aborted.",
}


@dataclass(frozen=True)
class Rpc:
    """One unary method of a Google service: its types, its implementation and its kind."""

    name: str  # e.g. "CreateProject"
    request_type: type
    response_type: type
    impl: Impl
    write: bool


def _codec(message_type: type) -> tuple[Callable[[bytes], Any], Callable[[Any], bytes]]:
    """(deserializer, serializer) for a proto-plus class or a plain protobuf class."""
    if isinstance(message_type, type) and issubclass(message_type, proto.Message):
        return message_type.deserialize, message_type.serialize
    return message_type.FromString, lambda message: message.SerializeToString()


def injected_status_code(value: Any) -> grpc.StatusCode:
    """Read a fault knob value: a gRPC code name ("UNAVAILABLE") or an HTTP status (503)."""
    text = str(value).strip().upper()
    if text.isdigit():
        cls = core_exceptions.exception_class_for_http_status(int(text))
        code = getattr(cls, "grpc_status_code", None)
        return code or grpc.StatusCode.UNKNOWN
    try:
        return grpc.StatusCode[text]
    except KeyError:
        return grpc.StatusCode.UNKNOWN


def _transient_error(transient: Transient) -> ApiError:
    """Google's rate-limit answer carries ErrorInfo RATE_LIMIT_EXCEEDED (cloud.google.com/apis/design/errors)."""
    code = grpc.StatusCode[transient.name]
    details = [error_info("RATE_LIMIT_EXCEEDED", "googleapis.com")] if transient.name == "RESOURCE_EXHAUSTED" else []
    return ApiError(code, transient.message, details)


def _abort(context: grpc.ServicerContext, error: ApiError) -> None:
    context.abort_with_status(rpc_status.to_status(error.to_status()))


def service_handler(world: World, full_service_name: str, counter_name: str, rpcs: list[Rpc]) -> grpc.GenericRpcHandler:
    """A generic handler for `full_service_name` (e.g. "google.cloud.billing.v1.CloudBilling").

    Failures are injected under the short service name, e.g. "CloudBilling.GetBillingAccount".
    """
    short_service = full_service_name.rsplit(".", 1)[-1]
    handlers: dict[str, grpc.RpcMethodHandler] = {}
    for rpc in rpcs:
        deserialize, _ = _codec(rpc.request_type)
        _, serialize = _codec(rpc.response_type)
        handlers[rpc.name] = grpc.unary_unary_rpc_method_handler(
            _wrap(world, counter_name, f"{short_service}.{rpc.name}", rpc, full_service_name),
            request_deserializer=deserialize,
            response_serializer=serialize,
        )
    return grpc.method_handlers_generic_handler(full_service_name, handlers)


def _wrap(
    world: World, counter_name: str, method: str, rpc: Rpc, full_service_name: str = ""
) -> Callable[[Any, grpc.ServicerContext], Any]:
    def handle(request: Any, context: grpc.ServicerContext) -> Any:
        number = world.count(counter_name, write=rpc.write)
        transient = grpc_fault(world.read_faults(), number, rpc.write)
        once = world.take_failure_once(method)
        if once and once.upper() in grpc.StatusCode.__members__:
            transient = injected_once(once, rpc.write)
        if transient is not None:
            world.note_transient()
        if transient is not None and not transient.after_write:
            _abort(context, _transient_error(transient))
        try:
            check_caller(world, full_service_name, context.invocation_metadata(), request)
        except ApiError as error:
            _abort(context, error)
        injected = world.take_failure(method)
        if injected:
            code = injected_status_code(injected)
            message = _INJECTED_MESSAGES.get(code.name, f"Injected {code.name} for {method} (sandbox fault).")
            _abort(context, ApiError(code, message))
        try:
            response = rpc.impl(request)
        except ApiError as error:
            _abort(context, error)
        except Exception:  # a bug in the fake: say so instead of a bare UNKNOWN
            log.exception("sandbox control plane: %s failed", method)
            _abort(context, ApiError(grpc.StatusCode.INTERNAL, f"Sandbox bug in {method}; see the log."))
        if transient is not None:  # the write took effect; its answer is lost on the way back
            _abort(context, _transient_error(transient))
        return response

    handle.__name__ = method.replace(".", "_")
    return handle
