"""Start the fake Google control plane on a loopback port.

One gRPC server carries every service, like one endpoint per product at Google would:
the clients reach it over TLS signed by the sandbox's own CA (see `wizard.sandbox.tls`), with
bearer tokens from the sandbox's token endpoint, and LRO polling goes through the same channel.
Everything it knows lives in the `World`, so stopping it and starting a new server on the
same folder carries on where it left off.
"""

from __future__ import annotations

import threading
from concurrent import futures
from typing import Any, Callable

import grpc

from wizard.sandbox.tls import ensure_tls
from wizard.sandbox.world import World

from .billing import CloudBillingService
from .iam_admin import IamAdminService
from .operations import OperationsService
from .projects import ProjectsService
from .service_usage import ServiceUsageService


def start_control_plane(world: World, host: str = "127.0.0.1", port: int = 0) -> tuple[grpc.Server, int]:
    """Serve Projects, Operations, CloudBilling, ServiceUsage, IAM admin, GKE and Artifact Registry.

    Returns (server, port).

    `port=0` picks a free port. Stop with `server.stop(grace=None)`.
    """
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="sandbox-grpc"),
        # grpcio sets SO_REUSEPORT by default: a second sandbox would then share the port
        # silently instead of failing to bind, and requests would land in either world.
        options=[("grpc.so_reuseport", 0)],
    )
    for service in (
        ProjectsService(world),
        OperationsService(world),
        CloudBillingService(world),
        ServiceUsageService(world),
        IamAdminService(world),
    ):
        server.add_generic_rpc_handlers((service.handler(),))
    server.add_generic_rpc_handlers(
        (
            _OnFirstCall("google.container.v1.ClusterManager", lambda: _gke(world)),
            _OnFirstCall("google.devtools.artifactregistry.v1.ArtifactRegistry", lambda: _artifact_registry(world)),
        )
    )
    try:
        tls = ensure_tls(world.root)
        credentials = grpc.ssl_server_credentials([tls.server_pair()])
        bound = server.add_secure_port(f"{host}:{port}", credentials)
        if not bound:  # older grpcio reports a failed bind as port 0
            raise OSError(f"cannot listen on {host}:{port}")
    except BaseException:
        server.stop(grace=None)
        raise
    server.start()
    return server, bound


class _OnFirstCall(grpc.GenericRpcHandler):
    """A service built when it is first called.

    The GKE and Artifact Registry fakes are typed by their client libraries, which take
    about a second to import; only chapter 14 calls them, so the sandbox starts without."""

    def __init__(self, full_service_name: str, build: Callable[[], grpc.GenericRpcHandler]) -> None:
        self._prefix = f"/{full_service_name}/"
        self._build = build
        self._handler: grpc.GenericRpcHandler | None = None
        self._lock = threading.Lock()

    def service(self, handler_call_details: Any) -> Any:
        if not str(handler_call_details.method).startswith(self._prefix):
            return None
        with self._lock:
            if self._handler is None:
                self._handler = self._build()
        return self._handler.service(handler_call_details)


def _gke(world: World) -> grpc.GenericRpcHandler:
    from .gke import ClusterManagerService

    return ClusterManagerService(world).handler()


def _artifact_registry(world: World) -> grpc.GenericRpcHandler:
    from .artifact_registry import ArtifactRegistryService

    return ArtifactRegistryService(world).handler()
